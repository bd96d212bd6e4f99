"""Where the Client's answers come from: the API over HTTP, or Neo4j straight.

Both run the same GraphQL documents (pathrank.client.queries). `ApiSource` posts them to a
running `pathrank serve` with the API key; `GraphSource` executes them in this process with
the API's own schema over graph_model's reads (no server, no Cypher of its own), on an event
loop of its own in a background thread (so it works inside Jupyter's running loop too), and
streams paths from graph_model's path window in chunks larger than the API's page.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator, Mapping
from typing import Any, Protocol, TypeVar

import httpx
from neo4j import AsyncDriver, AsyncGraphDatabase
from starlette.requests import Request

from graph_model.graph import GraphReads, neo4j_graph_reads
from graph_model.path.record import Path, PathFilter
from graph_model.reader import pinned_analysis
from graph_model.search.text import QueryText

T = TypeVar("T")


class PathRankError(RuntimeError):
    """The API or the graph refused a question, or could not be reached (the message says
    which)."""


class Source(Protocol):
    def execute(self, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """The `data` of a GraphQL query; PathRankError for its errors."""

    def close(self) -> None: ...


def _data(body: Mapping[str, Any]) -> dict[str, Any]:
    errors = body.get("errors")
    if errors:
        raise PathRankError("; ".join(str(e.get("message", e)) for e in errors))
    data: dict[str, Any] = body.get("data") or {}
    return data


class ApiSource:
    def __init__(self, url: str, api_key: str | None, timeout_s: float) -> None:
        headers = {"X-API-Key": api_key} if api_key else {}
        self._http = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout_s)

    def execute(self, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        try:
            answer = self._http.post("/graphql", json={"query": query, "variables": variables})
        except httpx.HTTPError as exc:
            raise PathRankError(f"the API at {self._http.base_url} is unreachable: {exc}") from exc
        try:
            body = answer.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise PathRankError(f"the API answered HTTP {answer.status_code}: {answer.text[:200]}")
        return _data(body)

    def close(self) -> None:
        self._http.close()


# What the in-process schema sees as the request: no headers (no API key is configured for it).
_SCOPE: Mapping[str, Any] = {"type": "http", "method": "POST", "path": "/graphql", "headers": []}


class GraphSource:
    def __init__(
        self,
        uri: str,
        auth: tuple[str, str],
        database: str,
        timeout_s: float,
        search_page: str,
        query_text: QueryText | None = None,
    ) -> None:
        self._timeout_s = timeout_s
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="pathrank-client", daemon=True
        )
        self._thread.start()

        async def open_reads() -> tuple[AsyncDriver, GraphReads]:
            driver = AsyncGraphDatabase.driver(uri, auth=auth, notifications_min_severity="OFF")
            reads = neo4j_graph_reads(
                driver, database, timeout_s, query_text=query_text, search_page=search_page
            )
            return driver, reads

        self._driver, self.reads = self._run(open_reads())

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result()

    def execute(self, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        from graphql_api.context import Context
        from graphql_api.schema import schema

        async def run() -> dict[str, Any]:
            with pinned_analysis():
                context = Context.create(
                    Request(dict(_SCOPE)), self.reads, time_budget_s=self._timeout_s
                )
                result = await schema.execute(
                    query, variable_values=dict(variables), context_value=context
                )
            errors = [{"message": e.message} for e in result.errors or ()]
            return _data({"data": result.data, "errors": errors})

        return self._run(run())

    def path_chunks(self, filters: PathFilter, size: int) -> Iterator[tuple[Path, ...]]:
        """Paths that pass `filters`, oldest first, `size` at a time."""
        after: str | None = None
        while True:
            window = self._run(self.reads.paths.window(size, after, filters))
            if window.items:
                yield window.items
            if not window.has_next:
                return
            after = window.cursors[-1]

    def close(self) -> None:
        if self._thread.is_alive():
            self._run(self._driver.close())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()
