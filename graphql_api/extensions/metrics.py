"""Counts and times each GraphQL operation into the app's Prometheus metrics."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from graphql_api.metrics import Metrics


class OperationMetrics(SchemaExtension):
    """Counts and times each GraphQL operation (the context carries the app's Metrics)."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        metrics: Any = getattr(context.context, "metrics", None)
        if not isinstance(metrics, Metrics):
            return
        name = metrics.operation_label(context.operation_name)
        try:
            kind = context.operation_type.value
        except Exception:  # no parsable operation
            kind = "invalid"
        result = context.result
        failed = bool(getattr(result, "errors", None)) or bool(context.pre_execution_errors)
        metrics.operations.labels(name, kind, "error" if failed else "ok").inc()
        metrics.operation_latency.labels(name).observe(time.perf_counter() - started)
