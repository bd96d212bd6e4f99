"""The GraphQL API over real HTTP, its paths, customers, communities, suggestions and runs:
`pathrank serve` in a subprocess against the real Neo4j, filled with simulated data and
analysed, queried with the `gql` client (pages and their figures: test_graphql_api.py).

Answers are checked against what the graph holds (Cypher through the test's own driver),
so each test fails if the API reads, sorts, pages or computes anything differently. The
server itself (limits over HTTP, query counts, health, metrics) is test_graphql_server.py;
the limits' rules are tests/unit/test_graphql_limits.py.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import pytest
from neo4j import Driver

from tests.integration import datasets
from tests.integration.analyzed import Analyzed
from tests.integration.graphql_http import Api, cypher

DATASET = datasets.HELP_CENTER


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
