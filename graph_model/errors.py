"""Typed failures of the graph, so callers tell outages from bugs without reading messages."""

from __future__ import annotations

from neo4j.exceptions import (
    DatabaseUnavailable,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)


class GraphUnavailableError(RuntimeError):
    """Neo4j could not be reached (down, restarting, or no connection in time)."""


class QueryTimeoutError(RuntimeError):
    """A statement ran longer than its transaction timeout."""


# Driver exceptions that mean "try the same work again later": the server is down or
# restarting, or the transaction lost a race (deadlock, leader switch). Never a bad request.
RETRYABLE = (ServiceUnavailable, SessionExpired, DatabaseUnavailable, TransientError, OSError)
