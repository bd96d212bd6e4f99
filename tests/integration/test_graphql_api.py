"""The GraphQL API over real HTTP: `pathrank serve` in a subprocess against the real Neo4j,
filled with simulated data and analysed, queried with the `gql` client.

Answers are checked against what the graph holds (Cypher through the test's own driver),
so each test fails if the API reads, sorts, pages or computes anything differently. The
server itself (limits over HTTP, query counts, health, metrics) is test_graphql_server.py;
the limits' rules are tests/unit/test_graphql_limits.py.
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from neo4j import Driver

from tests.integration import datasets
from tests.integration.analyzed import Analyzed
from tests.integration.graphql_http import Api, cypher
from tests.integration.graphql_http import page_props as _page_props
from tests.tiers import examples

# Votes, tickets and chats too, and two misleading links (the dashboard's data set).
DATASET = datasets.HELP_CENTER


# ---- every documented field (docs/api.md) ------------------------------------------------

PAGE_FIELDS = """
  id title url visits exits exitRate resolutions pageRank pathRank successProbability
  expectedClicksToResolution observedMeanClicksToResolution turnarounds
  turnaroundOpportunities turnaroundRate isHotspot isHighExit impact weakReasons analyzed
  escalations escalationRate escalationProbability isEscalationHotspot
"""

SCALARS = {
    "title": "title",
    "url": "url",
    "visits": "visits",
    "exits": "exits",
    "exitRate": "exitRate",
    "resolutions": "resolutions",
    "pageRank": "pageRank",
    "pathRank": "pathRank",
    "successProbability": "successProbability",
    "expectedClicksToResolution": "expectedClicksToResolution",
    "observedMeanClicksToResolution": "observedMeanClicksToResolution",
    "turnarounds": "turnarounds",
    "turnaroundOpportunities": "turnaroundOpportunities",
    "turnaroundRate": "turnaroundRate",
    "isHotspot": "isHotspot",
    "isHighExit": "isHighExit",
    "impact": "impact",
    "weakReasons": "weakReasons",
    "escalations": "escalations",
    "escalationRate": "escalationRate",
    "escalationProbability": "escalationProbability",
    "isEscalationHotspot": "isEscalationHotspot",
}


def test_page_fields_are_the_graphs(api: Api, data: Analyzed, neo4j_driver: Driver) -> None:
    for page_id in [
        data.truth["hotspots"][0],
        data.truth["dead_ends"][0],
        data.truth["escalation_articles"][0],
        data.pages[0]["page_id"],
    ]:
        page = api.query(f'{{ page(id: "{page_id}") {{ {PAGE_FIELDS} }} }}')["page"]
        props = _page_props(neo4j_driver, page_id)
        assert page["id"] == page_id
        assert page["analyzed"] is True
        for field, prop in SCALARS.items():
            assert page[field] == props.get(prop), (page_id, field)
    hot = api.query(f'{{ page(id: "{data.truth["hotspots"][0]}") {{ isHotspot }} }}')
    assert hot["page"]["isHotspot"] is True


def test_transitions_with_counts_and_probabilities(
    api: Api, data: Analyzed, neo4j_driver: Driver
) -> None:
    page_id = "p000"  # the home page: many transitions both ways
    q = """query($id: ID!) { page(id: $id) {
      outgoing(limit: 500) { from { id } to { id title } count probability turnarounds }
      incoming(limit: 3) { from { id } to { id } count probability }
      top: outgoing { count } } }"""
    page = api.query(q, {"id": page_id})["page"]
    out = cypher(
        neo4j_driver,
        "MATCH (a:Page {id: $id})-[t:TRANSITION]->(b:Page) "
        "RETURN b.id AS to, b.title AS title, t.count AS count, t.turnarounds AS turnarounds "
        "ORDER BY count DESC, to",
        id=page_id,
    )
    total = sum(r["count"] for r in out)
    assert [(t["to"]["id"], t["count"], t["turnarounds"]) for t in page["outgoing"]] == [
        (r["to"], r["count"], r["turnarounds"]) for r in out
    ]
    assert {t["from"]["id"] for t in page["outgoing"]} == {page_id}
    assert [t["to"]["title"] for t in page["outgoing"]] == [r["title"] for r in out]
    for t in page["outgoing"]:
        assert t["probability"] == pytest.approx(t["count"] / total)
    assert sum(t["probability"] for t in page["outgoing"]) == pytest.approx(1.0)
    assert len(page["top"]) == 10  # the default limit
    into = cypher(
        neo4j_driver,
        "MATCH (a:Page)-[t:TRANSITION]->(b:Page {id: $id}) "
        "MATCH (a)-[o:TRANSITION]->() "
        "WITH a, t, sum(o.count) AS total "
        "RETURN a.id AS source, t.count AS count, toFloat(t.count) / total AS p "
        "ORDER BY count DESC, source LIMIT 3",
        id=page_id,
    )
    assert [(t["from"]["id"], t["count"]) for t in page["incoming"]] == [
        (r["source"], r["count"]) for r in into
    ]
    assert [t["probability"] for t in page["incoming"]] == pytest.approx([r["p"] for r in into])
    assert {t["to"]["id"] for t in page["incoming"]} == {page_id}


ORDERS = {
    "ID": None,
    "TITLE": None,
    "VISITS": "visits",
    "PAGE_RANK": "pageRank",
    "PATH_RANK": "pathRank",
    "SUCCESS_PROBABILITY": "successProbability",
    "IMPACT": "impact",
    "TURNAROUND_RATE": "turnaroundRate",
    "EXIT_RATE": "exitRate",
    "ESCALATION_RATE": "escalationRate",
}


def _walk(api: Api, order: str, first: int) -> tuple[list[dict[str, Any]], int, int]:
    q = """query($first: Int, $after: String, $order: PageOrder) {
      pages(first: $first, after: $after, orderBy: $order) {
        totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { id title visits pageRank pathRank successProbability impact
                              turnaroundRate exitRate escalationRate } } } }"""
    nodes: list[dict[str, Any]] = []
    after = None
    requests = 0
    total = -1
    while True:
        page = api.query(q, {"first": first, "after": after, "order": order})["pages"]
        requests += 1
        total = page["totalCount"]
        info = page["pageInfo"]
        edges = page["edges"]
        assert info["hasPreviousPage"] == (after is not None)
        if edges:
            assert info["startCursor"] == edges[0]["cursor"]
            assert info["endCursor"] == edges[-1]["cursor"]
        assert len(edges) <= first
        nodes += [e["node"] for e in edges]
        if not info["hasNextPage"]:
            break
        assert len(edges) == first
        after = info["endCursor"]
    return nodes, total, requests


@pytest.mark.parametrize("order", sorted(ORDERS))
def test_walking_pages_yields_every_page_once_in_order(
    api: Api, data: Analyzed, neo4j_driver: Driver, order: str
) -> None:
    nodes, total, requests = _walk(api, order, first=7)
    ids = [n["id"] for n in nodes]
    every = {r["id"] for r in cypher(neo4j_driver, "MATCH (p:Page) RETURN p.id AS id")}
    assert len(ids) == len(set(ids)) == total == len(every)
    assert set(ids) == every
    assert requests == math.ceil(total / 7)
    prop = ORDERS[order]
    if order == "ID":
        expected = sorted(ids)
    elif order == "TITLE":
        expected = [n["id"] for n in sorted(nodes, key=lambda n: (n["title"] or n["id"], n["id"]))]
    else:
        field = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), order.lower())
        assert prop is not None

        def key(n: dict[str, Any]) -> tuple[float, str]:
            value = n[field]
            return (-(value if value is not None else -1.0), n["id"])

        expected = [n["id"] for n in sorted(nodes, key=key)]
    assert ids == expected


@settings(
    max_examples=examples(8),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(first=st.integers(1, 120), order=st.sampled_from(sorted(ORDERS)))
def test_any_page_size_walks_the_same_list(api: Api, first: int, order: str) -> None:
    nodes, total, _ = _walk(api, order, first)
    reference, _, _ = _walk(api, order, 500)
    assert [n["id"] for n in nodes] == [n["id"] for n in reference]
    assert len(nodes) == total


def test_weak_pages(api: Api, data: Analyzed, neo4j_driver: Driver) -> None:
    q = """query($limit: Int, $min: Int) { weakPages(limit: $limit, minVisits: $min) {
      page { id visits } impact reasons } }"""
    everything = api.query(q, {"limit": 500, "min": 0})["weakPages"]
    expected = cypher(
        neo4j_driver,
        "MATCH (p:Page) WHERE p.impact > 0 OR size(p.weakReasons) > 0 "
        "RETURN p.id AS id, p.impact AS impact, p.weakReasons AS reasons, p.visits AS visits "
        "ORDER BY impact DESC, id",
    )
    assert [(w["page"]["id"], w["impact"], w["reasons"]) for w in everything] == [
        (r["id"], r["impact"], r["reasons"]) for r in expected
    ]
    assert set(data.truth["weak_pages"]) <= {w["page"]["id"] for w in everything}
    busy = api.query(q, {"limit": 5, "min": 200})["weakPages"]
    assert [w["page"]["id"] for w in busy] == [r["id"] for r in expected if r["visits"] >= 200][:5]
    assert all(w["page"]["visits"] >= 200 for w in busy)
    assert len(api.query("{ weakPages { impact } }")["weakPages"]) == min(20, len(expected))


def test_turnaround_hotspots(api: Api, data: Analyzed, neo4j_driver: Driver) -> None:
    q = """{ turnaroundHotspots(limit: 50) {
      page { id } turnarounds opportunities rate siteRate qValue pValue isHotspot } }"""
    hotspots = api.query(q)["turnaroundHotspots"]
    # The planted hotspots, and the pages the planted misleading links lead to: customers
    # arriving by such a link turn straight back.
    misled = {b for _, b in data.truth["misleading_links"]}
    assert {h["page"]["id"] for h in hotspots} == set(data.truth["hotspots"]) | misled
    sums = cypher(
        neo4j_driver,
        "MATCH (p:Page) RETURN sum(p.turnarounds) AS t, sum(p.turnaroundOpportunities) AS o",
    )[0]
    for h in hotspots:
        props = _page_props(neo4j_driver, h["page"]["id"])
        assert h["turnarounds"] == props["turnarounds"]
        assert h["opportunities"] == props["turnaroundOpportunities"]
        assert h["rate"] == pytest.approx(h["turnarounds"] / h["opportunities"])
        assert h["siteRate"] == pytest.approx(sums["t"] / sums["o"])
        assert h["qValue"] == props["hotspotQValue"] <= 0.05
        assert h["isHotspot"] is True
    q_values = [h["qValue"] for h in hotspots]
    assert q_values == sorted(q_values)
    assert len(api.query("{ turnaroundHotspots(limit: 1) { rate } }")["turnaroundHotspots"]) == 1


def test_escalation_hotspots(api: Api, data: Analyzed, neo4j_driver: Driver) -> None:
    q = """{ escalationHotspots(limit: 50) {
      page { id isEscalationHotspot escalationStats { qValue } }
      escalations visits rate siteRate pValue qValue isEscalationHotspot } }"""
    hotspots = api.query(q)["escalationHotspots"]
    assert {h["page"]["id"] for h in hotspots} == set(data.truth["escalation_hotspots"])
    sums = cypher(
        neo4j_driver, "MATCH (p:Page) RETURN sum(p.escalations) AS e, sum(p.visits) AS v"
    )[0]
    for h in hotspots:
        props = _page_props(neo4j_driver, h["page"]["id"])
        assert (h["escalations"], h["visits"]) == (props["escalations"], props["visits"])
        assert h["rate"] == pytest.approx(h["escalations"] / h["visits"])
        assert h["siteRate"] == pytest.approx(sums["e"] / sums["v"])
        assert h["rate"] > h["siteRate"]
        assert h["qValue"] == props["escalationQValue"] <= 0.05
        assert h["pValue"] == props["escalationPValue"] <= h["qValue"]
        assert h["isEscalationHotspot"] is h["page"]["isEscalationHotspot"] is True
        assert h["page"]["escalationStats"]["qValue"] == h["qValue"]
        assert "ESCALATION_HOTSPOT" in props["weakReasons"]
    q_values = [h["qValue"] for h in hotspots]
    assert q_values == sorted(q_values)
    # Escalations on a page are the escalated paths whose last page it is.
    ended = cypher(
        neo4j_driver,
        "MATCH (p:Path {outcome: 'ESCALATED'})-[:ENDED_BY]->(:Marker {type: 'escalation'}) "
        "RETURN last(p.pages) AS page, count(*) AS n",
    )
    by_last_page = {r["page"]: r["n"] for r in ended}
    assert all(h["escalations"] == by_last_page[h["page"]["id"]] for h in hotspots)
    for r in ended:
        assert _page_props(neo4j_driver, r["page"])["escalations"] == r["n"]


def _route_probability(driver: Driver, route: list[str]) -> float:
    p = 1.0
    for a, b in itertools.pairwise(route):
        rows = cypher(
            driver,
            "MATCH (x:Page {id: $a})-[t:TRANSITION]->(:Page {id: $b}) "
            "MATCH (x)-[o:TRANSITION]->() RETURN t.count AS n, sum(o.count) AS total",
            a=a,
            b=b,
        )
        p *= rows[0]["n"] / rows[0]["total"]
    return p


def test_shortest_success_paths(api: Api, data: Analyzed, neo4j_driver: Driver) -> None:
    q = """query($id: ID!) {
      fewest: shortestSuccessPath(fromPageId: $id) {
        mode pages { id } pageIds clicks probability observedMeanClicks }
      likely: shortestSuccessPath(fromPageId: $id, mode: MOST_LIKELY) {
        mode pages { id } clicks probability observedMeanClicks }
      page(id: $id) { successPath(mode: MOST_LIKELY) { pageIds } } }"""
    checked = 0
    for page in data.pages[:40]:
        page_id = page["page_id"]
        props = _page_props(neo4j_driver, page_id)
        answer = api.query(q, {"id": page_id})
        if props.get("successPathFewest") is None:
            assert answer["fewest"] is None
            continue
        fewest, likely = answer["fewest"], answer["likely"]
        assert fewest["mode"] == "FEWEST_CLICKS"
        assert [p["id"] for p in fewest["pages"]] == fewest["pageIds"] == props["successPathFewest"]
        assert fewest["clicks"] == props["successPathFewestClicks"]
        assert fewest["observedMeanClicks"] == props.get("observedMeanClicksToResolution")
        assert fewest["probability"] == pytest.approx(
            _route_probability(neo4j_driver, props["successPathFewest"])
        )
        assert [p["id"] for p in likely["pages"]] == props["successPathLikely"]
        assert likely["clicks"] == props["successPathLikelyClicks"]
        assert likely["probability"] == props["successPathLikelyProbability"]
        assert likely["probability"] >= fewest["probability"] - 1e-12
        assert answer["page"]["successPath"]["pageIds"] == props["successPathLikely"]
        checked += 1
    assert checked >= 20
