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

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

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

        def count(name: str, doc: str, *labels: str) -> Counter:
            return Counter(name, doc, labels, registry=self.registry)

        def timing(name: str, doc: str, label: str) -> Histogram:
            return Histogram(name, doc, [label], buckets=_LATENCY_BUCKETS, registry=self.registry)

        self.http_requests = count(
            "pathrank_http_requests", "HTTP requests by route, method and status.",
            "route", "method", "status",
        )  # fmt: skip
        self.http_latency = timing(
            "pathrank_http_request_duration_seconds", "HTTP request latency by route.", "route"
        )
        self.operations = count(
            "pathrank_graphql_operations",
            "GraphQL operations by name, type and result (ok or error).",
            "operation", "type", "result",
        )  # fmt: skip
        self.in_progress = Gauge(
            "pathrank_graphql_operations_in_progress",
            "GraphQL operations executing now (HTTP queries in the execution threads, "
            "mutations, subscriptions).",
            registry=self.registry,
        )
        self.operation_latency = timing(
            "pathrank_graphql_operation_duration_seconds",
            "GraphQL operation latency by name.",
            "operation",
        )
        self.neo4j_queries = count(
            "pathrank_neo4j_queries", "Neo4j statements run by the API, by read.", "query"
        )
        self.neo4j_latency = timing(
            "pathrank_neo4j_query_duration_seconds", "Neo4j statement latency by read.", "query"
        )
        self.queries_per_request = Histogram(
            "pathrank_graphql_neo4j_queries_per_request",
            "Neo4j statements one /graphql request cost.",
            buckets=(0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64),
            registry=self.registry,
        )
        self.response_cache = count(
            "pathrank_graphql_response_cache",
            "Cacheable /graphql requests by result: hit (answered from the response cache) "
            "or miss (executed).",
            "result",
        )
        self.reexecuted = Counter(
            "pathrank_graphql_reexecuted",
            "/graphql requests run again because an analysis switched (or its results were "
            "deleted) while they read them.",
            registry=self.registry,
        )
        self.webhook_attempts = count(
            "pathrank_webhook_attempts",
            "Alert deliveries to webhooks by result: delivered, failed (retried later) or "
            "given_up (the last attempt failed).",
            "result",
        )
        self.webhook_deliveries = Gauge(
            "pathrank_webhook_deliveries",
            "Alert deliveries by state: pending, retrying (pending after a failed attempt), "
            "failed (given up) and delivered.",
            ["state"],
            registry=self.registry,
        )
        self._names: set[str] = set()

    def webhook_attempt(self, result: str) -> None:
        self.webhook_attempts.labels(result).inc()

    def webhook_backlog(self, counts: dict[str, int]) -> None:
        for state, n in counts.items():
            self.webhook_deliveries.labels(state.lower()).set(n)

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
