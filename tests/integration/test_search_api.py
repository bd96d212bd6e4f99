"""The search fields of the GraphQL API over real HTTP (`pathrank serve`, the `gql` client)
on simulated data with searches, checked against what the graph holds; and the dashboard's
"What customers search for" in headless Chromium (docs/api.md "Search")."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXTransport
from neo4j import Driver
from playwright.sync_api import Playwright, expect

from simulator import SimulationConfig, simulate
from tests.integration.analyzed import analyze
from tests.integration.api_server import serve
from tests.integration.browser import chromium_context, open_page
from tests.integration.ingest_helpers import NOW_MS, clean_graph, wiring

FIELDS = "text searches paths failedPaths excessFailures isContentGap noResultRate"


@pytest.fixture(scope="module")
def base(services: dict[str, Any], neo4j_driver: Driver) -> Iterator[dict[str, Any]]:
    clean_graph(neo4j_driver)
    sim = simulate(SimulationConfig.full(seed=4, events=6_000, search_share=0.3, content_gaps=4))
    wiring().load(neo4j_driver, sim.events, sim.pages, now_ms=NOW_MS)
    analyze(neo4j_driver)
    with serve(services) as url:
        yield {"url": url, "truth": sim.truth, "events": sim.events}


def query(url: str, text: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    client = Client(transport=HTTPXTransport(url=f"{url}/graphql", timeout=60))
    result: dict[str, Any] = client.execute(GraphQLRequest(text, variable_values=variables))
    return result


def errors(url: str, text: str) -> list[dict[str, Any]]:
    client = Client(transport=HTTPXTransport(url=f"{url}/graphql", timeout=60))
    with pytest.raises(TransportQueryError) as failure:
        client.execute(GraphQLRequest(text))
    return list(failure.value.errors or [])


def stored(driver: Driver) -> dict[str, dict[str, Any]]:
    records, _, _ = driver.execute_query(
        "MATCH (m:Meta {id: 'analysis'}) MATCH (f:QueryFigures {run: m.run}) RETURN f {.*} AS f"
    )
    return {r["f"]["text"]: r["f"] for r in records}


@pytest.mark.parametrize(
    ("order", "key"),
    [
        ("SEARCHES", "searches"),
        ("FAILURES", "failedPaths"),
        ("NO_RESULT_RATE", "noResultRate"),
        ("EXCESS_FAILURES", "excessFailures"),
    ],
)
def test_search_queries_walk_every_query_once_in_order(
    base: dict[str, Any], neo4j_driver: Driver, order: str, key: str
) -> None:
    graph = stored(neo4j_driver)
    seen: list[dict[str, Any]] = []
    after = None
    while True:
        page = query(
            base["url"],
            "query($after: String, $order: SearchOrder) { searchQueries(first: 7, after: $after,"
            f" orderBy: $order) {{ totalCount edges {{ cursor node {{ {FIELDS} }} }} "
            "pageInfo { hasNextPage endCursor } } }",
            {"after": after, "order": order},
        )["searchQueries"]
        assert page["totalCount"] == len(graph)
        seen += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [q["text"] for q in seen] == sorted(
        graph, key=lambda t: (-(graph[t].get(key) if graph[t].get(key) is not None else -1), t)
    )
    for q in seen:
        assert q["searches"] == graph[q["text"]]["searches"]


def test_content_gaps_search_query_and_stats(base: dict[str, Any], neo4j_driver: Driver) -> None:
    data = query(
        base["url"],
        "{ contentGaps(limit: 10) { text excessFailures results(limit: 2) { page { id } clicks }"
        " series(metric: FAILURE_RATE) { trials successes rate } }"
        ' q: searchQuery(text: "  REFUND Status?!") { text searches }'
        ' r: searchQuery(text: "refund status") { text }'
        ' none: searchQuery(text: "nobody typed this") { text }'
        " searchStats { completed withSearch searchShare failureRate contentGaps } }",
    )
    gaps = data["contentGaps"]
    assert {g["text"] for g in gaps} == set(base["truth"]["search"]["content_gaps"])
    assert [g["excessFailures"] for g in gaps] == sorted(
        (g["excessFailures"] for g in gaps), reverse=True
    )
    graph = stored(neo4j_driver)
    for g in gaps:
        figures = graph[g["text"]]
        assert sum(p["trials"] for p in g["series"]) == figures["paths"]
        assert sum(p["successes"] for p in g["series"]) == figures["failedPaths"]
        assert [r["page"]["id"] for r in g["results"]] == figures["resultPages"][:2]
    assert data["q"] == {"text": "refund status", "searches": graph["refund status"]["searches"]}
    assert data["r"] == {"text": "refund status"}
    assert data["none"] is None
    stats = data["searchStats"]
    assert stats["contentGaps"] == len(gaps)
    assert stats["withSearch"] / stats["completed"] == pytest.approx(stats["searchShare"])


def test_windows_and_segments_are_computed_on_demand(base: dict[str, Any]) -> None:
    url = base["url"]
    whole = query(
        url,
        'query { searchQueries(first: 500, from: "2000-01-01T00:00:00Z") { totalCount '
        'nodes { text searches } } searchStats(from: "2000-01-01T00:00:00Z") { withSearch } }',
    )
    stored_run = query(url, "{ searchQueries(first: 500) { nodes { text searches } } }")
    # A window that holds every path gives the analysis' own figures.
    assert sorted(whole["searchQueries"]["nodes"], key=lambda q: q["text"]) == sorted(
        stored_run["searchQueries"]["nodes"], key=lambda q: q["text"]
    )
    mobile = query(
        url,
        '{ searchQueries(first: 500, segment: "platform=mobile") { nodes { text searches } } '
        'searchStats(segment: "platform=mobile") { withSearch searches } }',
    )
    totals = {q["text"]: q["searches"] for q in stored_run["searchQueries"]["nodes"]}
    part = mobile["searchQueries"]["nodes"]
    assert part
    assert all(q["searches"] <= totals[q["text"]] for q in part)
    assert sum(q["searches"] for q in part) == mobile["searchStats"]["searches"]
    assert sum(q["searches"] for q in part) < sum(totals.values())


def test_bad_requests_are_graphql_errors(base: dict[str, Any]) -> None:
    url = base["url"]
    assert (
        "between 0 and 500"
        in errors(url, "{ searchQueries(first: 501) { totalCount } }")[0]["message"]
    )
    assert (
        "cursor"
        in errors(url, '{ searchQueries(after: "bogus") { totalCount } }')[0]["message"].lower()
    )
    other = query(url, "{ searchQueries(first: 1, orderBy: SEARCHES) { pageInfo { endCursor } } }")
    cursor = other["searchQueries"]["pageInfo"]["endCursor"]
    assert errors(
        url, f'{{ searchQueries(after: "{cursor}", orderBy: FAILURES) {{ totalCount }} }}'
    )
    assert (
        "segment" in errors(url, '{ searchStats(segment: "nonsense") { searches } }')[0]["message"]
    )
    long = "x" * 3000
    assert errors(url, f'{{ searchQuery(text: "{long}") {{ text }} }}')


def test_the_dashboard_shows_what_customers_search_for(
    base: dict[str, Any], playwright: Playwright
) -> None:
    with chromium_context(playwright) as browser:
        page, console = open_page(browser, base["url"] + "/")
        rows = page.locator("#search-table tbody tr")
        expect(rows.first).to_have_attribute("data-query", re.compile(".+"), timeout=30_000)
        gaps = base["truth"]["search"]["content_gaps"]
        texts = rows.evaluate_all("rows => rows.map(r => r.dataset.query)")
        # Content gaps first, then the most searched queries.
        assert set(texts[: len(gaps)]) == set(gaps)
        assert page.locator("#search-table tr.content-gap").count() == len(gaps)
        first = rows.first
        expect(first.locator(".badge.CONTENT_GAP")).to_be_visible()
        expect(first.locator(".search-ends")).to_contain_text("resolved")
        expect(page.locator("#search-summary")).to_contain_text("of paths search")
        assert console.problems == []
