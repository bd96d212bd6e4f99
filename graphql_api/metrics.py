"""Prometheus metrics: HTTP requests, GraphQL operations and the Neo4j queries they cost.

Every request gets a Neo4j query counter (a context variable, shared by the tasks the
request spawns); /graphql responses carry it as the `X-Neo4j-Queries` header, and a
histogram keeps its distribution. Label values are bounded: routes are the app's own,
operation names are client-chosen, so only the first MAX_OPERATION_NAMES well-formed names
are kept and the rest count as "other".
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

QUERIES_HEADER: Final = "x-neo4j-queries"
MAX_OPERATION_NAMES: Final = 200
_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")
_LATENCY_BUCKETS: Final = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)

# Neo4j queries of the current request; None outside a request.
_request_queries: ContextVar[list[int] | None] = ContextVar("request_queries", default=None)


class Metrics:
    """One registry per app, so several apps (tests) never collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.http_requests = Counter(
            "pathrank_http_requests",
            "HTTP requests by route, method and status.",
            ["route", "method", "status"],
            registry=r,
        )
        self.http_latency = Histogram(
            "pathrank_http_request_duration_seconds",
            "HTTP request latency by route.",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.operations = Counter(
            "pathrank_graphql_operations",
            "GraphQL operations by name, type and result (ok or error).",
            ["operation", "type", "result"],
            registry=r,
        )
        self.operation_latency = Histogram(
            "pathrank_graphql_operation_duration_seconds",
            "GraphQL operation latency by name.",
            ["operation"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.neo4j_queries = Counter(
            "pathrank_neo4j_queries",
            "Neo4j statements run by the API, by read.",
            ["query"],
            registry=r,
        )
        self.neo4j_latency = Histogram(
            "pathrank_neo4j_query_duration_seconds",
            "Neo4j statement latency by read.",
            ["query"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.queries_per_request = Histogram(
            "pathrank_graphql_neo4j_queries_per_request",
            "Neo4j statements one /graphql request cost.",
            buckets=(0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64),
            registry=r,
        )
        self.response_cache = Counter(
            "pathrank_graphql_response_cache",
            "Cacheable /graphql requests by result: hit (answered from the response cache) "
            "or miss (executed).",
            ["result"],
            registry=r,
        )
        self._names: set[str] = set()

    def observe_query(self, name: str, seconds: float) -> None:
        self.neo4j_queries.labels(name).inc()
        self.neo4j_latency.labels(name).observe(seconds)
        counter = _request_queries.get()
        if counter is not None:
            counter[0] += 1

    def operation_label(self, name: str | None) -> str:
        if not name:
            return "anonymous"
        if not _NAME.match(name):
            return "other"
        if name not in self._names:
            if len(self._names) >= MAX_OPERATION_NAMES:
                return "other"
            self._names.add(name)
        return name

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def start_request_count() -> list[int]:
    counter = [0]
    _request_queries.set(counter)
    return counter
