"""The ASGI app in-process (lifespan included) on in-memory graph reads: health, metrics,
the body cap, HTTP-level errors as GraphQL-shaped JSON, and the per-request query count."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import httpx

from graph_model.errors import GraphUnavailableError
from graphql_api.app import STATIC_DIR
from tests import fakes
from tests.fakes import FakeGraph

T = TypeVar("T")
JSON = {"content-type": "application/json"}


def with_app(
    read: FakeGraph,
    scenario: Callable[[httpx.AsyncClient], Awaitable[T]],
    static_dir: Path = STATIC_DIR,
) -> T:
    return fakes.with_app(read, scenario, api_key="k", static_dir=static_dir)


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
