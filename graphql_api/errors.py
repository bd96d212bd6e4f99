"""Errors clients see: a message and `extensions.code` (masking: extensions/masking.py)."""

from __future__ import annotations

from enum import StrEnum

from graphql import GraphQLError


class ErrorCode(StrEnum):
    BAD_REQUEST = "BAD_REQUEST"  # not a GraphQL request at all (HTTP-level)
    BAD_USER_INPUT = "BAD_USER_INPUT"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    CONFLICT = "CONFLICT"
    NOT_AVAILABLE = "NOT_AVAILABLE"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    TIMEOUT = "TIMEOUT"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


INTERNAL_MESSAGE = "Internal server error"


def user_error(message: str, code: ErrorCode = ErrorCode.BAD_USER_INPUT) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code.value})


def error_body(message: str, code: str) -> dict[str, object]:
    """A GraphQL-shaped answer for failures outside execution (HTTP-level refusals)."""
    return {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}
