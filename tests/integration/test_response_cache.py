"""The API's response cache against the real Neo4j: a repeated query is answered from memory,
and after each kind of write our software makes (an ingest batch, a catalog upsert, an
analysis run, runAnalysis, a clear) the next read returns the new data. Each writer test
first makes sure the old answer IS cached, so it fails if that writer stops changing the
graph version.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from neo4j import Driver

from graph_model.page.record import CatalogEntry
from tests.integration.analyzed import Analyzed, load_simulation
from tests.integration.api_server import serve
from tests.integration.ingest_helpers import TestGraph, load_events, wiring

API_KEY = f"test-key-{uuid.uuid4().hex}"
EVENTS = 3_000


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.Client(base_url=base, timeout=120)

    def post(self, query: str, headers: dict[str, str] | None = None) -> httpx.Response:
        response = self.http.post("/graphql", json={"query": query}, headers=headers)
        assert response.status_code == 200, response.text
        return response

    def data(self, query: str) -> tuple[dict[str, Any], str | None]:
        """The data of a query that must succeed, and whether it was a cache hit or miss."""
        response = self.post(query)
        body = response.json()
        assert "errors" not in body, body
        return body["data"], response.headers.get("x-response-cache")

    def cached(self, query: str) -> dict[str, Any]:
        """Asks twice: the second answer must come from the cache, unchanged."""
        first, _ = self.data(query)
        second, how = self.data(query)
        assert how == "hit"
        assert second == first
        return first


@pytest.fixture(scope="module")
def data(neo4j_driver: Driver) -> Analyzed:
    return load_simulation(neo4j_driver, events=EVENTS)


@pytest.fixture(scope="module")
def api(services: dict[str, Any], data: Analyzed) -> Iterator[Client]:
    with serve(services, PATHRANK_API_KEY=API_KEY) as base:
        yield Client(base)


@pytest.fixture
def store(neo4j_driver: Driver) -> TestGraph:
    return TestGraph(neo4j_driver)


def test_a_repeated_query_is_a_hit_costing_one_neo4j_query(api: Client) -> None:
    query = "{ pages(first: 50) { totalCount edges { node { id title visits } } } }"
    first = api.post(query)
    second = api.post(query)
    assert second.headers["x-response-cache"] == "hit"
    assert second.headers["x-neo4j-queries"] == "1"
    assert second.content == first.content
    metrics = httpx.get(f"{api.base}/metrics").text
    assert 'pathrank_graphql_response_cache_total{result="hit"}' in metrics


def test_catalog_upsert_is_seen(api: Client, store: TestGraph, data: Analyzed) -> None:
    page = data.pages[1]
    query = f'{{ page(id: "{page["page_id"]}") {{ title }} }}'
    assert api.cached(query)["page"]["title"] == page["title"]
    title = f"Renamed {uuid.uuid4().hex[:6]}"
    wiring().catalog_store(store.driver).upsert(
        [CatalogEntry(page["page_id"], title, page["url"], tuple(page["links"]))]
    )
    assert api.data(query) == ({"page": {"title": title}}, "miss")


def test_ingest_batch_is_seen(api: Client, store: TestGraph, data: Analyzed) -> None:
    customer = f"cache-{uuid.uuid4().hex[:8]}"
    query = f'{{ customer(id: "{customer}") {{ id paths {{ totalCount }} }} }}'
    assert api.cached(query) == {"customer": None}
    last = data.events[-1]
    event = {**last, "customer_id": customer, "event_id": f"{customer}-0"}
    load_events(store.driver, [event])
    found, how = api.data(query)
    assert how == "miss"
    assert found == {"customer": {"id": customer, "paths": {"totalCount": 1}}}


def test_analysis_run_is_seen_including_reads_made_during_the_run(
    api: Client, neo4j_driver: Driver
) -> None:
    query = "{ latestAnalysis { id } weakPages(limit: 3) { page { id } } }"
    before = api.cached(query)["latestAnalysis"]
    during: list[dict[str, Any]] = []

    def read_mid_run(step: str) -> None:
        if step == "switch":  # everything computed and staged, nothing visible yet
            during.append(api.cached(query))

    report = wiring().analysis(neo4j_driver, read_mid_run).run()
    assert during  # read (and cached) mid-run
    assert during[0]["latestAnalysis"] == before
    after, how = api.data(query)
    assert how == "miss"
    assert after["latestAnalysis"] == {"id": report.id}


def test_an_analysis_that_fails_half_way_is_seen(api: Client, neo4j_driver: Driver) -> None:
    """A run that fails before its switch leaves the previous run's results current; its
    FAILED record changes the version, so the next read shows the failure (never an answer
    cached before it) beside the previous results, and is cached again."""
    query = (
        "{ communities(first: 1) { totalCount } latestAnalysis { id } "
        "analysisRuns(limit: 1) { id status error } }"
    )
    before = api.cached(query)
    assert before["communities"]["totalCount"] > 0  # the previous run's

    def fail(step: str) -> None:
        if step == "stage similar customers":  # communities staged, the rest not
            raise RuntimeError("killed half way")

    analysis = wiring().analysis(neo4j_driver, fail)
    with pytest.raises(RuntimeError, match="half way"):
        analysis.run()
    after, how = api.data(query)
    assert how == "miss"
    assert after["communities"] == before["communities"]
    assert after["latestAnalysis"] == before["latestAnalysis"]
    assert after["analysisRuns"] == [
        {"id": analysis.run_id, "status": "FAILED", "error": "killed half way"}
    ]
    assert api.data(query) == (after, "hit")


def test_mutations_and_errors_are_never_cached(api: Client) -> None:
    mutation = "mutation { runAnalysis { id } }"
    key = {"x-api-key": API_KEY}
    ids = []
    for _ in range(2):
        response = api.post(mutation, headers=key)
        assert response.headers["x-response-cache"] == "miss"
        ids.append(response.json()["data"]["runAnalysis"]["id"])
    assert ids[0] != ids[1]
    # The API's own write is seen by the next read.
    assert api.data("{ latestAnalysis { id } }")[0] == {"latestAnalysis": {"id": ids[1]}}
    too_deep = '{ page(id: "p000") ' + "{ outgoing { to " * 12 + "{ id }" + " } }" * 12 + " }"
    for query in (too_deep, "{ nope }"):
        for _ in range(2):
            response = api.post(query)
            assert response.json()["errors"]
            assert response.headers["x-response-cache"] == "miss"


def test_clear_is_seen_and_caching_resumes(api: Client, store: TestGraph) -> None:
    query = "{ pages(first: 1) { totalCount } }"
    assert api.cached(query)["pages"]["totalCount"] > 0
    store.clear()
    # Empty now, and cached again: the clear left a fresh version behind.
    assert api.data(query) == ({"pages": {"totalCount": 0}}, "miss")
    assert api.data(query) == ({"pages": {"totalCount": 0}}, "hit")


def test_the_flag_turns_the_cache_off(services: dict[str, Any], data: Analyzed) -> None:
    with serve(services, PATHRANK_API_CACHE="false") as base:
        client = Client(base)
        query = "{ pages(first: 1) { totalCount } }"
        costs = set()
        for _ in range(2):
            response = client.post(query)
            assert "x-response-cache" not in response.headers
            costs.add(response.headers["x-neo4j-queries"])
        assert len(costs) == 1  # executed both times alike
        assert 'query="graph_version"' not in httpx.get(f"{base}/metrics").text
