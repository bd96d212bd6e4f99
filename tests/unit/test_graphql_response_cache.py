"""The response cache: the bounded LRU itself, and the app answering repeated queries of an
unchanged graph version from it (in-process, on in-memory graph reads). That the writers
really change the version is tested against Neo4j in tests/integration/test_response_cache.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from graph_model.errors import GraphUnavailableError
from graphql_api.http.response_cache import ResponseCache
from tests import fakes
from tests.fakes import FakeGraph

QUERY = {"query": '{ page(id: "p1") { title } }'}
MUTATION = {"query": "mutation { runAnalysis { id } }"}
KEY = "k"


def with_app(
    read: FakeGraph,
    scenario: Callable[[httpx.AsyncClient], Awaitable[None]],
    cache_responses: bool = True,
) -> None:
    fakes.with_app(
        read, scenario, api_key=KEY, run_analysis=lambda: "run-1", cache_responses=cache_responses
    )


def executions(read: FakeGraph) -> int:
    return sum(call != "graph_version" for call in read.calls)


def test_lru_bounds_entries_bytes_and_age() -> None:
    now = [0.0]
    cache = ResponseCache(max_entries=2, max_bytes=1600, max_age_s=10, clock=lambda: now[0])
    cache.put(("v", b"a"), 200, (), b"1" * 10)
    cache.put(("v", b"b"), 200, (), b"2" * 10)
    assert cache.get(("v", b"a")) is not None  # a is now the most recent
    cache.put(("v", b"c"), 200, (), b"3" * 10)
    assert cache.get(("v", b"b")) is None  # the least recently used went
    assert len(cache) == 2
    cache.put(("v", b"d"), 200, (), b"4" * 99)
    assert cache.get(("v", b"d")) is not None
    cache.put(("v", b"e"), 200, (), b"5" * 101)  # over max_bytes / 16: never stored
    assert cache.get(("v", b"e")) is None
    now[0] = 11.0
    assert cache.get(("v", b"d")) is None  # expired
    assert len(cache) == 1
    assert cache.size_bytes == 10 + 1  # "c" alone: its body and its key's bytes


def test_bytes_cap_evicts_oldest() -> None:
    cache = ResponseCache(max_entries=100, max_bytes=16 * 100)
    for i in range(20):
        cache.put(("v", str(i).encode()), 200, (), b"x" * 90)
    assert cache.size_bytes <= 1600
    assert cache.get(("v", b"19")) is not None
    assert cache.get(("v", b"0")) is None


def test_repeated_query_is_answered_from_the_cache_until_the_version_changes() -> None:
    read = FakeGraph(version="v1")

    async def scenario(client: httpx.AsyncClient) -> None:
        first = await client.post("/graphql", json=QUERY)
        assert first.headers["x-response-cache"] == "miss"
        assert first.headers["x-neo4j-queries"] == "2"  # version + page
        ran = executions(read)
        second = await client.post("/graphql", json=QUERY)
        assert second.status_code == 200
        assert second.headers["x-response-cache"] == "hit"
        assert second.headers["x-neo4j-queries"] == "1"  # the version read only
        assert second.headers["content-type"] == first.headers["content-type"]
        assert second.content == first.content
        assert executions(read) == ran
        read.status.version = "v2"  # a write happened
        third = await client.post("/graphql", json=QUERY)
        assert third.headers["x-response-cache"] == "miss"
        assert executions(read) == ran + 1
        metrics = (await client.get("/metrics")).text
        assert 'pathrank_graphql_response_cache_total{result="hit"} 1.0' in metrics
        assert 'pathrank_graphql_response_cache_total{result="miss"} 2.0' in metrics

    with_app(read, scenario)


def test_get_queries_are_cached_and_graphiql_is_untouched() -> None:
    read = FakeGraph(version="v1")

    async def scenario(client: httpx.AsyncClient) -> None:
        params = {"query": "{ pages(first: 1) { totalCount } }"}
        assert (await client.get("/graphql", params=params)).headers["x-response-cache"] == "miss"
        hit = await client.get("/graphql", params=params)
        assert hit.headers["x-response-cache"] == "hit"
        assert hit.json() == {"data": {"pages": {"totalCount": 1}}}
        ide = await client.get("/graphql", headers={"accept": "text/html"})
        assert ide.status_code == 200
        assert "text/html" in ide.headers["content-type"]
        assert "x-response-cache" not in ide.headers

    with_app(read, scenario)


def test_mutations_are_never_cached() -> None:
    read = FakeGraph(version="v1")

    async def scenario(client: httpx.AsyncClient) -> None:
        for _ in range(2):
            response = await client.post("/graphql", json=MUTATION, headers={"x-api-key": KEY})
            assert response.json() == {"data": {"runAnalysis": {"id": "run-1"}}}
            assert response.headers["x-response-cache"] == "miss"
        assert read.calls.count("analysis_run") == 2

    with_app(read, scenario)


def test_errors_are_never_cached() -> None:
    read = FakeGraph(version="v1")

    async def scenario(client: httpx.AsyncClient) -> None:
        invalid = {"query": "{ page(id: 1) { nope } }"}
        too_deep = {
            "query": '{ page(id: "p1") ' + "{ outgoing { to " * 12 + "{ id }" + " } }" * 12 + " }"
        }
        for body in (invalid, too_deep, {"query": "{ page("}):
            for _ in range(2):
                response = await client.post("/graphql", json=body)
                assert "errors" in response.json()
                assert response.headers.get("x-response-cache") == "miss"
        # A read that fails (an outage) is an error too: not cached.
        read.log.fail = GraphUnavailableError("refused")
        outage = await client.post("/graphql", json={"query": "{ pathStats { open } }"})
        assert outage.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        read.log.fail = None
        again = await client.post("/graphql", json={"query": "{ pathStats { open } }"})
        assert again.headers["x-response-cache"] == "miss"
        assert again.json() == {"data": {"pathStats": {"open": 0}}}

    with_app(read, scenario)


def test_the_api_key_is_part_of_the_key() -> None:
    read = FakeGraph(version="v1")

    async def scenario(client: httpx.AsyncClient) -> None:
        await client.post("/graphql", json=QUERY, headers={"x-api-key": KEY})
        anonymous = await client.post("/graphql", json=QUERY)
        assert anonymous.headers["x-response-cache"] == "miss"
        keyed = await client.post(
            "/graphql", json=QUERY, headers={"authorization": f"Bearer {KEY}"}
        )
        assert keyed.headers["x-response-cache"] == "hit"

    with_app(read, scenario)


def test_no_version_no_cache() -> None:
    read = FakeGraph(version=None)

    async def scenario(client: httpx.AsyncClient) -> None:
        for _ in range(2):
            response = await client.post("/graphql", json=QUERY)
            assert "x-response-cache" not in response.headers
        assert read.calls.count("pages_by_ids") == 2

    with_app(read, scenario)


def test_disabled_cache_executes_every_request() -> None:
    read = FakeGraph(version="v1")

    async def scenario(client: httpx.AsyncClient) -> None:
        for _ in range(2):
            response = await client.post("/graphql", json=QUERY)
            assert "x-response-cache" not in response.headers
            assert response.headers["x-neo4j-queries"] == "1"
        assert read.calls == ["pages_by_ids", "pages_by_ids"]

    with_app(read, scenario, cache_responses=False)
