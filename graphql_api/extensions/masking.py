"""Errors clients see: a message and `extensions.code`; anything unexpected is masked.

Errors raised on purpose are GraphQLErrors (bad input, missing API key, limits). Known
failures of the graph (Neo4j down, a read timing out, a foreign cursor) get a fixed public
message. Every other exception becomes "Internal server error" with no detail; the original
is logged by Strawberry before it is masked.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from graph_model.errors import GraphUnavailableError, QueryTimeoutError
from graph_model.keyset import InvalidCursorError
from graphql_api.errors import INTERNAL_MESSAGE, ErrorCode


def should_mask(error: GraphQLError) -> bool:
    """Errors the API raised on purpose and validation errors pass; exceptions are masked."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def is_unexpected(error: GraphQLError) -> bool:
    """A bug or an unknown failure (logged with its traceback), as opposed to the client's
    mistake or a known outage."""
    return should_mask(error) and not isinstance(
        error.original_error, InvalidCursorError | GraphUnavailableError | QueryTimeoutError
    )


def _public(original: BaseException | None) -> tuple[str, ErrorCode]:
    if isinstance(original, InvalidCursorError):
        return f"invalid cursor: {original}", ErrorCode.BAD_USER_INPUT
    if isinstance(original, GraphUnavailableError):
        return "the graph database is unavailable; try again shortly", (
            ErrorCode.SERVICE_UNAVAILABLE
        )
    if isinstance(original, QueryTimeoutError):
        return "the graph database took too long to answer", ErrorCode.TIMEOUT
    return INTERNAL_MESSAGE, ErrorCode.INTERNAL_SERVER_ERROR


class PublicErrors(MaskErrors):
    """MaskErrors that says what happened for known failures, and gives every error an
    `extensions.code` (syntax and validation errors included) for clients to switch on."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=should_mask, error_message=INTERNAL_MESSAGE)

    def on_operation(self) -> Iterator[None]:
        yield from super().on_operation()
        for error in getattr(self.execution_context.result, "errors", None) or ():
            if isinstance(error, GraphQLError) and "code" not in (error.extensions or {}):
                code = (
                    ErrorCode.GRAPHQL_PARSE_FAILED
                    if error.message.startswith("Syntax Error")
                    else ErrorCode.GRAPHQL_VALIDATION_FAILED
                )
                error.extensions = {**(error.extensions or {}), "code": code.value}

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        message, code = _public(error.original_error)
        return GraphQLError(
            message=message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": code.value},
        )
