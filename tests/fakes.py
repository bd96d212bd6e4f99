"""In-memory reads of the graph for the API's unit tests of pure logic (limits, masking, the
response cache, loaders). Each aggregate's fake is small; they share one call log, so a
test can assert that a refused query read nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from graph_model.funnel.record import DropOff, Funnel, FunnelStepResult
from graph_model.keyset import Window
from graph_model.page.record import (
    PageFigures,
    PageRecord,
    SiteRates,
    TransitionRecord,
    WeakReason,
)
from graph_model.path.record import path_stats_from_sums
from graph_model.reader import AnalysisPin, QueryObserver
from graph_model.run.record import AnalysisRun
from graph_model.work.reads import WorkSummary
from graph_model.work.record import Verdict, WorkStatus
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
    """Every read made, by name; `fail` makes every read raise it, `delay_s` makes every
    aggregate read take that long (and `cancelled` lists the reads cancelled meanwhile)."""

    fail: BaseException | None = None
    delay_s: float = 0.0
    calls: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
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

    async def still_readable(self, pin: AnalysisPin) -> bool:
        return True  # one fixed graph: nothing switches under a request


class FakeReads:
    """One aggregate's reads: each method logs its name and returns its answer (a value, or a
    function of the call's arguments)."""

    def __init__(self, log: CallLog, **methods: tuple[str, Any]) -> None:
        for attribute, (name, answer) in methods.items():
            setattr(self, attribute, self._method(log, name, answer))

    @staticmethod
    def _method(log: CallLog, name: str, answer: Any) -> Callable[..., Awaitable[Any]]:
        async def method(*args: Any) -> Any:
            log.call(name)
            if log.delay_s:
                try:
                    await asyncio.sleep(log.delay_s)
                except asyncio.CancelledError:
                    log.cancelled.append(name)
                    raise
            return answer(*args) if callable(answer) else answer

        return method


# Each aggregate's reads: method -> (the name its call is logged as, its answer).
ANSWERS: dict[str, dict[str, tuple[str, Any]]] = {
    "pages": {  # every page id starting with "p" exists
        "by_ids": ("pages_by_ids", lambda ids: {i: fake_page(i) for i in ids if i[0] == "p"}),
        "window": ("page_window", lambda *_: Window((fake_page("p1"),), ("c1",), False)),
        "count": ("page_count", 1),
        "transitions": (
            "transitions",
            lambda ids, *_: {i: (TransitionRecord(i, "p2", 3, 1, 1.0),) for i in ids},
        ),
        "route_probabilities": ("route_probabilities", lambda routes: [1.0 for _ in routes]),
        "weak": ("weak_pages", lambda *_: (fake_page("p1"),)),
        "hotspots": ("hotspots", ()),
        "escalation_hotspots": ("escalation_hotspots", ()),
        "site_rates": ("site_rates", SiteRates(None, None)),
        "versions": ("page_versions", {}),
    },
    "paths": {
        "by_ids": ("paths_by_ids", {}),
        "of_customers": ("customer_paths", {}),
        "count_of_customers": ("customer_path_counts", {}),
        "through": ("paths_through", {}),
        "count_through": ("paths_through_counts", {}),
        "stats": ("path_stats", lambda *_: path_stats_from_sums({})),
    },
    "customers": {
        "by_ids": ("customers_by_ids", {}),
        "similar": ("similar_customers", {}),
        "visited": ("visited_pages", {}),
    },
    "communities": {
        "by_ids": ("communities_by_ids", {}),
        "window": ("community_window", lambda *_: Window.empty()),
        "count": ("community_count", 0),
        "members": ("community_members", {}),
        "member_counts": ("community_member_counts", {}),
    },
    "suggestions": {"top": ("link_suggestions", ()), "from_pages": ("link_suggestions_from", {})},
    "links": {
        "misleading": ("misleading_links", ()),
        "success_of": ("link_success_of", {}),
        "all_success": ("all_link_success", {}),
    },
    "resolution": {"curves": ("resolution_curves", {})},
    "runs": {
        "current": ("current_analysis", None),
        "recent": ("analysis_runs", ()),
        "by_id": ("analysis_run", lambda run_id: AnalysisRun(run_id, 0, 5, {"read paths": 0.1})),
    },
    "series": {
        "page_buckets": ("page_buckets", {}),
        "site_buckets": ("site_buckets", []),
        "stored": ("stored_page_series", {}),
        "stored_site": ("stored_site_series", None),
        "page_by_value": ("page_by_segment", {}),
        "span": ("path_span", None),
    },
    "segments": {"keys": ("segments", ())},
    "changes": {"top": ("changes", ()), "of_pages": ("page_changes", {})},
    "assist": {"at_risk": ("at_risk_paths", ())},
    "search": {
        "window": ("search_queries", lambda *_: Window.empty()),
        "count": ("search_query_count", 0),
        "by_text": ("search_queries_by_text", {}),
        "content_gaps": ("content_gaps", ()),
        "site": ("search_stats", None),
    },
    "work": {
        "queue": ("work_queue", ()),
        "items": ("work_items", {}),
        "summary": (
            "work_summary",
            WorkSummary(dict.fromkeys(WorkStatus, 0), 0, dict.fromkeys(Verdict, 0), 0.0),
        ),
    },
    "funnels": {  # each step: 2 reached, 1 went on, 1 dropped off to p2
        "funnel": (
            "funnel",
            lambda steps, within_minutes, *_: Funnel(
                tuple(FunnelStepResult(s, 2, 1, 1.5, (DropOff("p2", 1, 1, 0, 0),)) for s in steps),
                3,
                within_minutes,
            ),
        ),
    },
    "alerts": {
        "counts": ("alert_counts", {"PENDING": 0, "DELIVERED": 0, "FAILED": 0, "RETRYING": 0}),
        "deliveries": ("alert_deliveries", ()),
    },
}


class FakeGraph:
    """The whole graph's reads (what graph_model.graph.GraphReads holds), in memory."""

    def __init__(
        self, fail: BaseException | None = None, version: str | None = None, delay_s: float = 0.0
    ) -> None:
        self.log = CallLog(fail, delay_s)
        self.status = FakeStatus(self.log, version)
        for aggregate, methods in ANSWERS.items():
            setattr(self, aggregate, FakeReads(self.log, **methods))

    @property
    def calls(self) -> list[str]:
        """Every read made, by name."""
        return self.log.calls


def with_app(
    graph: FakeGraph,
    scenario: Callable[[httpx.AsyncClient], Awaitable[T]],
    **app_options: Any,
) -> T:
    """Run `scenario` against the ASGI app in-process (lifespan included) on `graph`, as
    http://127.0.0.1 (a host the app answers by default)."""

    @asynccontextmanager
    async def reads() -> AsyncIterator[Any]:
        yield graph

    app = create_app(reads, **app_options)

    async def run() -> T:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
            ) as client,
        ):
            return await scenario(client)

    return asyncio.run(run())
