"""The two WebSocket protocols of the subscriptions, with every message checked before
Strawberry reads it.

Strawberry assumes a well-formed message: `{"type": "subscribe", "payload": "hello"}` (a
string where an object belongs), `{"query": 42}`, or a legacy `start` with a null payload
raised a TypeError out of the connection, which dropped without a close code and logged a
traceback. Here a malformed message gets the protocol's own answer:

- graphql-transport-ws: the connection is closed with 4400 and the reason (the protocol's
  "Invalid message"), as the protocol says for any message the server cannot handle;
- graphql-ws (the legacy protocol of subscriptions-transport-ws): an `error` message with
  the operation's id, and the connection stays open, as that protocol's servers answered.

Messages are at most the HTTP body limit (`pathrank serve` tells uvicorn; a bigger one is
closed with 1009).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import OperationMessage

from graphql_api.context import Context

_OBJECT_OR_NULL = (dict, type(None))
_STRING_OR_NULL = (str, type(None))


def _operation_problem(payload: object) -> str | None:
    """What is wrong with a subscribe/start payload, or None."""
    if not isinstance(payload, Mapping):
        return "`payload` must be an object with a `query`"
    if not isinstance(payload.get("query"), str):
        return "`payload.query` must be a string"
    if not isinstance(payload.get("variables"), _OBJECT_OR_NULL):
        return "`payload.variables` must be an object or null"
    if not isinstance(payload.get("operationName"), _STRING_OR_NULL):
        return "`payload.operationName` must be a string or null"
    if not isinstance(payload.get("extensions"), _OBJECT_OR_NULL):
        return "`payload.extensions` must be an object or null"
    return None


def _id_problem(message: Mapping[str, Any]) -> str | None:
    return None if isinstance(message.get("id"), str) else "`id` must be a string"


# Per protocol: the message types carrying an operation, and those carrying only an id.
_TRANSPORT: Final = ("subscribe", "complete")
_LEGACY: Final = ("start", "stop")


def _problem(message: object, operations: tuple[str, str]) -> tuple[str | None, str | None]:
    """(what is wrong, None) or (None, the message's type)."""
    if not isinstance(message, Mapping) or not isinstance(message.get("type"), str):
        return "a message is an object with a string `type`", None
    kind: str = message["type"]
    start, stop = operations
    if kind == start:
        return _id_problem(message) or _operation_problem(message.get("payload")), kind
    if kind == stop:
        return _id_problem(message), kind
    return None, kind


def transport_problem(message: object) -> str | None:
    """Why a graphql-transport-ws message cannot be handled, or None."""
    problem, kind = _problem(message, _TRANSPORT)
    payload = message.get("payload") if isinstance(message, Mapping) else None
    if kind in ("connection_init", "ping", "pong") and not isinstance(payload, _OBJECT_OR_NULL):
        return "`payload` must be an object or null"
    return problem  # an unknown type: Strawberry closes with 4400 itself


def legacy_problem(message: object) -> str | None:
    """Why a graphql-ws message cannot be handled, or None."""
    problem, kind = _problem(message, _LEGACY)
    known = (*_LEGACY, "connection_init", "connection_terminate")
    if problem is None and kind not in known:
        return f"unknown message type {str(kind)[:40]!r}"
    return problem  # a bad connection_init payload gets Strawberry's connection_error


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    async def handle_message(self, message: Message) -> None:
        problem = transport_problem(message)
        if problem is not None:
            await self.handle_invalid_message(f"Invalid message: {problem}")
            return
        await super().handle_message(message)


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    async def handle_message(self, message: OperationMessage) -> None:
        problem = legacy_problem(message)
        if problem is not None:
            found = cast("object", message)
            operation = found.get("id") if isinstance(found, Mapping) else None
            error: dict[str, object] = {"type": "error", "payload": {"message": problem}}
            if isinstance(operation, str):
                error["id"] = operation
            await self.websocket.send_json(error)
            return
        await super().handle_message(message)
