"""The ASGI app in-process (lifespan included) on in-memory graph reads: health, metrics,
the body cap, HTTP-level errors as GraphQL-shaped JSON, and the per-request query count."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from graph_model.errors import GraphUnavailableError
from graph_model.work.record import WorkStatus
from graphql_api.app import STATIC_DIR
from graphql_api.http.hosts import allowed_hosts
from tests import fakes
from tests.fakes import FakeGraph

T = TypeVar("T")
JSON = {"content-type": "application/json"}
ACCEPT_JSON = {"accept": "application/json"}


def with_app(
    read: FakeGraph,
    scenario: Callable[[httpx.AsyncClient], Awaitable[T]],
    static_dir: Path = STATIC_DIR,
    **options: Any,
) -> T:
    return fakes.with_app(read, scenario, api_key="k", static_dir=static_dir, **options)


def test_healthz_up_and_down() -> None:
    async def up(client: httpx.AsyncClient) -> None:
        response = await client.get("/healthz")
        assert response.json() == {"status": "ok", "neo4j": "up"}

    with_app(FakeGraph(), up)

    async def down(client: httpx.AsyncClient) -> None:
        response = await client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"
        # Queries say so too, as a GraphQL error rather than a 500.
        body = (await client.post("/graphql", json={"query": "{ pathStats { open } }"})).json()
        assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"

    with_app(FakeGraph(fail=GraphUnavailableError("refused")), down)


def test_query_count_header_and_metrics() -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        query = 'query Two { page(id: "p1") { outgoing { to { title } } } }'
        response = await client.post("/graphql", json={"query": query})
        assert response.status_code == 200
        # the response cache's version read (1), page p1 (1), its transitions (1), page p2 (1)
        assert response.headers["x-neo4j-queries"] == "4"
        metrics = (await client.get("/metrics")).text
        assert (
            'pathrank_graphql_operations_total{operation="Two",result="ok",type="query"} 1.0'
        ) in metrics
        assert 'pathrank_neo4j_queries_total{query="transitions"} 1.0' in metrics
        assert 'route="/graphql",status="200"' in metrics

    with_app(FakeGraph(), scenario)


def test_http_errors_are_graphql_shaped() -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        body = b"{" + b" " * 200_000 + b"}"
        too_big = await client.post("/graphql", content=body, headers=JSON)
        assert too_big.status_code == 413
        assert too_big.json()["errors"][0]["message"].startswith("request body over")
        bad_json = await client.post("/graphql", content=b"{", headers=JSON)
        assert bad_json.status_code == 400
        assert bad_json.json()["errors"][0]["message"]
        assert (await client.put("/graphql")).status_code == 405

    with_app(FakeGraph(), scenario)


def test_index_and_static_files_are_the_dashboard(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<h1>dashboard</h1>")
    (tmp_path / "app.js").write_text("console.log(1)")

    async def dashboard(client: httpx.AsyncClient) -> None:
        assert (await client.get("/")).text == "<h1>dashboard</h1>"
        assert (await client.get("/static/app.js")).text == "console.log(1)"

    with_app(FakeGraph(), dashboard, static_dir=tmp_path)


OK_QUERY = '"query": "{ pathStats { open } }"'
NOT_GRAPHQL_BODIES = [
    b"null",
    b"42",
    b'"{ pathStats { open } }"',
    b"true",
    b"[]",
    b"[" + b"{" + OK_QUERY.encode() + b"}]",  # batching is off
    b'{"query": 1}',
    b'{"query": ["{ pathStats { open } }"]}',
    b"{" + OK_QUERY.encode() + b', "variables": 3}',
    b"{" + OK_QUERY.encode() + b', "variables": [1]}',
    b"{" + OK_QUERY.encode() + b', "operationName": 3}',
    b"{" + OK_QUERY.encode() + b', "operationName": ["Op"]}',
    b"{" + OK_QUERY.encode() + b', "operationName": {"a": 1}}',
    b"{" + OK_QUERY.encode() + b', "extensions": "x"}',
    b"{}",
    b'{"query": null}',
    b"[" * 5000 + b"]" * 5000,  # beyond the decoder's nesting limit
    b"{" + OK_QUERY.encode() + b', "variables": {"a": ' + b"[" * 5000 + b"]" * 5000 + b"}}",
    b"\xff\xfe",
]
ENCODED_QUERY = "query=%7B%20pathStats%20%7B%20open%20%7D%20%7D"
NOT_GRAPHQL_QUERY_STRINGS = [
    "",
    "query=",
    "variables=%7B%7D",
    f"{ENCODED_QUERY}&variables=3",
    f"{ENCODED_QUERY}&variables=%5B1%5D",
    f"{ENCODED_QUERY}&variables=%7B",
    f"{ENCODED_QUERY}&extensions=%5B1%5D",
    f"{ENCODED_QUERY}&extensions=%7Bx",
    f"{ENCODED_QUERY}&operationName=",
    f"{ENCODED_QUERY}&operationName=Other",
]


def _bad_request(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"data", "errors"}
    assert body["data"] is None
    [error] = body["errors"]
    assert set(error) == {"message", "extensions"}
    assert isinstance(error["message"], str)
    assert error["message"]
    assert error["extensions"] == {"code": "BAD_REQUEST"}


def test_a_body_that_is_not_a_graphql_request_is_a_400(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        for body in NOT_GRAPHQL_BODIES:
            response = await client.post("/graphql", content=body, headers=JSON)
            _bad_request(response)
        for query_string in NOT_GRAPHQL_QUERY_STRINGS:
            response = await client.get(f"/graphql?{query_string}", headers=ACCEPT_JSON)
            _bad_request(response)
        # Still fine: null variables and extensions, in the body or the query string.
        ok = b"{" + OK_QUERY.encode() + b', "variables": null, "extensions": null}'
        response = await client.post("/graphql", content=ok, headers=JSON)
        assert response.json() == {"data": {"pathStats": {"open": 0}}}
        response = await client.get(
            f"/graphql?{ENCODED_QUERY}&variables=null&extensions=%7B%7D", headers=ACCEPT_JSON
        )
        assert response.json() == {"data": {"pathStats": {"open": 0}}}

    with caplog.at_level(logging.DEBUG):
        with_app(FakeGraph(), scenario)
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []


FOREIGN_HOSTS = ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", "[::2]", ""]
STATS = {"query": "{ pathStats { open } }"}


def test_a_foreign_host_is_refused() -> None:
    read = FakeGraph(version="v1")

    async def scenario(client: httpx.AsyncClient) -> None:
        for host in FOREIGN_HOSTS:
            h = {"host": host}
            response = await client.post("/graphql", json=STATS, headers=h)
            _bad_request(response)
            ide = await client.get("/graphql", headers={**h, "accept": "text/html"})
            assert ide.status_code == 400
            for path in ("/", "/metrics", "/static/js/main.js"):
                response = await client.get(path, headers=h)
                assert response.status_code == 400, (host, path)
                assert response.headers["content-type"].startswith("text/plain")
                assert "host name" in response.text
            assert (await client.get("/healthz", headers=h)).status_code == 200  # for probes
        assert set(read.calls) == {"ping"}  # nothing else read: not even the graph's version
        for host in ("127.0.0.1", "localhost:8000", "LOCALHOST", "[::1]:8000", "[::1]"):
            response = await client.post("/graphql", json=STATS, headers={"host": host})
            assert response.json() == {"data": {"pathStats": {"open": 0}}}, host
        metrics = (await client.get("/metrics")).text
        assert 'pathrank_http_requests_total{method="POST",route="/graphql",status="400"} 5.0' in (
            metrics
        )

    with_app(read, scenario)


def test_the_allowed_hosts_can_be_configured() -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        for host, status in [
            ("api.example.com", 200),
            ("api.example.com:443", 200),
            ("a.internal.example", 200),
            ("internal.example", 400),
            ("127.0.0.1", 400),
        ]:
            response = await client.post("/graphql", json=STATS, headers={"host": host})
            assert response.status_code == status, host

    fakes.with_app(
        FakeGraph(), scenario, allowed_hosts=("API.example.com:8443", "*.internal.example")
    )


def test_allowed_hosts_default_to_the_bound_host_and_loopback() -> None:
    assert allowed_hosts("127.0.0.1") == ("127.0.0.1", "localhost", "[::1]")
    assert allowed_hosts("0.0.0.0") == ("0.0.0.0", "127.0.0.1", "localhost", "[::1]")
    assert allowed_hosts("::") == ("[::]", "127.0.0.1", "localhost", "[::1]")
    assert allowed_hosts("0.0.0.0", ("Api.Example.com:8000", " ", "[::1]:80", "fe80::1")) == (
        "api.example.com",
        "[::1]",
        "[fe80::1]",
    )


KEYED = {"x-api-key": "k"}


def test_reads_need_the_key_when_configured() -> None:
    read = FakeGraph(version="v1")

    async def scenario(client: httpx.AsyncClient) -> None:
        for headers in ({}, {"x-api-key": "wrong"}, {"authorization": "Bearer wrong"}):
            response = await client.post("/graphql", json=STATS, headers=headers)
            assert response.status_code == 401
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
            get = await client.get(f"/graphql?{ENCODED_QUERY}", headers=headers)
            assert get.status_code == 401
            assert (await client.get("/metrics", headers=headers)).status_code == 401
        assert read.calls == []  # refused before the response cache's version read
        # GraphiQL's page, the dashboard's files and /healthz hold no data.
        ide = await client.get("/graphql", headers={"accept": "text/html"})
        assert ide.status_code == 200
        assert "graphiql" in ide.text.lower()
        assert (await client.get("/")).status_code == 200
        assert (await client.get("/healthz")).status_code == 200
        for headers in (KEYED, {"authorization": "Bearer k"}):
            response = await client.post("/graphql", json=STATS, headers=headers)
            assert response.json() == {"data": {"pathStats": {"open": 0}}}
            assert (await client.get("/metrics", headers=headers)).status_code == 200
        # The cached answer of a keyed request is never served without the key.
        assert (await client.post("/graphql", json=STATS, headers=KEYED)).headers[
            "x-response-cache"
        ] == "hit"
        assert (await client.post("/graphql", json=STATS)).status_code == 401

    fakes.with_app(read, scenario, api_key="k", key_for_reads=True)
    with pytest.raises(ValueError, match="needs an api_key"):
        fakes.with_app(read, scenario, key_for_reads=True)


def test_a_request_past_its_time_budget_is_cancelled(caplog: pytest.LogCaptureFixture) -> None:
    read = FakeGraph(delay_s=30)

    async def scenario(client: httpx.AsyncClient) -> None:
        started = time.monotonic()
        response = await client.post("/graphql", json=STATS)
        assert time.monotonic() - started < 5
        assert response.status_code == 200
        body = response.json()
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["TIMEOUT"]
        assert "0.2 s" in body["errors"][0]["message"]
        assert read.log.cancelled == ["path_stats"]  # the read itself was cancelled
        metrics = (await client.get("/metrics")).text
        assert 'operation="anonymous",result="timeout",type="query"} 1.0' in metrics

    with caplog.at_level(logging.DEBUG):
        with_app(read, scenario, time_budget_s=0.2)
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []

    async def in_time(client: httpx.AsyncClient) -> None:
        response = await client.post("/graphql", json=STATS)
        assert response.json() == {"data": {"pathStats": {"open": 0}}}

    with_app(FakeGraph(delay_s=0.05), in_time, time_budget_s=2)


def test_run_analysis_is_not_cut_off_by_the_budget() -> None:
    """The analysis runs in a thread that cannot be cancelled; its one-at-a-time rule must
    hold until it is done, so mutations have no time budget."""

    def slow_analysis() -> str:
        time.sleep(0.5)
        return "run-1"

    async def scenario(client: httpx.AsyncClient) -> None:
        mutation = {"query": "mutation { runAnalysis { id } }"}
        response = await client.post("/graphql", json=mutation, headers=KEYED)
        assert response.json() == {"data": {"runAnalysis": {"id": "run-1"}}}

    with_app(FakeGraph(), scenario, run_analysis=slow_analysis, time_budget_s=0.1)


def test_the_dashboard_page_has_a_content_security_policy() -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        response = await client.get("/")
        assert response.status_code == 200
        policy = response.headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["script-src"] == "'self'"  # no inline script, no other host
        assert directives["default-src"] == "'none'"
        assert directives["connect-src"] == "'self'"
        assert response.headers["x-frame-options"] == "DENY"

    with_app(FakeGraph(), scenario)


def test_healthz_names_each_part_and_degrades_without_failing() -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        body = (await client.get("/healthz")).json()
        assert body == {"status": "degraded", "neo4j": "up", "collector": "down"}

    with_app(FakeGraph(), scenario, health={"collector": lambda: "down"})


def test_set_work_item_status_needs_the_key_when_one_is_set() -> None:
    """The mutation refuses a request without the configured key, and nothing is set."""
    calls: list[tuple[str, str, str | None, int | None]] = []

    def setter(item: str, status: WorkStatus, note: str | None, at: int | None) -> bool:
        calls.append((item, status.value, note, at))
        return True

    mutation = {
        "query": 'mutation { setWorkItemStatus(id: "w1", status: DONE, note: "n", '
        'at: "2026-02-02T00:00:00Z") { id } }'
    }

    async def scenario(client: httpx.AsyncClient) -> None:
        refused = (await client.post("/graphql", json=mutation)).json()
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert calls == []
        answered = (await client.post("/graphql", json=mutation, headers=KEYED)).json()
        assert answered == {"data": {"setWorkItemStatus": None}}  # the fake has no such item
        assert calls == [("w1", "DONE", "n", 1_769_990_400_000)]

    with_app(FakeGraph(), scenario, set_work_status=setter)  # the key is "k"
