"""Counts and times each GraphQL operation into the app's Prometheus metrics."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from graphql_api.errors import ErrorCode
from graphql_api.metrics import Metrics


class OperationMetrics(SchemaExtension):
    """Counts and times each GraphQL operation (the context carries the app's Metrics):
    `result` is ok, error, or timeout (past its time budget: extensions/budget.py, whose
    error ends the operation early)."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        metrics = self._metrics()
        if metrics is not None:
            metrics.in_progress.inc()
        try:
            yield
        except GraphQLError as error:
            timed_out = (error.extensions or {}).get("code") == ErrorCode.TIMEOUT
            self._count(started, "timeout" if timed_out else "error")
            raise
        finally:
            if metrics is not None:
                metrics.in_progress.dec()
        context = self.execution_context
        failed = bool(getattr(context.result, "errors", None)) or bool(context.pre_execution_errors)
        self._count(started, "error" if failed else "ok")

    def _metrics(self) -> Metrics | None:
        metrics: Any = getattr(self.execution_context.context, "metrics", None)
        return metrics if isinstance(metrics, Metrics) else None

    def _count(self, started: float, result: str) -> None:
        context = self.execution_context
        metrics = self._metrics()
        if metrics is None:
            return
        name = metrics.operation_label(context.operation_name)
        try:
            kind = context.operation_type.value
        except Exception:  # no parsable operation
            kind = "invalid"
        metrics.operations.labels(name, kind, result).inc()
        metrics.operation_latency.labels(name).observe(time.perf_counter() - started)
