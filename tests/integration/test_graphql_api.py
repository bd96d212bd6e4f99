"""The GraphQL API over real HTTP: `pathrank serve` in a subprocess against the real Neo4j,
filled with simulated data and analysed, queried with the `gql` client.

Answers are checked against what the graph holds (Cypher through the test's own driver),
so each test fails if the API reads, sorts, pages or computes anything differently.
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXTransport
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from neo4j import Driver

from graphql_api.app import STATIC_DIR
from tests.conftest import run_cli
from tests.integration import datasets
from tests.integration.analyzed import Analyzed
from tests.integration.api_server import free_port, serve
from tests.tiers import examples

API_KEY = f"test-key-{uuid.uuid4().hex}"
# Votes, tickets and chats too, and two misleading links (the dashboard's data set).
DATASET = datasets.HELP_CENTER


@dataclass
class Api:
    base: str

    @property
    def url(self) -> str:
        return f"{self.base}/graphql"

    def transport(self, headers: dict[str, str] | None = None) -> HTTPXTransport:
        return HTTPXTransport(url=self.url, headers=headers, timeout=120)

    def query(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Data of a query that must succeed."""
        client = Client(transport=self.transport(headers))
        result: dict[str, Any] = client.execute(GraphQLRequest(query, variable_values=variables))
        return result

    def errors(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Errors of a query that must fail with GraphQL errors."""
        client = Client(transport=self.transport(headers))
        with pytest.raises(TransportQueryError) as failure:
            client.execute(GraphQLRequest(query, variable_values=variables))
        errors = failure.value.errors
        assert errors
        return list(errors)

    def queries_cost(self, query: str, variables: dict[str, Any] | None = None) -> int:
        """Neo4j statements one request cost, from the server's X-Neo4j-Queries header."""
        transport = self.transport()
        Client(transport=transport).execute(GraphQLRequest(query, variable_values=variables))
        assert transport.response_headers is not None
        return int(transport.response_headers["x-neo4j-queries"])

    def metric(self, name: str, **labels: str) -> float:
        text = httpx.get(f"{self.base}/metrics").text
        total = 0.0
        for line in text.splitlines():
            if not line.startswith(name + "{") and not line.startswith(name + " "):
                continue
            if all(f'{k}="{v}"' in line for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
        return total


@pytest.fixture(scope="module")
def api(services: dict[str, Any], data: Analyzed) -> Iterator[Api]:
    # These tests measure execution (answers, query counts): the response cache is tested
    # in test_response_cache.py.
    with serve(services, PATHRANK_API_KEY=API_KEY, PATHRANK_API_CACHE="0") as base:
        yield Api(base)


def cypher(driver: Driver, query: str, **params: Any) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(query, params)
    return [dict(r) for r in records]


def _page_props(driver: Driver, page_id: str) -> dict[str, Any]:
    return cypher(driver, "MATCH (p:Page {id: $id}) RETURN properties(p) AS p", id=page_id)[0]["p"]


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


def test_path_stats_are_live_from_the_paths(api: Api, data: Analyzed, neo4j_driver: Driver) -> None:
    stats = api.query(
        """{ pathStats { completed resolved abandoned escalated open meanLength varianceLength
             turnaroundRate selfServiceRate escalationRate orphanMarkers
             byOutcome { outcome paths meanLength varianceLength withTurnarounds } } }"""
    )["pathStats"]
    paths = cypher(
        neo4j_driver, "MATCH (p:Path) RETURN p.outcome AS o, p.length AS n, p.turnarounds AS t"
    )
    completed = [p for p in paths if p["o"] != "OPEN"]
    lengths = [p["n"] for p in completed]
    assert stats["completed"] == len(completed)
    assert stats["resolved"] == sum(p["o"] == "RESOLVED" for p in paths)
    assert stats["abandoned"] == sum(p["o"] == "ABANDONED" for p in paths)
    assert stats["escalated"] == sum(p["o"] == "ESCALATED" for p in paths) > 0
    assert stats["escalationRate"] == pytest.approx(stats["escalated"] / stats["completed"])
    orphans = cypher(
        neo4j_driver,
        "MATCH (m:Marker) WHERE NOT EXISTS { (m)<-[:ENDED_BY]-(:Path) } RETURN count(m) AS n",
    )[0]["n"]
    assert stats["orphanMarkers"] == orphans
    assert stats["open"] == sum(p["o"] == "OPEN" for p in paths)
    assert stats["meanLength"] == pytest.approx(statistics.fmean(lengths))
    assert stats["varianceLength"] == pytest.approx(statistics.pvariance(lengths))
    assert stats["turnaroundRate"] == pytest.approx(
        sum(p["t"] > 0 for p in completed) / len(completed)
    )
    assert stats["selfServiceRate"] == pytest.approx(stats["resolved"] / stats["completed"])
    for row in stats["byOutcome"]:
        own = [p["n"] for p in paths if p["o"] == row["outcome"]]
        assert row["paths"] == len(own)
        if own:
            assert row["varianceLength"] == pytest.approx(statistics.pvariance(own))


def test_customer_paths_community_and_similar(api: Api, neo4j_driver: Driver) -> None:
    customer = cypher(
        neo4j_driver,
        "MATCH (c:Customer)-[:TOOK]->(p:Path) WHERE c.community IS NOT NULL "
        "AND EXISTS { (c)-[:SIMILAR]->() } "
        "WITH c, count(p) AS n WHERE n >= 3 RETURN c.id AS id, c.community AS k "
        "ORDER BY n DESC, id LIMIT 1",
    )[0]
    q = """query($id: ID!, $after: String) { customer(id: $id) {
      id community { id size }
      paths(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor }
        edges { node { id start end length outcome turnarounds pageIds
                       pages { id } customer { id } durationSeconds } } }
      similarCustomers(limit: 3) { customer { id community { id } } score }
      visitedPages(limit: 2) { page { id } count } } }"""
    paths: list[dict[str, Any]] = []
    after = None
    while True:
        c = api.query(q, {"id": customer["id"], "after": after})["customer"]
        paths += [e["node"] for e in c["paths"]["edges"]]
        if not c["paths"]["pageInfo"]["hasNextPage"]:
            break
        after = c["paths"]["pageInfo"]["endCursor"]
    stored = cypher(
        neo4j_driver,
        "MATCH (:Customer {id: $id})-[:TOOK]->(p:Path) RETURN p.id AS id, p.pages AS pages, "
        "p.length AS length, p.outcome AS outcome, p.start AS start, p.end AS end "
        "ORDER BY p.start, p.id",
        id=customer["id"],
    )
    assert c["paths"]["totalCount"] == len(stored) == len(paths)
    assert [p["id"] for p in paths] == [s["id"] for s in stored]
    for p, s in zip(paths, stored, strict=True):
        assert p["pageIds"] == [x["id"] for x in p["pages"]] == s["pages"]
        assert (p["length"], p["outcome"]) == (s["length"], s["outcome"])
        assert p["customer"]["id"] == customer["id"]
        assert p["durationSeconds"] == pytest.approx((s["end"] - s["start"]) / 1000)
        assert p["start"].startswith(time.strftime("%Y-%m-%dT", time.gmtime(s["start"] / 1000)))
    assert c["community"]["id"] == str(customer["k"])
    expected = {
        "similarCustomers": "MATCH (:Customer {id: $id})-[s:SIMILAR]->(o) "
        "RETURN o.id AS id, s.score AS n ORDER BY n DESC, id LIMIT 3",
        "visitedPages": "MATCH (:Customer {id: $id})-[v:VISITED]->(p) "
        "RETURN p.id AS id, v.count AS n ORDER BY n DESC, id LIMIT 2",
    }
    for field_name, query in expected.items():
        rows = cypher(neo4j_driver, query, id=customer["id"])
        got = [
            (x["customer"]["id"], x["score"]) if "score" in x else (x["page"]["id"], x["count"])
            for x in c[field_name]
        ]
        assert got == [(r["id"], r["n"]) for r in rows], field_name
    resolved = api.query(
        "query($id: ID!) { customer(id: $id) { paths(outcome: RESOLVED) { totalCount } } }",
        {"id": customer["id"]},
    )
    assert resolved["customer"]["paths"]["totalCount"] == sum(
        s["outcome"] == "RESOLVED" for s in stored
    )


def test_communities(api: Api, neo4j_driver: Driver) -> None:
    stored = {
        str(r["c"]["id"]): r["c"]
        for r in cypher(neo4j_driver, "MATCH (c:Community) RETURN properties(c) AS c")
    }
    assert stored
    q = """query($after: String) { communities(first: 1, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { node { id size completedPaths resolutionRate meanPathLength turnaroundRate
                     topPages { id } members(first: 3) { totalCount nodes { id } } } } } }"""
    seen: list[dict[str, Any]] = []
    after = None
    while True:
        page = api.query(q, {"after": after})["communities"]
        assert page["totalCount"] == len(stored)
        seen += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [c["id"] for c in seen] == sorted(stored, key=int)
    for c in seen:
        s = stored[c["id"]]
        assert (c["size"], c["completedPaths"]) == (s["size"], s["completedPaths"])
        # A community without completed paths has no rates: Neo4j stores no null property.
        assert (c["resolutionRate"], c["meanPathLength"], c["turnaroundRate"]) == (
            s.get("resolutionRate"),
            s.get("meanPathLength"),
            s.get("turnaroundRate"),
        )
        assert [p["id"] for p in c["topPages"]] == s["topPages"]
        assert c["members"]["totalCount"] == s["size"]
        members = cypher(
            neo4j_driver,
            "MATCH (m:Customer {community: $k}) RETURN m.id AS id ORDER BY id LIMIT 3",
            k=int(c["id"]),
        )
        assert [m["id"] for m in c["members"]["nodes"]] == [m["id"] for m in members]
        one = api.query(f'{{ community(id: "{c["id"]}") {{ id size }} }}')["community"]
        assert one == {"id": c["id"], "size": c["size"]}
    by_size = api.query("{ communities(orderBy: SIZE) { nodes { size } } }")["communities"]
    sizes = [n["size"] for n in by_size["nodes"]]
    assert sizes == sorted(sizes, reverse=True)


def test_link_suggestions(api: Api, neo4j_driver: Driver) -> None:
    top = api.query(
        "{ linkSuggestions(limit: 5) { from { id } to { id title } clicksSaved paths rank } }"
    )["linkSuggestions"]
    stored = cypher(
        neo4j_driver,
        "MATCH (a)-[s:SUGGESTED_LINK]->(b) RETURN a.id AS a, b.id AS b, s.clicksSaved AS saved, "
        "s.rank AS rank ORDER BY rank LIMIT 5",
    )
    assert [(s["from"]["id"], s["to"]["id"], s["clicksSaved"], s["rank"]) for s in top] == [
        (r["a"], r["b"], r["saved"], r["rank"]) for r in stored
    ]
    page = top[0]["from"]["id"]
    from_page = api.query(
        f'{{ page(id: "{page}") {{ linkSuggestions(limit: 500) {{ to {{ id }} clicksSaved }} }} }}'
    )["page"]["linkSuggestions"]
    assert top[0]["to"]["id"] in {s["to"]["id"] for s in from_page}


def test_paths_through_a_page(api: Api, neo4j_driver: Driver) -> None:
    page_id = "p001"
    q = """query($id: ID!, $after: String, $outcome: PathOutcome) { page(id: $id) {
      pathsThrough(first: 50, after: $after, outcome: $outcome) {
        totalCount pageInfo { hasNextPage endCursor } nodes { id pageIds start } } } }"""
    for outcome in (None, "ABANDONED"):
        seen: list[dict[str, Any]] = []
        after = None
        while True:
            conn = api.query(q, {"id": page_id, "after": after, "outcome": outcome})["page"][
                "pathsThrough"
            ]
            seen += conn["nodes"]
            if not conn["pageInfo"]["hasNextPage"]:
                break
            after = conn["pageInfo"]["endCursor"]
        expected = cypher(
            neo4j_driver,
            "MATCH (p:Path) WHERE $id IN p.pages AND ($o IS NULL OR p.outcome = $o) "
            "RETURN p.id AS id ORDER BY p.start DESC, p.id DESC",
            id=page_id,
            o=outcome,
        )
        assert [p["id"] for p in seen] == [r["id"] for r in expected]
        assert conn["totalCount"] == len(expected)
        assert all(page_id in p["pageIds"] for p in seen)


def test_latest_analysis_and_runs(api: Api, neo4j_driver: Driver) -> None:
    runs = api.query("{ analysisRuns { id startedAt } latestAnalysis { id pages steps { name } } }")
    stored = cypher(
        neo4j_driver,
        "MATCH (r:AnalysisRun) RETURN r.id AS id, r.pages AS pages ORDER BY r.startedAt DESC",
    )
    assert [r["id"] for r in runs["analysisRuns"]] == [r["id"] for r in stored][:10]
    assert runs["latestAnalysis"]["id"] == stored[0]["id"]
    assert runs["latestAnalysis"]["pages"] == stored[0]["pages"]
    assert "pageRank (GDS)" in {s["name"] for s in runs["latestAnalysis"]["steps"]}


def test_run_analysis_needs_the_api_key(api: Api, neo4j_driver: Driver) -> None:
    def runs() -> int:
        return int(cypher(neo4j_driver, "MATCH (r:AnalysisRun) RETURN count(r) AS n")[0]["n"])

    mutation = """mutation { runAnalysis { id startedAt durationMs steps { name seconds }
      pages transitions customers paths clicks hotspots highExitPages weakPages communities
      linkSuggestions } }"""
    before = runs()
    for headers in (
        None,
        {"X-API-Key": "wrong"},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {API_KEY}"},
    ):
        errors = api.errors(mutation, headers=headers)
        assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert runs() == before
    run = api.query(mutation, headers={"X-API-Key": API_KEY})["runAnalysis"]
    assert runs() == before + 1
    stored = cypher(
        neo4j_driver, "MATCH (r:AnalysisRun {id: $id}) RETURN properties(r) AS r", id=run["id"]
    )[0]["r"]
    assert run["durationMs"] == stored["durationMs"] > 0
    assert run["pages"] == stored["pages"] > 0
    assert run["communities"] == stored["communities"]
    assert run["hotspots"] == stored["hotspots"] == len(data_hotspots(neo4j_driver))
    assert len(run["steps"]) >= 8
    assert all(s["seconds"] >= 0 for s in run["steps"])
    assert api.query("{ latestAnalysis { id } }")["latestAnalysis"]["id"] == run["id"]


def data_hotspots(driver: Driver) -> list[str]:
    return [r["id"] for r in cypher(driver, "MATCH (p:Page {isHotspot: true}) RETURN p.id AS id")]


def test_unknown_ids_give_null(api: Api) -> None:
    answer = api.query(
        """{ page(id: "no-such-page") { id } customer(id: "no-such-customer") { id }
             community(id: "987654") { id } notANumber: community(id: "abc") { id }
             huge: community(id: "99999999999999999999999") { id }
             shortestSuccessPath(fromPageId: "no-such-page") { clicks }
             likely: shortestSuccessPath(fromPageId: "", mode: MOST_LIKELY) { clicks } }"""
    )
    assert answer == {
        "page": None,
        "customer": None,
        "community": None,
        "notANumber": None,
        "huge": None,
        "shortestSuccessPath": None,
        "likely": None,
    }


# ---- limits and abuse: GraphQL errors, never HTTP 500 -------------------------------------


def _nested(levels: int) -> str:
    inner = "id"
    for _ in range(levels):
        inner = f"outgoing(limit: 1) {{ to {{ {inner} }} }}"
    return f'{{ page(id: "p000") {{ {inner} }} }}'


def test_depth_limit(api: Api) -> None:
    assert api.query(_nested(4))["page"] is not None  # depth 10
    errors = api.errors(_nested(5))
    assert "maximum operation depth of 10" in errors[0]["message"]


@pytest.mark.parametrize(
    "query",
    [
        "{ pages(first: 501) { totalCount } }",
        "{ pages(first: 100000) { totalCount } }",
        '{ page(id: "p000") { outgoing(limit: 501) { count } } }',
        "{ communities(first: 501) { totalCount } }",
        '{ customer(id: "c00001") { paths(first: 1000) { totalCount } } }',
    ],
)
def test_page_size_limit(api: Api, query: str) -> None:
    errors = api.errors(query)
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "between 0 and 500" in errors[0]["message"]


def test_page_size_limit_through_variables(api: Api) -> None:
    q = "query($n: Int) { pages(first: $n) { totalCount } }"
    assert api.errors(q, {"n": 501})[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert api.query(q, {"n": 500})["pages"]["totalCount"] > 0


def test_size_limits(api: Api) -> None:
    aliases = "{ " + " ".join(f"a{i}: pathStats {{ open }}" for i in range(16)) + " }"
    assert "aliases" in api.errors(aliases)[0]["message"]
    tokens = "{ " + "pathStats { open } " * 600 + "}"
    assert "tokens" in api.errors(tokens)[0]["message"]
    costly = "{ pages(first: 500) { edges { node { outgoing(limit: 500) { to { id } } } } } }"
    assert api.errors(costly)[0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30))
    bomb = f"query B {{ ...F0 }} {fragments} fragment F30 on Query {{ pathStats {{ open }} }}"
    assert api.errors(bomb)[0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"query": "{ pages { ', "application/json", 400),  # not JSON
        (b'{"query": "{ pages { "}', "application/json", 200),  # not GraphQL
        (b'{"query": "{ nope }"}', "application/json", 200),
        (b'{"query": 42}', "application/json", 400),
        (b'{"query": "{ pathStats { open } }", "variables": [1]}', "application/json", 400),
        (b"[]", "application/json", 400),
        (b"{}", "application/json", 400),
        (b"query", "text/plain", 400),
        (b'{"query": "{ pathStats { open } }"}' + b" " * 200_000, "application/json", 413),
    ],
)
def test_malformed_requests_get_graphql_errors(
    api: Api, body: bytes, content_type: str, status: int
) -> None:
    response = httpx.post(api.url, content=body, headers={"content-type": content_type})
    assert response.status_code == status
    assert response.json()["errors"][0]["message"]


def test_http_misuse(api: Api) -> None:
    get_mutation = httpx.get(api.url, params={"query": "mutation { runAnalysis { id } }"})
    assert get_mutation.status_code == 400
    assert get_mutation.json()["errors"]
    assert httpx.put(api.url, content=b"{}").status_code == 405
    get_query = httpx.get(api.url, params={"query": "{ pathStats { open } }"})
    assert get_query.status_code == 200
    assert get_query.json()["data"]["pathStats"]["open"] >= 0


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    text=st.text(max_size=120)
    | st.from_regex(r"\{ ?(pages|page|weakPages)\(?[a-z]*:? ?-?[0-9\"]*\)? ?\{? ?[a-zA-Z ]*\}?"),
    # JSON has no NaN or infinity, so a client cannot send them.
    first=st.none()
    | st.integers(-(2**40), 2**40)
    | st.text(max_size=4)
    | st.floats(allow_nan=False, allow_infinity=False),
    after=st.none() | st.text(max_size=40) | st.integers(),
)
def test_arbitrary_input_never_gets_a_500(api: Api, text: str, first: Any, after: Any) -> None:
    for payload in (
        {"query": text},
        {
            "query": "query($f: Int, $a: String) { pages(first: $f, after: $a) { totalCount } }",
            "variables": {"f": first, "a": after},
        },
    ):
        response = httpx.post(api.url, json=payload)
        assert response.status_code in (200, 400), response.text
        body = response.json()
        assert body.get("errors") or body.get("data") is not None
        codes = {e.get("extensions", {}).get("code") for e in body.get("errors") or []}
        assert "INTERNAL_SERVER_ERROR" not in codes, body


# ---- cost: a nested query is a bounded number of Neo4j queries ------------------------------

NESTED = """query($first: Int) { pages(first: $first) { edges { node {
  outgoing(limit: 5) { to { title } } } } } }"""


def test_nested_query_costs_a_constant_number_of_neo4j_queries(api: Api) -> None:
    before = api.metric("pathrank_neo4j_queries_total")
    fifty = api.queries_cost(NESTED, {"first": 50})
    after = api.metric("pathrank_neo4j_queries_total")
    assert after - before == fifty  # the header and the server's counter agree
    # pages + one batch of transitions + one batch of the target pages not loaded already
    # (none when the listed pages include every target); without DataLoaders it would be
    # 1 + first + 5 x first.
    for first in (1, 5, 50, 200):
        assert api.queries_cost(NESTED, {"first": first}) <= 3, first
    assert fifty == 3


def test_page_explorer_query_costs_a_bounded_number_of_queries(api: Api) -> None:
    explorer = """query($id: ID!) { page(id: $id) {
      id title visits successProbability isHotspot
      outgoing(limit: 10) { count probability to { id title isHotspot } }
      incoming(limit: 10) { count probability from { id title } }
      hotspotStats { rate siteRate qValue } exitStats { rate siteRate }
      fewest: successPath { clicks probability pages { id title } }
      likely: successPath(mode: MOST_LIKELY) { clicks probability pages { id title } }
      pathsThrough(first: 20) { totalCount edges { node { id outcome pages { id title }
                                                          customer { id } } } }
      linkSuggestions { to { title } clicksSaved } } }"""
    cost = api.queries_cost(explorer, {"id": "p000"})
    # 8 reads of their own (site rates, transitions out and in, route probabilities, link
    # suggestions, paths through and their count, customers) and at most one batch of pages
    # per list that names pages: the page, its targets, its sources, the route, the paths'
    # pages, the suggestions' targets (a batch whose pages are all loaded costs nothing).
    assert cost <= 8 + 6
    listing = """{ pages(first: 100) { edges { node { id incoming(limit: 3) { from { title } }
      successPath { pages { title } probability } hotspotStats { siteRate }
      pathsThrough(first: 2) { totalCount nodes { customer { id community { size } } } } } } } }"""
    assert api.queries_cost(listing) <= 12


# ---- the rest of the server ---------------------------------------------------------------


def test_healthz_metrics_graphiql_and_index(api: Api) -> None:
    health = httpx.get(f"{api.base}/healthz")
    assert health.status_code == 200
    body = health.json()
    assert body.pop("assist") in ("live", "waiting")  # whether the assist topic exists yet
    assert body == {"status": "ok", "neo4j": "up", "collector": "off"}  # no write key here
    api.query("query WeakOnes { weakPages(limit: 1) { impact } }")
    metrics = httpx.get(f"{api.base}/metrics")
    assert metrics.status_code == 200
    for name in (
        "pathrank_http_requests_total",
        "pathrank_http_request_duration_seconds_bucket",
        "pathrank_graphql_operations_total",
        "pathrank_graphql_operation_duration_seconds_bucket",
        "pathrank_neo4j_queries_total",
        "pathrank_graphql_neo4j_queries_per_request_bucket",
    ):
        assert name in metrics.text, name
    assert api.metric("pathrank_graphql_operations_total", operation="WeakOnes", result="ok") >= 1
    assert api.metric("pathrank_neo4j_queries_total", query="weak_pages") >= 1
    graphiql = httpx.get(api.url, headers={"accept": "text/html"})
    assert graphiql.status_code == 200
    assert "graphiql" in graphiql.text.lower()
    index = httpx.get(f"{api.base}/")
    assert index.status_code == 200
    dashboard = STATIC_DIR / "index.html"
    if dashboard.is_file():  # the dashboard, once it is there
        assert index.text == dashboard.read_text(encoding="utf-8")
    else:  # the placeholder links to GraphiQL
        assert 'href="/graphql"' in index.text


def test_no_request_got_a_5xx(api: Api) -> None:
    """Runs last in this module: nothing above made the server fail."""
    text = httpx.get(f"{api.base}/metrics").text
    failed = [line for line in text.splitlines() if re.search(r'status="5\d\d"', line)]
    assert not failed, failed


def test_serve_reports_unreachable_neo4j_in_one_line() -> None:
    result = run_cli(
        "serve", "--port", str(free_port()), env={"PATHRANK_NEO4J_URI": "bolt://127.0.0.1:1"}
    )
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert "Neo4j is not reachable" in result.stderr


def test_serve_reports_a_busy_port_in_one_line(api: Api, services: dict[str, Any]) -> None:
    n = services["neo4j"]
    result = run_cli(
        "serve",
        "--port",
        api.base.rsplit(":", 1)[1],
        env={"PATHRANK_NEO4J_URI": n["bolt_uri"], "PATHRANK_NEO4J_PASSWORD": n["password"]},
    )
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert "cannot listen" in result.stderr
