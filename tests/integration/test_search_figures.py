"""Search figures on simulated data, against a reference written here from the definitions
of docs/analytics.md ("18. Search") on the simulator's events, without the product's path
or search code; the planted content gaps recovered; the API's fields; forgetting and
retention (docs/forget.md, docs/paths.md "Retention")."""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from neo4j import Driver
from scipy import stats

from algorithms.search import search_figures
from graph_model.search.record import QueryFigures, SearchOrder
from graph_model.timewindow import TimeWindow
from simulator import SimulationConfig, simulate
from tests.conftest import REPO
from tests.integration.analyzed import analyze
from tests.integration.ingest_helpers import NOW_MS, TIMEOUT_MS, clean_graph, wiring

SEARCHING = {"search_share": 0.3, "content_gaps": 4}
FAILED = ("ABANDONED", "ESCALATED")


def stored(raw: str) -> str:
    """docs/sources.md: NFKC, case-folded, whitespace collapsed, P/S stripped at the ends
    (redaction tokens stay), e-mails and 6+ digits redacted."""
    text = " ".join(unicodedata.normalize("NFKC", raw).casefold().split())
    while text and unicodedata.category(text[-1])[0] in "PS" and not text.endswith(">"):
        text = text[:-1]
    while text and unicodedata.category(text[0])[0] in "PS" and not text.startswith("<"):
        text = text[1:]
    text = re.sub(r"[^\s@]+@[^\s@]+", "<email>", text)
    return re.sub(r"\d{6,}", "<number>", text)


@dataclass
class RefPath:
    customer: str
    start: int
    steps: list[tuple[str, str, int]]  # (page, query or "", results or -1)
    outcome: str = "OPEN"


def reference_paths(events: Sequence[Mapping[str, Any]]) -> list[RefPath]:
    """docs/paths.md on the simulator's events (every event has an id, all are unique)."""
    by: dict[str, list[tuple[int, int, Mapping[str, Any]]]] = defaultdict(list)
    for n, e in enumerate(events):
        by[e["customer_id"]].append((e["timestamp"], n, e))
    watermark = max(e["timestamp"] for e in events)
    paths: list[RefPath] = []
    for customer, mine in by.items():
        run: RefPath | None = None
        last = 0
        for ts, _, e in sorted(mine, key=lambda x: x[:2]):
            kind = e.get("event_type", "page_view")
            if run is not None and ts - last > TIMEOUT_MS:
                run.outcome = "ABANDONED"
                paths.append(run)
                run = None
            if kind in ("resolution", "escalation"):
                if run is not None:
                    run.outcome = "RESOLVED" if kind == "resolution" else "ESCALATED"
                    paths.append(run)
                    run = None
                continue
            if run is None:
                run = RefPath(customer, ts, [])
            if kind == "search":
                run.steps.append(("search", stored(e["query"]), e.get("results", -1)))
            else:
                run.steps.append((e["page_id"], "", -1))
            last = ts
            if e.get("is_resolved"):
                run.outcome = "RESOLVED"
                paths.append(run)
                run = None
        if run is not None:
            run.outcome = "OPEN" if watermark - last <= TIMEOUT_MS else "ABANDONED"
            paths.append(run)
    return paths


@dataclass
class Ref:
    searches: int = 0
    customers: set[str] = field(default_factory=set)
    reported: int = 0
    no_results: int = 0
    clicks: int = 0
    refinements: int = 0
    pogos: int = 0
    exits: int = 0
    resolved: int = 0
    escalated: int = 0
    paths: int = 0
    failed: int = 0
    next_pages: Counter[str] = field(default_factory=Counter)


def reference_figures(paths: Sequence[RefPath]) -> tuple[dict[str, Ref], float]:
    refs: dict[str, Ref] = defaultdict(Ref)
    with_search = failed_with_search = 0
    for p in paths:
        if p.outcome == "OPEN":
            continue
        texts = {q for _, q, _ in p.steps if q}
        if texts:
            with_search += 1
            failed_with_search += p.outcome in FAILED
        for text in texts:
            refs[text].paths += 1
            refs[text].failed += p.outcome in FAILED
        for i, (_, q, results) in enumerate(p.steps):
            if not q:
                continue
            r = refs[q]
            r.searches += 1
            r.customers.add(p.customer)
            if results >= 0:
                r.reported += 1
                r.no_results += results == 0
            after = p.steps[i + 1 :]
            if not after:
                r.exits += p.outcome == "ABANDONED"
            elif after[0][1]:
                r.refinements += 1
            else:
                r.clicks += 1
                r.next_pages[after[0][0]] += 1
                r.pogos += len(after) > 1 and bool(after[1][1])
            r.resolved += p.outcome == "RESOLVED"
            r.escalated += p.outcome == "ESCALATED"
    return refs, failed_with_search / with_search


def stored_figures(driver: Driver) -> dict[str, QueryFigures]:
    async def read() -> dict[str, QueryFigures]:
        async with wiring().graph_reads()() as reads:
            window = await reads.search.window(SearchOrder.SEARCHES, 500, None)
            found = {q.text: q for q in window.items}
            after = window.cursors[-1] if window.cursors else None
            while window.has_next:
                window = await reads.search.window(SearchOrder.SEARCHES, 500, after)
                found |= {q.text: q for q in window.items}
                after = window.cursors[-1]
            return found

    return asyncio.run(read())


@pytest.fixture(scope="module")
def searched(neo4j_driver: Driver) -> dict[str, Any]:
    clean_graph(neo4j_driver)
    sim = simulate(SimulationConfig.full(seed=11, events=8_000, **SEARCHING))
    wiring().load(neo4j_driver, sim.events, sim.pages, now_ms=NOW_MS)
    analyze(neo4j_driver)
    return {"sim": sim, "figures": stored_figures(neo4j_driver)}


def test_per_query_figures_equal_the_reference(searched: dict[str, Any]) -> None:
    refs, site_rate = reference_figures(reference_paths(searched["sim"].events))
    figures: dict[str, QueryFigures] = searched["figures"]
    assert set(figures) == set(refs)
    assert any(f.escalations for f in figures.values())  # every outcome is exercised
    tested = sorted(t for t, r in refs.items() if r.paths >= 20)
    p_values = [
        stats.binomtest(refs[t].failed, refs[t].paths, site_rate, "greater").pvalue for t in tested
    ]
    q_values = dict(zip(tested, stats.false_discovery_control(p_values, method="bh"), strict=True))
    for text, r in refs.items():
        f = figures[text]
        n = r.searches
        assert (f.searches, f.customers, f.reported, f.no_results) == (
            n,
            len(r.customers),
            r.reported,
            r.no_results,
        ), text
        assert f.no_result_rate == (
            pytest.approx(r.no_results / r.reported) if r.reported else None
        )
        assert f.click_through_rate == pytest.approx(r.clicks / n)
        assert f.refinement_rate == pytest.approx(r.refinements / n)
        assert f.pogo_rate == pytest.approx(r.pogos / n)
        assert f.exit_rate == pytest.approx(r.exits / n)
        assert f.resolution_rate == pytest.approx(r.resolved / n)
        assert f.escalation_rate == pytest.approx(r.escalated / n)
        assert (f.paths, f.failed_paths) == (r.paths, r.failed), text
        assert f.excess_failures == pytest.approx(r.failed - r.paths * site_rate)
        top = dict(zip(f.result_pages, f.result_clicks, strict=True))
        assert top == {p: c for p, c in r.next_pages.items() if p in top}
        assert sum(f.result_clicks) == sum(sorted(r.next_pages.values())[-len(top) :] or [0])
        if text in q_values:
            assert f.q_value == pytest.approx(q_values[text])
            assert f.is_content_gap == (q_values[text] <= 0.05 and f.excess_failures > 0)
        else:
            assert f.q_value is None
            assert not f.is_content_gap


def test_windowed_figures_on_demand_equal_the_reference(searched: dict[str, Any]) -> None:
    """The API's on-demand figures over a window (the paths that started in it)."""
    events = searched["sim"].events
    middle = events[len(events) // 2]["timestamp"]
    window = TimeWindow(middle, None)

    async def on_demand() -> dict[str, tuple[int, int, int]]:
        async with wiring().graph_reads()() as reads:
            paths = await reads.search.search_paths(window, None)
            return {
                q.text: (q.searches, q.paths, q.failed_paths) for q in search_figures(paths).queries
            }

    expected = {
        t: (r.searches, r.paths, r.failed)
        for t, r in reference_figures([p for p in reference_paths(events) if p.start >= middle])[
            0
        ].items()
    }
    assert asyncio.run(on_demand()) == expected


def _saved(driver: Driver, name: str, **params: Any) -> list[dict[str, Any]]:
    text = (REPO / "cypher" / name).read_text()
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    records, _, _ = driver.execute_query(body.strip().rstrip(";"), params)
    return [r.data() for r in records]


def test_saved_queries_for_analysts(searched: dict[str, Any], neo4j_driver: Driver) -> None:
    figures: dict[str, QueryFigures] = searched["figures"]
    gaps = set(searched["sim"].truth["search"]["content_gaps"])
    failing = _saved(neo4j_driver, "failing_queries.cypher")
    flagged = {r["query"] for r in failing if r["contentGap"]}
    assert flagged == {t for t, f in figures.items() if f.is_content_gap} == gaps
    assert [r["query"] for r in failing[: len(flagged)]] == sorted(
        flagged, key=lambda t: -figures[t].excess_failures
    )
    # After a query: the same counts as the figures' click-through and refinements.
    text = max(figures, key=lambda t: figures[t].searches)
    after = {
        r["next"]: r["searches"] for r in _saved(neo4j_driver, "after_query.cypher", query=text)
    }
    f = figures[text]
    assert sum(after.values()) == f.searches
    assert after.get("(searched again)", 0) == f.refinements
    assert dict(zip(f.result_pages, f.result_clicks, strict=True)).items() <= after.items()
    # Pogo-sticking: the misleading top results of the planted gaps lead the list.
    pogo = _saved(neo4j_driver, "pogo_sticking.cypher")
    misleading = searched["sim"].truth["search"]["misleading_results"]
    top = {(r["query"], r["page"]) for r in pogo[: len(misleading)]}
    assert top == set(misleading.items())
    by_query: dict[str, int] = defaultdict(int)
    for r in pogo:
        by_query[r["query"]] += r["pogos"]
    assert all(n <= figures[t].pogos for t, n in by_query.items())  # the top 25 rows


def recovered(driver: Driver, seed: int, gaps: int) -> tuple[set[str], set[str]]:
    """(flagged, planted) content gaps of a seed at 30,000 clicks."""
    clean_graph(driver)
    sim = simulate(SimulationConfig(seed=seed, events=30_000, search_share=0.3, content_gaps=gaps))
    wiring().load(driver, sim.events, sim.pages, now_ms=NOW_MS)
    analyze(driver)
    flagged = {t for t, f in stored_figures(driver).items() if f.is_content_gap}
    planted = set(sim.truth["search"]["content_gaps"])
    return flagged, planted


def precision_recall(flagged: set[str], planted: set[str]) -> tuple[float, float]:
    hits = len(flagged & planted)
    return hits / len(flagged) if flagged else 1.0, hits / len(planted) if planted else 1.0


def test_planted_content_gaps_are_recovered(neo4j_driver: Driver) -> None:
    flagged, planted = recovered(neo4j_driver, 2, 4)
    precision, recall = precision_recall(flagged, planted)
    # Each on its own: tuples compare lexicographically.
    assert precision >= 0.9, (flagged, planted)
    assert recall >= 0.9, (flagged, planted)


def test_no_query_is_flagged_without_a_planted_gap(neo4j_driver: Driver) -> None:
    flagged, planted = recovered(neo4j_driver, 2, 0)
    assert (flagged, planted) == (set(), set())


@pytest.mark.soak
@pytest.mark.parametrize("seed", [2, 3, 4, 5, 6])
def test_planted_content_gaps_over_five_seeds(neo4j_driver: Driver, seed: int) -> None:
    flagged, planted = recovered(neo4j_driver, seed, 4)
    precision, recall = precision_recall(flagged, planted)
    print(f"seed {seed}: precision {precision:.2f} recall {recall:.2f} ({sorted(flagged)})")
    assert precision >= 0.9
    assert recall >= 0.9
    flagged, _ = recovered(neo4j_driver, seed, 0)
    assert flagged == set()
