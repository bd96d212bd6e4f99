"""Counts and times each GraphQL operation into the app's Prometheus metrics."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from graphql_api.metrics import Metrics


class OperationMetrics(SchemaExtension):
    """Counts and times each GraphQL operation (the context carries the app's Metrics):
    `result` is ok, error, or timeout (the view cancels an operation only when it runs past
    the request's time budget)."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        except asyncio.CancelledError:
            self._count(started, "timeout")
            raise
        context = self.execution_context
        failed = bool(getattr(context.result, "errors", None)) or bool(context.pre_execution_errors)
        self._count(started, "error" if failed else "ok")

    def _count(self, started: float, result: str) -> None:
        context = self.execution_context
        metrics: Any = getattr(context.context, "metrics", None)
        if not isinstance(metrics, Metrics):
            return
        name = metrics.operation_label(context.operation_name)
        try:
            kind = context.operation_type.value
        except Exception:  # no parsable operation
            kind = "invalid"
        metrics.operations.labels(name, kind, result).inc()
        metrics.operation_latency.labels(name).observe(time.perf_counter() - started)
