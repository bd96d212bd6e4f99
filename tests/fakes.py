"""In-memory reads of the graph for the API's unit tests of pure logic (limits, masking, the
response cache, loaders). Each aggregate's fake is small; they share one call log, so a
test can assert that a refused query read nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from graph_model.community.record import CommunityOrder, CommunityRecord
from graph_model.customer.record import CustomerRecord, PageVisit, SimilarCustomer
from graph_model.keyset import Window
from graph_model.page.record import (
    Direction,
    PageFigures,
    PageOrder,
    PageRecord,
    SiteRates,
    TransitionRecord,
    WeakReason,
)
from graph_model.path.record import Outcome, Path, PathStats, path_stats_from_sums
from graph_model.reader import QueryObserver
from graph_model.run.record import AnalysisRun
from graph_model.suggestion.record import LinkSuggestion
from graphql_api.app import create_app

T = TypeVar("T")


def fake_page(page_id: str) -> PageRecord:
    return PageRecord(
        id=page_id,
        title=f"Title {page_id}",
        analyzed=True,
        figures=PageFigures(
            visits=10,
            exits=1,
            exit_rate=0.1,
            resolutions=2,
            page_rank=1.0,
            path_rank=1.0,
            success_probability=0.5,
            expected_clicks_to_resolution=1.0,
            weak_reasons=(WeakReason.LOW_SUCCESS,),
            success_path_fewest=(page_id,),
            success_path_fewest_clicks=0,
        ),
    )


@dataclass
class CallLog:
    """Every read made, by name; `fail` makes every read raise it."""

    fail: BaseException | None = None
    calls: list[str] = field(default_factory=list)
    observers: list[QueryObserver] = field(default_factory=list)

    def call(self, name: str) -> None:
        self.calls.append(name)
        for observer in self.observers:
            observer(name, 0.0)
        if self.fail is not None:
            raise self.fail


@dataclass
class FakeStatus:
    log: CallLog
    version: str | None  # None: no write recorded, so the response cache stays out

    async def ping(self) -> None:
        self.log.call("ping")

    async def graph_version(self) -> str | None:
        self.log.call("graph_version")
        return self.version

    def add_observer(self, observer: QueryObserver) -> None:
        self.log.observers.append(observer)


@dataclass
class FakePages:
    """Every page id starting with "p" exists."""

    log: CallLog

    async def by_ids(self, ids: Sequence[str]) -> dict[str, PageRecord]:
        self.log.call("pages_by_ids")
        return {i: fake_page(i) for i in ids if i.startswith("p")}

    async def window(self, order: PageOrder, first: int, after: str | None) -> Window[PageRecord]:
        self.log.call("page_window")
        return Window((fake_page("p1"),), ("c1",), False)

    async def count(self) -> int:
        self.log.call("page_count")
        return 1

    async def transitions(
        self, ids: Sequence[str], direction: Direction, limit: int
    ) -> dict[str, tuple[TransitionRecord, ...]]:
        self.log.call("transitions")
        return {i: (TransitionRecord(i, "p2", 3, 1, 1.0),) for i in ids}

    async def route_probabilities(self, routes: Sequence[Sequence[str]]) -> list[float | None]:
        self.log.call("route_probabilities")
        return [1.0 for _ in routes]

    async def weak(self, limit: int, min_visits: int) -> tuple[PageRecord, ...]:
        self.log.call("weak_pages")
        return (fake_page("p1"),)

    async def hotspots(self, limit: int) -> tuple[PageRecord, ...]:
        self.log.call("hotspots")
        return ()

    async def site_rates(self) -> SiteRates:
        self.log.call("site_rates")
        return SiteRates(None, None)


@dataclass
class FakePaths:
    log: CallLog

    async def of_customers(
        self, ids: Sequence[str], first: int, after: str | None, outcome: Outcome | None
    ) -> dict[str, Window[Path]]:
        self.log.call("customer_paths")
        return {}

    async def count_of_customers(
        self, ids: Sequence[str], outcome: Outcome | None
    ) -> dict[str, int]:
        self.log.call("customer_path_counts")
        return {}

    async def through(
        self, ids: Sequence[str], first: int, after: str | None, outcome: Outcome | None
    ) -> dict[str, Window[Path]]:
        self.log.call("paths_through")
        return {}

    async def count_through(self, ids: Sequence[str], outcome: Outcome | None) -> dict[str, int]:
        self.log.call("paths_through_counts")
        return {}

    async def stats(self) -> PathStats:
        self.log.call("path_stats")
        return path_stats_from_sums({})


@dataclass
class FakeCustomers:
    log: CallLog

    async def by_ids(self, ids: Sequence[str]) -> dict[str, CustomerRecord]:
        self.log.call("customers_by_ids")
        return {}

    async def similar(
        self, ids: Sequence[str], limit: int
    ) -> dict[str, tuple[SimilarCustomer, ...]]:
        self.log.call("similar_customers")
        return {}

    async def visited(self, ids: Sequence[str], limit: int) -> dict[str, tuple[PageVisit, ...]]:
        self.log.call("visited_pages")
        return {}


@dataclass
class FakeCommunities:
    log: CallLog

    async def by_ids(self, ids: Sequence[int]) -> dict[int, CommunityRecord]:
        self.log.call("communities_by_ids")
        return {}

    async def window(
        self, order: CommunityOrder, first: int, after: str | None
    ) -> Window[CommunityRecord]:
        self.log.call("community_window")
        return Window.empty()

    async def count(self) -> int:
        self.log.call("community_count")
        return 0

    async def members(
        self, ids: Sequence[int], first: int, after: str | None
    ) -> dict[int, Window[CustomerRecord]]:
        self.log.call("community_members")
        return {}

    async def member_counts(self, ids: Sequence[int]) -> dict[int, int]:
        self.log.call("community_member_counts")
        return {}


@dataclass
class FakeSuggestions:
    log: CallLog

    async def top(self, limit: int) -> tuple[LinkSuggestion, ...]:
        self.log.call("link_suggestions")
        return ()

    async def from_pages(
        self, ids: Sequence[str], limit: int
    ) -> dict[str, tuple[LinkSuggestion, ...]]:
        self.log.call("link_suggestions_from")
        return {}


@dataclass
class FakeRuns:
    log: CallLog

    async def recent(self, limit: int) -> tuple[AnalysisRun, ...]:
        self.log.call("analysis_runs")
        return ()

    async def by_id(self, run_id: str) -> AnalysisRun | None:
        self.log.call("analysis_run")
        return AnalysisRun(run_id, 0, 5, {"read paths": 0.1})


class FakeGraph:
    """The whole graph's reads (what graph_model.graph.GraphReads holds), in memory."""

    def __init__(self, fail: BaseException | None = None, version: str | None = None) -> None:
        self.log = CallLog(fail)
        self.status = FakeStatus(self.log, version)
        self.pages = FakePages(self.log)
        self.paths = FakePaths(self.log)
        self.customers = FakeCustomers(self.log)
        self.communities = FakeCommunities(self.log)
        self.suggestions = FakeSuggestions(self.log)
        self.runs = FakeRuns(self.log)

    @property
    def calls(self) -> list[str]:
        """Every read made, by name."""
        return self.log.calls

    @property
    def version(self) -> str | None:
        return self.status.version

    @version.setter
    def version(self, value: str | None) -> None:
        """A write happened (or, with None, no write is recorded)."""
        self.status.version = value

    @property
    def fail(self) -> BaseException | None:
        return self.log.fail

    @fail.setter
    def fail(self, error: BaseException | None) -> None:
        """Every read from now on raises `error` (None: reads work again)."""
        self.log.fail = error


def with_app(
    graph: FakeGraph,
    scenario: Callable[[httpx.AsyncClient], Awaitable[T]],
    **app_options: Any,
) -> T:
    """Run `scenario` against the ASGI app in-process (lifespan included) on `graph`."""

    @asynccontextmanager
    async def reads() -> AsyncIterator[Any]:
        yield graph

    app = create_app(reads, **app_options)

    async def run() -> T:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://test"
            ) as client,
        ):
            return await scenario(client)

    return asyncio.run(run())
