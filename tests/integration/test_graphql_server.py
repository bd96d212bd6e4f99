"""`pathrank serve` itself over real HTTP: what a client that is not a GraphQL client sends
gets a GraphQL-shaped error, never a 500; a nested query costs a bounded number of Neo4j
statements; health, metrics, GraphiQL and the dashboard are served; serve's own failures are
one line. (The limits' rules themselves: tests/unit/test_graphql_limits.py.)"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from neo4j import Driver

from graphql_api.app import STATIC_DIR
from tests.conftest import run_cli
from tests.integration import datasets
from tests.integration.api_server import free_port
from tests.integration.graphql_http import API_KEY, Api, cypher
from tests.tiers import examples

DATASET = datasets.HELP_CENTER
# It runs an analysis: after the modules that only read the data set.
WRITES_DATASET = True


# ---- what is not a GraphQL request: GraphQL errors, never HTTP 500 -------------------------


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


# An analysis through the API changes the graph: the last tests of the data set's modules.


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
