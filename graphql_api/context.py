"""What every resolver gets: the graph's reads, this request's loaders, and the key check."""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import strawberry
from starlette.requests import HTTPConnection

from graph_model.customer.record import Forgotten
from graph_model.graph import GraphReads
from graph_model.page.record import SiteRates
from graph_model.run.record import AnalysisLockedError, NothingToAnalyzeError
from graph_model.work.record import WorkStatus
from graphql_api.errors import ErrorCode, user_error
from graphql_api.limits import DEFAULT_TIME_BUDGET_S
from graphql_api.loaders import Loaders
from graphql_api.metrics import Metrics

if TYPE_CHECKING:
    from graphql_api.assist_feed import AssistFeed

# Runs one analysis to completion (blocking; it is called in a worker thread) and returns
# the id of the (:AnalysisRun) it recorded; AnalysisLockedError while another run holds the
# analysis lock. The composition root supplies it.
AnalysisRunner = Callable[[], str]

# Forgets customers (blocking; called in a worker thread): what was removed of each
# (graph_model.customer.store). The composition root supplies it.
CustomerForgetter = Callable[[Sequence[str]], Sequence[Forgotten]]


# Sets a work item's status (blocking; called in a worker thread): (id, status, note, at in
# epoch ms or None) -> False for an unknown item. The composition root supplies it.
WorkStatusSetter = Callable[[str, WorkStatus, str | None, int | None], bool]


class WorkService:
    """Runs setWorkItemStatus (a DONE item's verification reads paths: not on the loop)."""

    def __init__(self, setter: WorkStatusSetter, clock: Callable[[], float] = time.time) -> None:
        self.setter = setter
        self.clock = clock

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    async def set_status(
        self, item_id: str, status: WorkStatus, note: str | None, at_ms: int | None
    ) -> bool:
        return await asyncio.to_thread(self.setter, item_id, status, note, at_ms)


class ForgetService:
    """Runs erasures for forgetCustomers."""

    def __init__(self, forgetter: CustomerForgetter) -> None:
        self.forgetter = forgetter

    async def forget(self, customer_ids: Sequence[str]) -> Sequence[Forgotten]:
        return await asyncio.to_thread(self.forgetter, customer_ids)


class AnalysisService:
    """Runs an analysis for runAnalysis. One run at a time, across every process and
    machine: the analysis lock in the graph refuses a second one, naming the holder."""

    def __init__(self, runner: AnalysisRunner) -> None:
        self.runner = runner

    async def run(self) -> str:
        try:
            return await asyncio.to_thread(self.runner)
        except AnalysisLockedError as exc:
            raise user_error(f"{exc}; try again when it has finished", ErrorCode.CONFLICT) from exc
        except NothingToAnalyzeError as exc:
            message = f"{exc}: nothing analysed, the current results stay current"
            raise user_error(message, ErrorCode.NOT_AVAILABLE) from exc


def presented_key(request: HTTPConnection) -> str | None:
    headers = request.headers
    key = headers.get("x-api-key")
    if key:
        return key
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def request_authorized(request: HTTPConnection, api_key: str | None) -> bool:
    """True when no API key is configured, or the request carries it."""
    if not api_key:
        return True
    presented = presented_key(request)
    return presented is not None and hmac.compare_digest(presented.encode(), api_key.encode())


@dataclass
class Context:
    request: HTTPConnection
    graph: GraphReads
    loaders: Loaders
    api_key: str | None = None
    analysis: AnalysisService | None = None
    metrics: Metrics | None = None
    time_budget_s: float = DEFAULT_TIME_BUDGET_S  # for a query's execution (extensions/budget.py)
    # Set once the operation turns out to be a mutation: it runs to its end, budget or not.
    exempt_from_budget: bool = False
    _site_rates: asyncio.Task[SiteRates] | None = field(default=None, repr=False)
    assist_feed: AssistFeed | None = None  # the `atRisk` subscription's source
    # A WebSocket's `connection_init` payload (Strawberry sets it).
    connection_params: Any = None
    forget: ForgetService | None = None  # forgetCustomers; None: this server cannot
    work: WorkService | None = None  # setWorkItemStatus; None: this server cannot

    @classmethod
    def create(
        cls,
        request: HTTPConnection,
        graph: GraphReads,
        api_key: str | None = None,
        analysis: AnalysisService | None = None,
        metrics: Metrics | None = None,
        *,
        time_budget_s: float = DEFAULT_TIME_BUDGET_S,
        assist_feed: AssistFeed | None = None,
        forget: ForgetService | None = None,
        work: WorkService | None = None,
    ) -> Context:
        return cls(
            request,
            graph,
            Loaders(graph),
            api_key,
            analysis,
            metrics,
            time_budget_s,
            assist_feed=assist_feed,
            forget=forget,
            work=work,
        )

    def authorized(self) -> bool:
        """True when no API key is configured, or the request carries it."""
        return request_authorized(self.request, self.api_key)

    async def site_rates(self) -> SiteRates:
        """Read once per request, however many fields ask."""
        if self._site_rates is None:
            self._site_rates = asyncio.ensure_future(self.graph.pages.site_rates())
        return await self._site_rates


# What every resolver (and the API key's permission) is given.
Info = strawberry.Info[Context, None]
