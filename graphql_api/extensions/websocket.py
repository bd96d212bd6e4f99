"""A WebSocket carries subscriptions only: queries and mutations are answered over HTTP,
where they execute off the event loop under the server's budget (graphql_api/execution.py).
Over a WebSocket they would run on the event loop itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from graphql_api.errors import ErrorCode, user_error

OVER_HTTP = "over a WebSocket only subscriptions: send queries and mutations to POST /graphql"


class SubscriptionsOnlyOverWebSocket(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        request: Any = getattr(context.context, "request", None)
        if isinstance(request, WebSocket) and context.operation_type is not (
            OperationType.SUBSCRIPTION
        ):
            raise user_error(OVER_HTTP, ErrorCode.BAD_REQUEST)
        yield
