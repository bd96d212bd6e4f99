"""Strawberry's ASGI view with this app's context, orjson, and HTTP-level failures (bad JSON,
unsupported method) answered as GraphQL-shaped JSON instead of plain text.

Each request reads one analysis run: its reads of analysis results are pinned to the run the
first of them found current (graph_model.reader.pinned_analysis). A request that caught an
analysis switching under it (two reads found different runs), or that took long enough for
its run's results to be deleted meanwhile, is run again: a query only reads, so running it
again is safe, and the second time it reads the new run whole."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from graph_model.graph import GraphReads
from graph_model.reader import pinned_analysis
from graphql_api.context import AnalysisService, Context
from graphql_api.errors import ErrorCode, error_body
from graphql_api.ide import OfflineGraphiQL
from graphql_api.metrics import Metrics
from graphql_api.schema import schema

# A switch is one instant, so the second attempt reads the new run; the third is paranoia.
_ATTEMPTS = 3


@dataclass
class GraphHolder:
    """The graph's reads, set while the app runs (its lifespan opens them)."""

    graph: GraphReads | None = None

    def get(self) -> GraphReads:
        if self.graph is None:
            raise RuntimeError("the app has not started (lifespan not run)")
        return self.graph


class PathRankGraphQL(OfflineGraphiQL, GraphQL[Context, None]):
    def __init__(
        self,
        holder: GraphHolder,
        metrics: Metrics,
        api_key: str | None,
        analysis: AnalysisService | None,
    ) -> None:
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=True)
        self.holder = holder
        self.metrics = metrics
        self.api_key = api_key or None
        self.analysis = analysis

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)  # its JSONDecodeError is json's: a 400 as before

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)  # several times faster than json.dumps on a page list

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        return Context.create(request, self.holder.get(), self.api_key, self.analysis, self.metrics)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # no subscriptions: refuse websockets
            await WebSocket(scope, receive, send).close(code=1008)
            return
        request = Request(scope, receive)  # caches the body: a second attempt reads it again
        try:
            for attempt in range(_ATTEMPTS):
                if attempt:
                    self.metrics.reexecuted.inc()
                with pinned_analysis() as pin:
                    response = await self.run(request)
                    if await self.holder.get().status.still_readable(pin):
                        break
        except HTTPException as exc:
            response = JSONResponse(
                error_body(exc.reason, ErrorCode.BAD_USER_INPUT.value),
                status_code=exc.status_code,
            )
        await response(scope, receive, send)
