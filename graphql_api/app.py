"""The ASGI app `pathrank serve` runs: GraphQL (with GraphiQL) at /graphql, /healthz,
Prometheus /metrics, and the dashboard at /.

It answers only the host names it is given (DNS rebinding); with `key_for_reads`, /graphql
and /metrics need the API key too (GraphiQL's page, the dashboard's files and /healthz stay
open: they hold no data).

The app never opens a database itself: the composition root hands it a factory of the
graph's reads (an async context manager, entered in the app's lifespan so the Neo4j async
driver lives on the server's event loop) and, optionally, a function that runs an analysis.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Final, Protocol

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from graph_model.graph import GraphReads
from graphql_api.assist_feed import AssistFeed
from graphql_api.context import (
    AnalysisRunner,
    AnalysisService,
    CustomerForgetter,
    ForgetService,
    WorkService,
    WorkStatusSetter,
    request_authorized,
)
from graphql_api.execution import Executor
from graphql_api.http.hosts import LOCAL_HOSTS, AllowedHosts
from graphql_api.http.observe import Observe
from graphql_api.http.response_cache import CACHE_HEADER, ResponseCache, ResponseCacheMiddleware
from graphql_api.ide import SECURITY_HEADERS
from graphql_api.limits import DEFAULT_TIME_BUDGET_S
from graphql_api.metrics import QUERIES_HEADER, Metrics
from graphql_api.view import KEY_NEEDED, GraphHolder, PathRankGraphQL

GraphFactory = Callable[[], AbstractAsyncContextManager[GraphReads]]

STATIC_DIR: Final = Path(__file__).parent / "static"
HEALTH_TIMEOUT_S: Final = 3.0


def create_app(
    graph: GraphFactory,
    *,
    api_key: str | None = None,
    run_analysis: AnalysisRunner | None = None,
    cors_origins: Sequence[str] = (),
    static_dir: Path = STATIC_DIR,
    cache_responses: bool = True,
    allowed_hosts: Sequence[str] = LOCAL_HOSTS,
    key_for_reads: bool = False,
    time_budget_s: float = DEFAULT_TIME_BUDGET_S,
    assist_feed: AssistFeed | None = None,
    ws_origins: Sequence[str] = (),
    forget_customers: CustomerForgetter | None = None,
    health: Mapping[str, Callable[[], str]] | None = None,
    set_work_status: WorkStatusSetter | None = None,
    alert_delivery: AlertDelivery | None = None,
) -> Starlette:
    """`health`: more parts /healthz reports (name -> its state now; "down" degrades it)."""
    if key_for_reads and not api_key:
        raise ValueError("key_for_reads needs an api_key")
    metrics = Metrics()
    holder = GraphHolder()
    executor = Executor()
    analysis = AnalysisService(run_analysis) if run_analysis is not None else None
    # Erasure is refused without an API key (types/forget.py), whatever this says.
    forget = ForgetService(forget_customers) if forget_customers is not None else None
    work = WorkService(set_work_status) if set_work_status is not None else None
    graphql = PathRankGraphQL(
        holder,
        metrics,
        api_key,
        analysis,
        key_for_reads=key_for_reads,
        time_budget_s=time_budget_s,
        assist_feed=assist_feed,
        ws_origins=tuple(dict.fromkeys([*cors_origins, *ws_origins])),
        forget=forget,
        executor=executor,
        work=work,
    )

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with graph() as reads, _feeding(assist_feed), _delivering(alert_delivery, metrics):
            reads.status.add_observer(metrics.observe_query)
            holder.graph = reads
            try:
                yield
            finally:
                holder.graph = None
                executor.close()

    parts = dict(health or {})
    if assist_feed is not None:  # whether subscriptions read the `assist` topic
        parts["assist"] = lambda: assist_feed.state

    async def healthz(_request: Request) -> Response:
        """Each part as it is now: 503 without Neo4j (nothing can be answered), 200 and
        "degraded" when another part is down (the API still answers)."""
        body = {name: state() for name, state in parts.items()}
        try:
            await asyncio.wait_for(holder.get().status.ping(), HEALTH_TIMEOUT_S)
        except Exception as exc:  # any failure means unhealthy, never a 500
            reason = str(exc) or type(exc).__name__
            return JSONResponse(
                {"status": "unavailable", "neo4j": "down", **body, "reason": reason[:200]},
                status_code=503,
            )
        status = "degraded" if "down" in body.values() else "ok"
        return JSONResponse({"status": status, "neo4j": "up", **body})

    async def metrics_endpoint(request: Request) -> Response:
        if key_for_reads and not request_authorized(request, api_key):
            return PlainTextResponse(
                KEY_NEEDED, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    async def index(_request: Request) -> Response:
        # The policy GraphiQL's page has: scripts from this origin only, no inline script.
        return FileResponse(static_dir / "index.html", headers=SECURITY_HEADERS)

    async def version(request: Request) -> tuple[str | None, bool]:
        authorized = request_authorized(request, api_key)
        if key_for_reads and not authorized:
            return None, False  # refused by the view: no cache, not even the version read
        return await holder.get().status.graph_version(), authorized

    def looked_up(hit: bool) -> None:
        metrics.response_cache.labels("hit" if hit else "miss").inc()

    routes: list[Route | WebSocketRoute | Mount] = [
        Route("/", index),
        Route("/healthz", healthz),
        Route("/metrics", metrics_endpoint),
        Route("/graphql", graphql),
        WebSocketRoute("/graphql", graphql),  # subscriptions
        Mount("/static", StaticFiles(directory=static_dir), name="static"),
    ]
    # Outermost first: refusals of a foreign host are still counted in the metrics.
    middleware = [
        Middleware(Observe, metrics=metrics),
        Middleware(AllowedHosts, hosts=allowed_hosts),
    ]
    if cache_responses:
        middleware.append(
            Middleware(
                ResponseCacheMiddleware,
                cache=ResponseCache(),
                versioner=version,
                on_lookup=looked_up,
            )
        )
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


class AlertDelivery(Protocol):
    """Webhook deliveries the server makes while it runs (notify.delivery)."""

    def running(self, observer: Metrics) -> AbstractAsyncContextManager[None]: ...


@asynccontextmanager
async def _delivering(delivery: AlertDelivery | None, metrics: Metrics) -> AsyncIterator[None]:
    if delivery is None:
        yield
        return
    async with delivery.running(metrics):
        yield


@asynccontextmanager
async def _feeding(feed: AssistFeed | None) -> AsyncIterator[None]:
    """The `assist` topic's consumer runs while the app does (subscriptions read it)."""
    if feed is None:
        yield
        return
    async with feed.running():
        yield
