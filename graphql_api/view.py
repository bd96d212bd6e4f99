"""Strawberry's ASGI view with this app's context (a query's time budget among it), orjson,
and HTTP-level failures (a body that is not a GraphQL request, an unsupported method, a missing
API key) answered as GraphQL-shaped JSON instead of plain text or a 500.

Each request reads one analysis run: its reads of analysis results are pinned to the run the
first of them found current (graph_model.reader.pinned_analysis). A request that caught an
analysis switching under it (two reads found different runs), or that took long enough for
its run's results to be deleted meanwhile, is run again: a query only reads, so running it
again is safe, and the second time it reads the new run whole."""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.http.types import QueryParams
from strawberry.types.execution import ExecutionResult
from strawberry.types.unset import UnsetType

from graph_model.graph import GraphReads
from graph_model.reader import pinned_analysis
from graphql_api.assist_feed import AssistFeed
from graphql_api.context import (
    AnalysisService,
    Context,
    ForgetService,
    WorkService,
    request_authorized,
)
from graphql_api.errors import ErrorCode, error_body
from graphql_api.execution import Executor
from graphql_api.extensions.budget import over_budget
from graphql_api.ide import OfflineGraphiQL
from graphql_api.limits import DEFAULT_TIME_BUDGET_S
from graphql_api.metrics import Metrics
from graphql_api.schema import schema
from graphql_api.ws import LegacyWSHandler, TransportWSHandler

# A switch is one instant, so the second attempt reads the new run; the third is paranoia.
_ATTEMPTS = 3
NOT_A_REQUEST: Final = (
    'the body must be a JSON object: {"query": "...", "variables": {...}, "operationName": "..."}'
)
NO_BATCHING: Final = "batching is not supported: send one operation per request"
KEY_NEEDED: Final = "this server needs an API key: send it as X-API-Key or Authorization: Bearer"


@dataclass
class GraphHolder:
    """The graph's reads, set while the app runs (its lifespan opens them)."""

    graph: GraphReads | None = None

    def get(self) -> GraphReads:
        if self.graph is None:
            raise RuntimeError("the app has not started (lifespan not run)")
        return self.graph


class _TextWebSocket(ASGIWebSocketAdapter):
    """graphql-transport-ws messages are text frames; the view's JSON is bytes (orjson)."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class PathRankGraphQL(OfflineGraphiQL, GraphQL[Context, None]):
    websocket_adapter_class = _TextWebSocket
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(
        self,
        holder: GraphHolder,
        metrics: Metrics,
        api_key: str | None,
        analysis: AnalysisService | None,
        *,
        key_for_reads: bool = False,
        time_budget_s: float = DEFAULT_TIME_BUDGET_S,
        assist_feed: AssistFeed | None = None,
        ws_origins: tuple[str, ...] = (),
        forget: ForgetService | None = None,
        executor: Executor | None = None,
        work: WorkService | None = None,
    ) -> None:
        # Subscriptions over graphql-transport-ws (and the older graphql-ws): a WebSocket
        # from another origin than the server's is refused unless listed (`ws_origins`).
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=True,
            keep_alive=True,
            keep_alive_interval=15,
            allowed_origins=ws_origins,
        )
        self.assist_feed = assist_feed
        self.holder = holder
        self.metrics = metrics
        self.api_key = api_key or None
        self.analysis = analysis
        self.forget = forget
        self.work = work
        self.key_for_reads = key_for_reads
        self.time_budget_s = time_budget_s
        self.executor = executor or Executor()

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)  # its JSONDecodeError is json's: a 400 as before

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)  # several times faster than json.dumps on a page list

    def parse_json(self, data: str | bytes) -> Any:
        """The POST body (the only JSON Strawberry parses here: multipart uploads are off and
        the query string has its own parser below). Strawberry then checks the types of
        `query`, `variables` and `extensions`, but assumes an object and an `operationName`
        string."""
        body = super().parse_json(data)
        if isinstance(body, list):
            raise HTTPException(400, NO_BATCHING)
        if not isinstance(body, dict):
            raise HTTPException(400, NOT_A_REQUEST)
        if not isinstance(body.get("operationName"), str | None):
            raise HTTPException(400, "`operationName` must be a string or null")
        return body

    def parse_query_params(self, params: QueryParams) -> dict[str, Any]:
        """A GET's parameters: `variables` and `extensions` are JSON (of any type here:
        Strawberry refuses what is not an object or null next)."""
        parsed: dict[str, Any] = dict(params)
        for name in ("variables", "extensions"):
            if parsed.get(name):
                try:
                    parsed[name] = self.decode_json(parsed[name])
                except json.JSONDecodeError as exc:
                    raise HTTPException(400, f"`{name}` is not valid JSON") from exc
        return parsed

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        return Context.create(
            request,
            self.holder.get(),
            self.api_key,
            self.analysis,
            self.metrics,
            time_budget_s=self.time_budget_s,
            assist_feed=self.assist_feed,
            forget=self.forget,
            work=self.work,
        )

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """An HTTP operation, executed in a pool thread (graphql_api/execution.py)."""
        make = partial(
            super().execute_single,
            request,
            request_adapter,
            sub_response,
            context,
            root_value,
            request_data,
        )
        budget = context.time_budget_s
        return await self.executor.run(
            make,
            budget,
            lambda: ExecutionResult(data=None, errors=[over_budget(budget)]),
            exempt=lambda: context.exempt_from_budget,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """With the key required for reads, a WebSocket presents it in a header or in its
        `connection_init` payload ({"apiKey": "..."}: browsers cannot set headers on one)."""
        if self.key_for_reads and not _ws_authorized(context, self.api_key):
            raise ConnectionRejectionError({"message": KEY_NEEDED})
        return await super().on_ws_connect(context)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # subscriptions (the Host was checked before)
            await self.run(WebSocket(scope, receive, send))
            return
        request = Request(scope, receive)  # caches the body: a second attempt reads it again
        try:
            if self.key_for_reads and not self._open_to(request):
                raise HTTPException(401, KEY_NEEDED)
            for attempt in range(_ATTEMPTS):
                if attempt:
                    self.metrics.reexecuted.inc()
                with pinned_analysis() as pin:
                    response = await self.run(request)
                    if await self.holder.get().status.still_readable(pin):
                        break
        except HTTPException as exc:
            unauthenticated = exc.status_code == 401
            code = ErrorCode.UNAUTHENTICATED if unauthenticated else ErrorCode.BAD_REQUEST
            response = JSONResponse(
                error_body(exc.reason, code.value),
                status_code=exc.status_code,
                headers={"WWW-Authenticate": "Bearer"} if unauthenticated else None,
            )
        await response(scope, receive, send)

    def _open_to(self, request: Request) -> bool:
        """With the key required for reads: the request carries it, or it only asks for
        GraphiQL's page (static; its queries then need the key, set in its headers pane)."""
        if request_authorized(request, self.api_key):
            return True
        return self.should_render_graphql_ide(self.request_adapter_class(request))


def _ws_authorized(context: Context, api_key: str | None) -> bool:
    if request_authorized(context.request, api_key):
        return True
    params = context.connection_params
    key = params.get("apiKey") if isinstance(params, dict) else None
    return (
        isinstance(key, str)
        and api_key is not None
        and hmac.compare_digest(key.encode(), api_key.encode())
    )
