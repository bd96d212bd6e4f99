"""Per request: the Neo4j query counter, the body-size cap on /graphql, HTTP metrics, and
the `X-Neo4j-Queries` header on /graphql responses."""

from __future__ import annotations

import asyncio
from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphql_api.errors import ErrorCode, error_body
from graphql_api.http.body import read_capped, replay
from graphql_api.limits import MAX_BODY_BYTES
from graphql_api.metrics import QUERIES_HEADER, Metrics, start_request_count

ROUTES: Final = ("/", "/graphql", "/healthz", "/metrics")
_METHODS: Final = ("GET", "POST", "HEAD", "OPTIONS")


class Observe:
    """Per request: the Neo4j query counter, the body-size cap on /graphql, HTTP metrics,
    and the `X-Neo4j-Queries` header on /graphql responses."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        route = path if path in ROUTES else "/static" if path.startswith("/static/") else "other"
        method = scope["method"] if scope["method"] in _METHODS else "other"
        counter = start_request_count()
        started = asyncio.get_running_loop().time()
        status = 500

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if route == "/graphql":
                    MutableHeaders(scope=message).append(QUERIES_HEADER, str(counter[0]))
            await send(message)

        try:
            if route == "/graphql" and method == "POST":
                body = await read_capped(scope, receive, MAX_BODY_BYTES)
                if body is None:
                    too_large = JSONResponse(
                        error_body(
                            f"request body over {MAX_BODY_BYTES} bytes",
                            ErrorCode.QUERY_TOO_COMPLEX.value,
                        ),
                        status_code=413,
                    )
                    await too_large(scope, receive, observed_send)
                    return
                receive = replay(body, receive)
            await self.app(scope, receive, observed_send)
        finally:
            m = self.metrics
            m.http_requests.labels(route, method, str(status)).inc()
            m.http_latency.labels(route).observe(asyncio.get_running_loop().time() - started)
            if route == "/graphql":
                m.queries_per_request.observe(counter[0])
