"""Each query's time budget: past it, its execution is cancelled and the answer is a TIMEOUT
error (`data` null).

Cancelling the execution cancels the resolvers awaiting with it, Neo4j reads included (each
read's transaction timeout also bounds how long Neo4j can go on with one). Parsing and
validation are synchronous and bounded by the document limits instead; a stretch of Python
between two awaits cannot be cancelled, so the server answers the TIMEOUT itself when the
budget passes during one (graphql_api/execution.py), and the query stops at its next await.
Mutations are exempt: runAnalysis runs the analysis in a worker thread, which cannot be
cancelled, and its one-at-a-time rule must hold until that thread is done.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from graphql_api.errors import ErrorCode, user_error
from graphql_api.limits import DEFAULT_TIME_BUDGET_S


class TimeBudget(SchemaExtension):
    """The budget comes with the request's context (`time_budget_s`)."""

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        request_context: Any = context.context
        if context.operation_type is not OperationType.QUERY:
            if hasattr(request_context, "exempt_from_budget"):
                request_context.exempt_from_budget = True  # graphql_api/execution.py waits
            yield
            return
        seconds: float = getattr(request_context, "time_budget_s", DEFAULT_TIME_BUDGET_S)
        try:
            async with asyncio.timeout(seconds):
                yield
        except TimeoutError:
            raise over_budget(seconds) from None


def over_budget(seconds: float) -> GraphQLError:
    """The error of a query that ran past its budget."""
    return user_error(
        f"the request took longer than its budget of {seconds:g} s", ErrorCode.TIMEOUT
    )
