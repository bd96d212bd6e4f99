"""Tells the response cache which answers it may keep: successful queries, nothing else.

Strawberry knows after executing whether the operation was a query and whether it failed, so
the HTTP middleware (graphql_api/http/response_cache.py) never has to parse a request or a
response to find out. The verdict travels in the ASGI scope of the request.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

CACHEABLE: Final = "pathrank.cacheable"


class MarkCacheable(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        result = context.result
        if context.pre_execution_errors or result is None or getattr(result, "errors", None):
            return
        try:
            if context.operation_type is not OperationType.QUERY:
                return
        except RuntimeError:  # no operation to speak of
            return
        request: Any = getattr(context.context, "request", None)
        scope = getattr(request, "scope", None)
        if isinstance(scope, dict):
            scope[CACHEABLE] = True
