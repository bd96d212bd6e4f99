"""`pathrank analyze` against real Neo4j + GDS: hand-made answers, networkx cross-checks,
and recovery of what the simulator planted."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from typing import Any

import networkx as nx
import pytest
from neo4j import Driver
from scipy import stats

from graph_model.run.record import AnalysisRun
from tests.conftest import run_cli
from tests.integration.analyzed import analyze, load_simulation
from tests.integration.ingest_helpers import live_path_stats, load_events, wiring
from tests.tiers import soak_params

T0 = 1_700_000_000_000


def _pages(driver: Driver) -> dict[str, dict[str, Any]]:
    records, _, _ = driver.execute_query("MATCH (p:Page) RETURN p.id AS id, properties(p) AS props")
    return {r["id"]: r["props"] for r in records}


def _analyze(driver: Driver) -> AnalysisRun:
    return analyze(driver)


@pytest.fixture
def graph(neo4j_driver: Driver) -> Iterator[Driver]:
    admin = wiring().admin(neo4j_driver)
    admin.ensure_schema()
    admin.clear()
    yield neo4j_driver
    leftovers, _, _ = neo4j_driver.execute_query(
        "CALL gds.graph.list() YIELD graphName WHERE graphName STARTS WITH 'pathrank-' "
        "RETURN collect(graphName) AS names"
    )
    assert leftovers[0]["names"] == [], "projections must be dropped after use"


def _path(customer: str, pages: str, resolved_last: bool, start_min: int) -> list[dict[str, Any]]:
    out = []
    for i, page in enumerate(pages):
        out.append(
            {
                "customer_id": customer,
                "page_id": page,
                "timestamp": T0 + start_min * 60_000 + i * 30_000,
                "is_resolved": resolved_last and i == len(pages) - 1,
            }
        )
    return out


# A->B 2, A->C 2, B->R 2, C->R 1; R resolves 3 times, C is abandoned once.
HAND = (
    _path("c1", "ABR", True, 0)
    + _path("c2", "ABR", True, 0)
    + _path("c3", "AC", False, 0)
    + _path("c4", "ACR", True, 0)
    + _path("late", "Z", False, 300)  # moves the watermark so c3's path is ABANDONED
)


def test_hand_made_graph_has_the_hand_computed_answers(graph: Driver, neo4j_driver: Driver) -> None:
    load_events(graph, HAND)
    analysis = wiring().analysis(neo4j_driver)
    analysis.run()
    pages = _pages(neo4j_driver)
    # Absorbing chain: h(R)=1, h(B)=1, h(C)=1/2, h(A)=1/2*1 + 1/2*1/2 = 3/4.
    assert pages["R"]["successProbability"] == pytest.approx(1.0)
    assert pages["B"]["successProbability"] == pytest.approx(1.0)
    assert pages["C"]["successProbability"] == pytest.approx(0.5)
    assert pages["A"]["successProbability"] == pytest.approx(0.75)
    assert "successProbability" not in pages["Z"]  # only in an OPEN path: not in the chain
    # Given resolution: R 0 further clicks, B and C one, A two.
    assert pages["R"]["expectedClicksToResolution"] == pytest.approx(0.0)
    assert pages["B"]["expectedClicksToResolution"] == pytest.approx(1.0)
    assert pages["C"]["expectedClicksToResolution"] == pytest.approx(1.0)
    assert pages["A"]["expectedClicksToResolution"] == pytest.approx(2.0)
    # Observed figures over completed paths.
    assert (pages["A"]["visits"], pages["C"]["exits"], pages["R"]["resolutions"]) == (4, 1, 3)
    assert (pages["A"]["entries"], pages["R"]["entries"]) == (4, 0)  # every completed path
    assert pages["C"]["exitRate"] == pytest.approx(0.5)
    assert pages["A"]["observedMeanClicksToResolution"] == pytest.approx(2.0)
    # Routes: fewest clicks A->?->R (2 clicks); most likely A->B->R or A->C->R, tied at
    # p = 1/2 * 1 (C's only onward click goes to R; its exit is not a transition).
    assert pages["A"]["successPathFewestClicks"] == 2
    assert pages["A"]["successPathLikely"] in (["A", "B", "R"], ["A", "C", "R"])
    assert pages["A"]["successPathLikelyProbability"] == pytest.approx(0.5)
    assert pages["C"]["successPathLikely"] == ["C", "R"]
    assert pages["R"]["successPathFewest"] == ["R"]
    assert pages["R"]["successPathFewestClicks"] == 0
    # Weak pages: site success = 3/4 completed paths; C falls short by 1/4 over 2 visits.
    assert pages["C"]["impact"] == pytest.approx(2 * (0.75 - 0.5))
    assert pages["A"]["impact"] == pytest.approx(0.0)
    statistics = analysis.statistics
    assert statistics is not None
    assert (statistics.completed, statistics.resolved) == (4, 3)
    assert statistics.mean_length == pytest.approx((3 + 3 + 2 + 3) / 4)
    # Transition probabilities are computed where they are used, never written on the
    # relationships ingest keeps updating.
    records, _, _ = neo4j_driver.execute_query(
        "MATCH ()-[t:TRANSITION]->() RETURN collect(DISTINCT keys(t)) AS keys"
    )
    assert {tuple(sorted(k)) for k in records[0]["keys"]} == {("count", "turnarounds")}
    # SIMILAR: Jaccard of the visited page sets, both directions, none below the cutoff.
    records, _, _ = neo4j_driver.execute_query(
        "MATCH (a:Customer)-[s:SIMILAR]->(b:Customer) RETURN a.id AS a, b.id AS b, s.score AS s"
    )
    similar = {(r["a"], r["b"]): r["s"] for r in records}
    jaccard = {("c1", "c2"): 1.0, ("c3", "c4"): 2 / 3, ("c1", "c4"): 0.5, ("c2", "c4"): 0.5}
    jaccard |= {("c1", "c3"): 0.25, ("c2", "c3"): 0.25}
    assert similar == pytest.approx(jaccard | {(b, a): j for (a, b), j in jaccard.items()})


def test_escalations_by_hand_through_the_analysis(graph: Driver, neo4j_driver: Driver) -> None:
    ticket = {"customer_id": "c5", "event_type": "escalation", "timestamp": T0 + 90_000}
    orphan = {"customer_id": "c6", "event_type": "escalation", "timestamp": T0}
    load_events(graph, HAND + _path("c5", "AE", False, 0) + [ticket, orphan])
    run = _analyze(neo4j_driver)
    pages = _pages(neo4j_driver)
    # E ends c5's path: one escalation of one visit; A now also goes to E once in 5.
    assert (pages["E"]["escalations"], pages["E"]["escalationRate"]) == (1, 1.0)
    assert pages["E"]["exits"] == 0  # an escalation is not an exit
    assert pages["A"]["escalations"] == 0
    # Chain: A->B 2, A->C 2, A->E 1; E always escalates, C exits half the time.
    assert pages["E"]["escalationProbability"] == 1.0
    assert pages["A"]["escalationProbability"] == pytest.approx(1 / 5)
    assert pages["A"]["successProbability"] == pytest.approx(2 / 5 + 2 / 5 * 1 / 2)
    assert pages["C"]["escalationProbability"] == 0.0
    assert pages["R"]["escalationProbability"] == 0.0
    # Too few visits to test anything: no hotspot, the test fields are there.
    assert not any(p.get("isEscalationHotspot") for p in pages.values())
    assert run.escalation_hotspots == 0
    statistics = live_path_stats()
    assert (statistics.completed, statistics.escalated, statistics.orphan_markers) == (5, 1, 1)
    assert statistics.escalation_rate == pytest.approx(1 / 5)
    assert statistics.self_service_rate == pytest.approx(3 / 5)


@pytest.fixture(scope="module")
def simulated(neo4j_driver: Driver) -> dict[str, Any]:
    """30k simulated clicks with their catalog, analysed (a second run on the same graph
    agrees: test_analysis_runs.py, the storm test, in both tiers)."""
    sim = load_simulation(neo4j_driver, events=30_000, seed=7)
    first = _analyze(neo4j_driver)
    first_pages = _pages(neo4j_driver)
    # What the tests below read of the graph is read now: other tests of this module load
    # other simulations into the same database before they run.
    counts, _, _ = neo4j_driver.execute_query(
        "CALL () { MATCH (c:Community) RETURN count(c) AS communities } "
        "CALL () { MATCH ()-[s:SUGGESTED_LINK]->() RETURN count(s) AS suggestions } "
        "CALL () { MATCH (r:AnalysisRun) RETURN count(r) AS runs } "
        "RETURN communities, suggestions, runs"
    )
    customers, _, _ = neo4j_driver.execute_query(
        "MATCH (c:Customer) RETURN c.id AS id, c.community AS k"
    )
    summaries, _, _ = neo4j_driver.execute_query(
        "MATCH (c:Community) RETURN c.size AS size, c.topPages AS top, c.resolutionRate AS rr"
    )
    return {
        "truth": sim.truth,
        "first": first,
        "first_pages": first_pages,
        "counts": dict(counts[0]),
        "community": {r["id"]: r["k"] for r in customers},
        "summaries": [dict(r) for r in summaries],
        "transitions": _transition_graph(neo4j_driver),
    }


def test_the_graph_holds_one_runs_results(simulated: dict[str, Any]) -> None:
    r = simulated["counts"]
    assert r["communities"] == simulated["first"].communities
    assert r["suggestions"] == simulated["first"].link_suggestions
    assert r["runs"] == 1


def test_planted_hotspots_and_dead_ends_are_recovered(simulated: dict[str, Any]) -> None:
    truth, pages = simulated["truth"], simulated["first_pages"]
    found = {p for p, props in pages.items() if props.get("isHotspot")}
    planted = set(truth["hotspots"])
    recall = len(found & planted) / len(planted)
    precision = len(found & planted) / len(found)
    assert (recall, precision) == (1.0, 1.0), (sorted(found), sorted(planted))

    dead = {p for p, props in pages.items() if "DEAD_END" in props.get("weakReasons", [])}
    assert set(truth["dead_ends"]) <= dead  # recall 1
    assert dead <= set(truth["weak_pages"])  # every dead end found is a planted weak page
    high_exit = {p for p, props in pages.items() if props.get("isHighExit")}
    assert set(truth["dead_ends"]) <= high_exit
    # Every planted weak page is found with a reason and an impact; every page given a
    # reason was planted (as weak or as a hotspot).
    weak = set(truth["weak_pages"])
    assert all(pages[p]["impact"] > 0 and pages[p]["weakReasons"] for p in weak)
    flagged = {p for p, props in pages.items() if props.get("weakReasons")}
    assert flagged <= weak | planted, sorted(flagged - weak - planted)


@pytest.mark.parametrize("seed", soak_params((1, 2, 3, 4, 5), (1,), "seed"))
def test_planted_escalation_hotspots_are_recovered(neo4j_driver: Driver, seed: int) -> None:
    """30k clicks with votes, tickets and chats: the pages planted to escalate (two articles,
    the contact page and the request form) are the escalation hotspots found."""
    sim = load_simulation(neo4j_driver, events=30_000, seed=seed, full=True)
    run = _analyze(neo4j_driver)
    pages = _pages(neo4j_driver)
    found = {p for p, props in pages.items() if props.get("isEscalationHotspot")}
    planted = set(sim.truth["escalation_hotspots"])
    hits = len(found & planted)
    precision, recall = hits / len(found) if found else 0.0, hits / len(planted)
    print(f"escalation hotspots, seed {seed}: precision {precision:.2f}, recall {recall:.2f}")
    assert precision >= 0.9, (sorted(found), sorted(planted))
    assert recall >= 0.9, (sorted(found), sorted(planted))
    assert run.escalation_hotspots == len(found)
    for page in found:  # each with its reason, its test and a chain figure
        props = pages[page]
        assert "ESCALATION_HOTSPOT" in props["weakReasons"]
        assert props["escalationQValue"] <= 0.05
        assert props["escalationRate"] == props["escalations"] / props["visits"]
        assert props["escalationProbability"] > 0
    # The pages where votes resolve are resolution pages like the clicked ones.
    stats = live_path_stats()
    assert stats.escalated == sum(p.get("escalations", 0) for p in pages.values())
    assert stats.resolved == sum(p.get("resolutions", 0) for p in pages.values())


def _ari(a: list[str], b: list[int]) -> float:
    def pairs(counts: Counter[Any]) -> float:
        return sum(math.comb(v, 2) for v in counts.values())

    n = len(a)
    both, sa, sb = pairs(Counter(zip(a, b, strict=True))), pairs(Counter(a)), pairs(Counter(b))
    expected = sa * sb / math.comb(n, 2)
    return (both - expected) / ((sa + sb) / 2 - expected)


def test_planted_segments_are_recovered_as_communities(simulated: dict[str, Any]) -> None:
    community = simulated["community"]
    segments = simulated["truth"]["segments"]
    ids = sorted(set(segments) & set(community))
    ari = _ari([segments[i] for i in ids], [community[i] for i in ids])
    assert ari >= 0.5, ari
    summaries = simulated["summaries"]
    assert sum(s["size"] for s in summaries) == len(community)
    assert all(0 <= s["rr"] <= 1 and len(s["top"]) > 0 for s in summaries if s["rr"] is not None)


def _transition_graph(driver: Driver) -> nx.DiGraph:
    records, _, _ = driver.execute_query(
        "MATCH (a:Page)-[t:TRANSITION]->(b:Page) RETURN a.id AS a, b.id AS b, t.count AS c"
    )
    g = nx.DiGraph()
    for r in records:
        g.add_edge(r["a"], r["b"], count=r["c"])
    return g


def test_pagerank_order_matches_networkx(simulated: dict[str, Any]) -> None:
    pages = simulated["first_pages"]
    g = simulated["transitions"]
    expected = nx.pagerank(g, alpha=0.85, weight="count", tol=1e-10)
    common = sorted(expected)
    rho = stats.spearmanr([expected[p] for p in common], [pages[p]["pageRank"] for p in common])
    assert rho.statistic > 0.98, rho
    top = sorted(common, key=lambda p: -expected[p])[:5]
    assert top == sorted(common, key=lambda p: -pages[p]["pageRank"])[:5]


def test_success_paths_match_networkx(simulated: dict[str, Any]) -> None:
    pages = simulated["first_pages"]
    g = simulated["transitions"].copy()
    resolving = [p for p, props in pages.items() if props.get("resolutions")]
    totals = {a: sum(d["count"] for _, _, d in g.out_edges(a, data=True)) for a in g}
    for a, _b, d in g.edges(data=True):
        d["cost"] = -math.log(d["count"] / totals[a])
    hops = nx.multi_source_dijkstra_path_length(g.reverse(), resolving)  # to any resolving page
    costs = nx.multi_source_dijkstra_path_length(g.reverse(), resolving, weight="cost")
    for page, props in pages.items():
        if page not in hops:
            assert props.get("successPathFewest") is None
            continue
        assert props["successPathFewestClicks"] == hops[page], page
        route = props["successPathFewest"]
        assert route[0] == page
        assert route[-1] in resolving
        assert -math.log(props["successPathLikelyProbability"]) == pytest.approx(
            costs[page], abs=1e-9
        )


def test_hotspot_statistics_are_the_binomial_test(simulated: dict[str, Any]) -> None:
    pages = simulated["first_pages"]
    total_t = sum(p.get("turnarounds", 0) for p in pages.values())
    total_o = sum(p.get("turnaroundOpportunities", 0) for p in pages.values())
    site = total_t / total_o
    tested = {
        p: stats.binomtest(
            props["turnarounds"], props["turnaroundOpportunities"], site, "greater"
        ).pvalue
        for p, props in pages.items()
        if props.get("turnaroundOpportunities", 0) >= 20
    }
    names = sorted(tested)
    q = stats.false_discovery_control([tested[p] for p in names])
    for page, p_value, q_value in zip(names, [tested[n] for n in names], q, strict=True):
        assert pages[page]["hotspotPValue"] == pytest.approx(p_value, rel=1e-9)
        assert pages[page]["hotspotQValue"] == pytest.approx(q_value, rel=1e-9)
        assert pages[page]["isHotspot"] == (q_value <= 0.05)


def test_analyze_cli_reports_steps_and_unreachable_neo4j_is_one_line() -> None:
    bad = run_cli("analyze", env={"PATHRANK_NEO4J_URI": "bolt://127.0.0.1:1"})
    assert bad.returncode != 0
    assert bad.stderr.strip().count("\n") == 0
    assert "Neo4j is not reachable" in bad.stderr
