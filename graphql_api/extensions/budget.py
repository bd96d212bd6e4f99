"""Each query's time budget: past it, its execution is cancelled and the answer is a TIMEOUT
error (`data` null).

Cancelling the execution cancels the resolvers awaiting with it, Neo4j reads included (each
read's transaction timeout also bounds how long Neo4j can go on with one). Parsing and
validation are synchronous and bounded by the document limits instead. Mutations are exempt:
runAnalysis runs the analysis in a worker thread, which cannot be cancelled, and its
one-at-a-time rule must hold until that thread is done.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from graphql_api.errors import ErrorCode, user_error
from graphql_api.limits import DEFAULT_TIME_BUDGET_S


class TimeBudget(SchemaExtension):
    """The budget comes with the request's context (`time_budget_s`)."""

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.operation_type is not OperationType.QUERY:
            yield
            return
        request_context: Any = context.context
        seconds: float = getattr(request_context, "time_budget_s", DEFAULT_TIME_BUDGET_S)
        try:
            async with asyncio.timeout(seconds):
                yield
        except TimeoutError:
            message = f"the request took longer than its budget of {seconds:g} s"
            raise user_error(message, ErrorCode.TIMEOUT) from None
