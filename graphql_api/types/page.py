"""Pages: the Page type with its figures and neighbourhood, and the page queries. Its tests
against the site are in page_stats.py, its routes in route.py, its links in transition.py."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, TypeVar

import strawberry

from graph_model.page.record import (
    Direction,
    PageOrder,
    PageRecord,
    PathMode,
    WeakReason,
)
from graph_model.path.record import Outcome
from graph_model.series.record import PageMetric
from graphql_api.context import Info
from graphql_api.fields import field
from graphql_api.types import enums as _enums  # noqa: F401 -- registers the enums
from graphql_api.types.common import (
    CHILD_FIRST,
    DEFAULT_FIRST,
    DEFAULT_LIMIT,
    LIST_LIMIT,
    After,
    First,
    Limit,
    at_least_zero,
    capped,
    figure,
    firsts,
    limited,
    record_id,
    recorded,
)
from graphql_api.types.connection import Connection
from graphql_api.types.lazy import (
    ChangeType,
    DwellType,
    LinkSuggestionType,
    PageVersionType,
    PathType,
    SegmentRateType,
)
from graphql_api.types.page_stats import (
    EscalationStats,
    ExitStats,
    Hotspot,
    WeakPage,
    misleading_from,
)
from graphql_api.types.route import SuccessPath
from graphql_api.types.series import (
    From,
    PageRates,
    Segment,
    Until,
    filters,
    page_rates,
    series_field,
    window_of,
)
from graphql_api.types.transition import Transition

T = TypeVar("T")


@strawberry.type(
    description="A help-center page with the figures `pathrank analyze` computed "
    "(docs/analytics.md). Counts are over completed paths; figures are null where undefined "
    "or not analysed yet."
)
class Page:
    record: strawberry.Private[PageRecord]
    id: strawberry.ID = record_id()
    title: str | None = recorded("title")
    url: str | None = recorded("url")
    analyzed: bool = recorded(
        "analyzed",
        "False for pages first seen after the last analysis (counts 0, figures null until the "
        "next run).",
    )

    visits: int = figure("visits", "Occurrences in completed paths.")
    entries: int = figure("entries", "Completed paths that started on this page.")
    exits: int = figure("exits", "Abandoned paths that ended here.")
    exit_rate: float | None = figure("exit_rate", "exits / visits.")
    resolutions: int = figure("resolutions", "Resolved paths that ended here.")
    escalations: int = figure(
        "escalations", "Escalated paths whose last page this is (a ticket, chat or call next)."
    )
    escalation_rate: float | None = figure("escalation_rate", "escalations / visits.")
    turnarounds: int = figure("turnarounds", "Turnarounds located at this page.")
    turnaround_opportunities: int = figure(
        "turnaround_opportunities", "Occurrences strictly inside completed paths."
    )
    turnaround_rate: float | None = figure(
        "turnaround_rate", "turnarounds / turnaroundOpportunities."
    )
    page_rank: float | None = figure("page_rank", "PageRank on TRANSITION by count.")
    path_rank: float | None = figure(
        "path_rank", "PageRank on reversed transitions, personalised on resolution pages."
    )
    success_probability: float | None = figure(
        "success_probability", "Probability that a customer on this page goes on to resolve."
    )
    expected_clicks_to_resolution: float | None = figure(
        "expected_clicks_to_resolution", "Expected further clicks, given the customer resolves."
    )
    observed_mean_clicks_to_resolution: float | None = figure(
        "observed_mean_clicks_to_resolution", "Mean further clicks observed in resolved paths."
    )
    escalation_probability: float | None = figure(
        "escalation_probability",
        "Probability that a customer on this page ends up contacting support (escalated).",
    )
    is_hotspot: bool = figure("is_hotspot", "A turnaround hotspot (q <= the false-discovery rate).")
    is_high_exit: bool = figure("is_high_exit", "A high-exit page (q <= the false-discovery rate).")
    is_escalation_hotspot: bool = figure(
        "is_escalation_hotspot",
        "An escalation hotspot: escalations / visits significantly above the site's "
        "(q <= the false-discovery rate).",
    )
    impact: float = figure(
        "impact", "visits x max(0, site success probability - successProbability)."
    )
    weak_reasons: list[WeakReason] = figure("weak_reasons")

    @field(
        description="Pages whose link into this one is misleading (weak reason MISLEADING_LINK)."
    )
    async def misleading_from(self, info: Info) -> list[Page]:
        return await misleading_from(info, self.record, "Page.misleadingFrom")

    @staticmethod
    def of(record: PageRecord) -> Page:
        return Page(record=record)

    @field(description="The most frequent transitions out of this page.")
    async def outgoing(self, info: Info, limit: Limit = DEFAULT_LIMIT) -> list[Transition]:
        return await self._transitions(info, Direction.OUT, limited(limit))

    @field(description="The most frequent transitions into this page.")
    async def incoming(self, info: Info, limit: Limit = DEFAULT_LIMIT) -> list[Transition]:
        return await self._transitions(info, Direction.IN, limited(limit))

    async def _transitions(self, info: Info, direction: Direction, limit: int) -> list[Transition]:
        found = await info.context.loaders.transitions.load((self.record.id, (direction, limit)))
        return [Transition(record=t) for t in found]

    @field(description="Turnaround statistics and test (null if the page had no opportunity).")
    def hotspot_stats(self) -> Hotspot | None:
        return Hotspot(record=self.record) if self.record.figures.turnaround_opportunities else None

    @field(description="Exit statistics and test (null if never visited).")
    def exit_stats(self) -> ExitStats | None:
        return ExitStats(record=self.record) if self.record.figures.visits else None

    @field(description="Escalation statistics and test (null if never visited).")
    def escalation_stats(self) -> EscalationStats | None:
        return EscalationStats(record=self.record) if self.record.figures.visits else None

    @field(description="Shortest route from this page to a resolution.")
    def success_path(self, mode: PathMode | None = PathMode.FEWEST_CLICKS) -> SuccessPath | None:
        return SuccessPath.of(self.record, mode or PathMode.FEWEST_CLICKS)

    @field(description="Customer paths that visit this page, most recent first.")
    async def paths_through(
        self,
        info: Info,
        first: First = CHILD_FIRST,
        after: After = None,
        outcome: Annotated[
            Outcome | None, strawberry.argument(description="Only paths that ended so.")
        ] = None,
    ) -> Connection[PathType]:
        from graphql_api.types.path import paths_connection

        loaders = info.context.loaders
        windows, counts = loaders.paths_through, loaders.paths_through_count
        return await paths_connection(windows, counts, self.record.id, first, after, outcome)

    @field(
        description="Counts and rates over the completed paths that started in a window, "
        "computed on demand (default: all of them)."
    )
    async def rates(
        self, info: Info, from_: From = None, until: Until = None, segment: Segment = None
    ) -> PageRates:
        return await page_rates(info, self.record.id, *filters(from_, until, segment))

    @field(
        description="Seconds customers spend on the page before their next click, over the "
        "completed paths that started in the window (default: all of them)."
    )
    async def time_on_page(
        self, info: Info, from_: From = None, until: Until = None, segment: Segment = None
    ) -> DwellType:
        from graphql_api.types.dwell import time_on_page

        return await time_on_page(info, self.record.id, *filters(from_, until, segment))

    series = series_field(
        "The figure per period, with Wilson 95% intervals: precomputed by the analysis for its "
        "window (on period boundaries), else computed on demand.",
        lambda root: str(root.record.id),
    )

    @field(
        description="The page's rate for each value of one segment key (and for paths "
        "without it), each against the rest of the page's paths: two-sided Fisher exact test "
        "(z-test beyond 10,000 trials), Benjamini-Hochberg over the key's values. Computed on "
        "demand over the window (default: all paths); most trials first."
    )
    async def by_segment(
        self,
        info: Info,
        key: Annotated[str, strawberry.argument(description="A segment key, e.g. platform.")],
        metric: Annotated[
            PageMetric | None, strawberry.argument(description="Default RESOLUTION_RATE.")
        ] = PageMetric.RESOLUTION_RATE,
        from_: From = None,
        until: Until = None,
    ) -> list[SegmentRateType]:
        from graphql_api.types.segment import by_segment

        window = window_of(from_, until)
        chosen = metric or PageMetric.RESOLUTION_RATE
        return await by_segment(info, self.record.id, key, chosen, window)

    @field(description="The page's catalog versions, oldest first (the latest 100).")
    async def versions(self, info: Info) -> list[PageVersionType]:
        from graphql_api.types.change import PageVersion

        found = await info.context.loaders.versions.load(self.record.id)
        return [PageVersion(record=v) for v in capped("Page.versions", found, latest=True)]

    @field(
        description="The latest analysis run's changes of this page, most significant first "
        "(every catalog comparison, and the significant period changes)."
    )
    async def changes(self, info: Info, limit: Limit = DEFAULT_LIMIT) -> list[ChangeType]:
        from graphql_api.types.change import Change

        found = await info.context.loaders.page_changes.load(
            (self.record.id, (limited(limit), False))
        )
        return [Change(record=c) for c in found]

    @field(description="Links worth adding from this page, most clicks saved first.")
    async def link_suggestions(
        self, info: Info, limit: Limit = DEFAULT_LIMIT
    ) -> list[LinkSuggestionType]:
        from graphql_api.types.suggestion import LinkSuggestion

        found = await info.context.loaders.suggestions_from.load((self.record.id, limited(limit)))
        return [LinkSuggestion(record=s) for s in found]


def primed(info: Info, records: Sequence[PageRecord], kind: Callable[..., T]) -> list[T]:
    """`records` as `kind`, their pages primed in the request's loader (so that a nested
    `page` reads nothing more)."""
    info.context.loaders.prime_pages(records)
    return [kind(record=r) for r in records]


async def load_page(info: Info, page_id: str) -> Page:
    record = await info.context.loaders.page.load(page_id)
    if record is None:  # pages are never deleted while served; a vanished one is a bug
        raise RuntimeError(f"page {page_id!r} referenced but not found")
    return Page(record=record)


async def load_pages(info: Info, page_ids: Sequence[str]) -> list[Page]:
    records = await info.context.loaders.page.load_many(page_ids)
    return [Page(record=r) for r in records if r is not None]


@strawberry.type
class PageQuery:
    @field(description="A page by id; null if there is none.")
    async def page(self, info: Info, id: strawberry.ID) -> Page | None:
        record = await info.context.loaders.page.load(str(id))
        return Page.of(record) if record else None

    @field(description="Every page, paginated (Relay cursors).")
    async def pages(
        self,
        info: Info,
        first: First = DEFAULT_FIRST,
        after: After = None,
        order_by: PageOrder | None = PageOrder.ID,
    ) -> Connection[Page]:
        pages = info.context.graph.pages
        window = await pages.window(order_by or PageOrder.ID, firsts(first, DEFAULT_FIRST), after)
        info.context.loaders.prime_pages(window.items)
        return Connection.of(window, Page.of, pages.count, after)

    @field(description="Weak pages by impact, highest first.")
    async def weak_pages(
        self,
        info: Info,
        limit: Limit = LIST_LIMIT,
        min_visits: Annotated[
            int | None,
            strawberry.argument(description="Only pages with at least this many visits."),
        ] = 0,
    ) -> list[WeakPage]:
        records = await info.context.graph.pages.weak(
            limited(limit, LIST_LIMIT), at_least_zero("minVisits", min_visits or 0)
        )
        return primed(info, records, WeakPage)

    @field(description="Turnaround hotspots, most significant first.")
    async def turnaround_hotspots(self, info: Info, limit: Limit = LIST_LIMIT) -> list[Hotspot]:
        records = await info.context.graph.pages.hotspots(limited(limit, LIST_LIMIT))
        return primed(info, records, Hotspot)

    @field(
        description="Escalation hotspots: pages after which customers contact support "
        "significantly more often than the site's rate, most significant first."
    )
    async def escalation_hotspots(
        self, info: Info, limit: Limit = LIST_LIMIT
    ) -> list[EscalationStats]:
        records = await info.context.graph.pages.escalation_hotspots(limited(limit, LIST_LIMIT))
        return primed(info, records, EscalationStats)

    @field(
        description="Shortest route from a page to a resolution; null for an unknown page or "
        "one with no route."
    )
    async def shortest_success_path(
        self,
        info: Info,
        from_page_id: strawberry.ID,
        mode: PathMode | None = PathMode.FEWEST_CLICKS,
    ) -> SuccessPath | None:
        record = await info.context.loaders.page.load(str(from_page_id))
        return SuccessPath.of(record, mode or PathMode.FEWEST_CLICKS) if record else None
