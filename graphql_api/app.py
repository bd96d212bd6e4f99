"""The ASGI app `pathrank serve` runs: GraphQL (with GraphiQL) at /graphql, /healthz,
Prometheus /metrics, and the dashboard at / (a placeholder until it lands).

The app never opens a database itself: the composition root hands it a factory of read
models (an async context manager, entered in the app's lifespan so the Neo4j async driver
lives on the server's event loop) and, optionally, a function that runs an analysis.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Hashable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import orjson
from cross_web import HTTPException
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from graph_model.read_model import ReadModel
from graphql_api.context import AnalysisRunner, AnalysisService, Context, request_authorized
from graphql_api.errors import ErrorCode
from graphql_api.ide import OfflineGraphiQL
from graphql_api.limits import MAX_BODY_BYTES
from graphql_api.metrics import QUERIES_HEADER, Metrics, start_request_count
from graphql_api.response_cache import (
    CACHE_HEADER,
    CachedResponse,
    ResponseCache,
    is_cacheable_result,
    request_payload,
)
from graphql_api.schema import schema

GraphFactory = Callable[[], AbstractAsyncContextManager[ReadModel]]

STATIC_DIR: Final = Path(__file__).parent / "static"
HEALTH_TIMEOUT_S: Final = 3.0
_ROUTES: Final = ("/", "/graphql", "/healthz", "/metrics")
_METHODS: Final = ("GET", "POST", "HEAD", "OPTIONS")

_PLACEHOLDER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Customer PathRank</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>Customer PathRank</h1>
<p>The dashboard is on its way. Meanwhile, explore the data in
<a href="/graphql">GraphiQL</a>, for example
<code>{ weakPages { page { title } impact reasons } }</code>.</p>
<p><a href="/healthz">/healthz</a> &middot; <a href="/metrics">/metrics</a></p>
</body></html>
"""


@dataclass
class _State:
    read: ReadModel | None = None


def _error_body(message: str, code: str) -> dict[str, object]:
    return {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}


class PathRankGraphQL(OfflineGraphiQL, GraphQL[Context, None]):
    """Strawberry's ASGI view with a per-request context, HTTP-level failures (bad JSON,
    unsupported method) answered as GraphQL-shaped JSON instead of plain text, and repeated
    queries of an unchanged graph answered from the response cache (when there is one)."""

    def __init__(
        self,
        state: _State,
        metrics: Metrics,
        api_key: str | None,
        analysis: AnalysisService | None,
        cache: ResponseCache | None,
    ) -> None:
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=True)
        self.state = state
        self.metrics = metrics
        self.api_key = api_key or None
        self.analysis = analysis
        self.cache = cache

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)  # its JSONDecodeError is json's: a 400 as before

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)  # several times faster than json.dumps on a page list

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        if self.state.read is None:
            raise RuntimeError("the app has not started (lifespan not run)")
        return Context.create(request, self.state.read, self.api_key, self.analysis, self.metrics)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # no subscriptions: refuse websockets
            await WebSocket(scope, receive, send).close(code=1008)
            return
        request = Request(scope, receive)
        key = await self._cache_key(request)
        if key is not None and self.cache is not None:
            cached = self.cache.get(key)
            self.metrics.response_cache.labels("miss" if cached is None else "hit").inc()
            if cached is not None:
                await _send_cached(cached, send)
                return
        try:
            response = await self.run(request)
        except HTTPException as exc:
            response = JSONResponse(
                _error_body(exc.reason, ErrorCode.BAD_USER_INPUT.value),
                status_code=exc.status_code,
            )
        if key is not None and self.cache is not None:
            await self._store(key, request, response)
            response.headers[CACHE_HEADER] = "miss"
        await response(scope, receive, send)

    async def _cache_key(self, request: Request) -> Hashable | None:
        """(graph version, authorised, method, body or query string), or None when this
        request bypasses the cache."""
        read = self.state.read
        if self.cache is None or read is None:
            return None
        body = await request.body() if request.method == "POST" else b""
        payload = request_payload(request, body)
        if payload is None:
            return None
        try:
            version = await read.graph_version()
        except Exception:  # an outage: execute, and let the resolvers report it as usual
            return None
        if version is None:  # no write recorded yet: nothing to compare with
            return None
        return (version, request_authorized(request, self.api_key), request.method, payload)

    async def _store(self, key: Hashable, request: Request, response: Response) -> None:
        answer = getattr(response, "body", None)  # a streaming response has none
        if self.cache is None or not isinstance(answer, bytes):
            return
        body = await request.body() if request.method == "POST" else b""  # read already
        if is_cacheable_result(request, body, response.status_code, answer):
            self.cache.put(key, response.status_code, tuple(response.raw_headers), answer)


async def _send_cached(cached: CachedResponse, send: Send) -> None:
    headers = [*cached.headers, (CACHE_HEADER.encode(), b"hit")]
    await send({"type": "http.response.start", "status": cached.status, "headers": headers})
    await send({"type": "http.response.body", "body": cached.body})


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
        route = path if path in _ROUTES else "/static" if path.startswith("/static/") else "other"
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
                body = await _read_capped(scope, receive, MAX_BODY_BYTES)
                if body is None:
                    too_large = JSONResponse(
                        _error_body(
                            f"request body over {MAX_BODY_BYTES} bytes",
                            ErrorCode.QUERY_TOO_COMPLEX.value,
                        ),
                        status_code=413,
                    )
                    await too_large(scope, receive, observed_send)
                    return
                receive = _replay(body, receive)
            await self.app(scope, receive, observed_send)
        finally:
            m = self.metrics
            m.http_requests.labels(route, method, str(status)).inc()
            m.http_latency.labels(route).observe(asyncio.get_running_loop().time() - started)
            if route == "/graphql":
                m.queries_per_request.observe(counter[0])


async def _read_capped(scope: Scope, receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None as soon as it is longer than `limit`."""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def create_app(
    graph: GraphFactory,
    *,
    api_key: str | None = None,
    run_analysis: AnalysisRunner | None = None,
    cors_origins: Sequence[str] = (),
    static_dir: Path = STATIC_DIR,
    cache_responses: bool = True,
) -> Starlette:
    metrics = Metrics()
    state = _State()
    analysis = AnalysisService(run_analysis) if run_analysis is not None else None
    cache = ResponseCache() if cache_responses else None
    graphql = PathRankGraphQL(state, metrics, api_key, analysis, cache)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with graph() as read:
            read.add_observer(metrics.observe_query)
            state.read = read
            try:
                yield
            finally:
                state.read = None

    async def healthz(_request: Request) -> Response:
        read = state.read
        try:
            if read is None:
                raise RuntimeError("not started")
            await asyncio.wait_for(read.ping(), HEALTH_TIMEOUT_S)
        except Exception as exc:  # any failure means unhealthy, never a 500
            reason = str(exc) or type(exc).__name__
            return JSONResponse(
                {"status": "unavailable", "neo4j": "down", "reason": reason[:200]},
                status_code=503,
            )
        return JSONResponse({"status": "ok", "neo4j": "up"})

    async def metrics_endpoint(_request: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    index_file = static_dir / "index.html"

    async def index(_request: Request) -> Response:
        if index_file.is_file():
            return FileResponse(index_file)
        return HTMLResponse(_PLACEHOLDER)

    routes: list[Route | Mount] = [
        Route("/", index),
        Route("/healthz", healthz),
        Route("/metrics", metrics_endpoint),
        Route("/graphql", graphql),
    ]
    if static_dir.is_dir():
        routes.append(Mount("/static", StaticFiles(directory=static_dir), name="static"))
    middleware = [Middleware(Observe, metrics=metrics)]
    if cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["content-type", "authorization", "x-api-key"],
                expose_headers=[QUERIES_HEADER, CACHE_HEADER],
            )
        )
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.metrics = metrics
    return app
