"""Pages: the Page type with its figures, transitions, tests and routes, and their queries."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import strawberry

from graph_model.page.record import (
    Direction,
    PageOrder,
    PageRecord,
    PathMode,
    TransitionRecord,
    WeakReason,
)
from graph_model.path.record import Outcome
from graph_model.series.record import PageMetric
from graph_model.timewindow import Interval
from graphql_api.fields import field
from graphql_api.types import enums as _enums  # noqa: F401 -- registers the enums
from graphql_api.types.common import (
    CHILD_FIRST,
    DEFAULT_FIRST,
    DEFAULT_LIMIT,
    LIST_LIMIT,
    After,
    First,
    Info,
    Limit,
    at_least_zero,
    firsts,
    limited,
    record_id,
    recorded,
)
from graphql_api.types.connection import Connection
from graphql_api.types.lazy import (
    ChangeType,
    LinkSuggestionType,
    PageVersionType,
    PathType,
    SegmentRateType,
)
from graphql_api.types.series import (
    From,
    IntervalArgument,
    Metric,
    PageRates,
    Segment,
    SeriesPoint,
    Until,
    page_rates,
    page_series,
    segment_of,
    window_of,
)


def figure(name: str, description: str | None = None) -> Any:
    """A Page field that is the analysis figure `name` of its record (graph_model.page)."""

    def resolve(root: Any) -> Any:
        return getattr(root.record.figures, name)

    return strawberry.field(resolver=resolve, description=description)


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
        return await load_pages(info, self.record.figures.misleading_links_from)

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
        from graphql_api.types.path import Path

        loaders, key = info.context.loaders, (self.record.id, outcome)
        window = await loaders.paths_through.load((key[0], (firsts(first), after, outcome)))
        count = partial(loaders.paths_through_count.load, key)
        return Connection.of(window, Path.of, count, after)

    @field(
        description="Counts and rates over the completed paths that started in a window, "
        "computed on demand (default: all of them)."
    )
    async def rates(
        self, info: Info, from_: From = None, until: Until = None, segment: Segment = None
    ) -> PageRates:
        window = window_of(from_, until)
        return await page_rates(info, self.record.id, window, segment_of(segment))

    @field(
        description="The figure per period, with Wilson 95% intervals: precomputed by the "
        "analysis for its window (on period boundaries), else computed on demand."
    )
    async def series(
        self,
        info: Info,
        metric: Metric,
        interval: IntervalArgument = Interval.WEEK,
        from_: From = None,
        until: Until = None,
        segment: Segment = None,
    ) -> list[SeriesPoint]:
        window = window_of(from_, until)
        interval = interval or Interval.WEEK
        return await page_series(
            info, self.record.id, metric, interval, window, segment_of(segment)
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

    @field(description="The page's catalog versions, oldest first.")
    async def versions(self, info: Info) -> list[PageVersionType]:
        from graphql_api.types.change import PageVersion

        found = await info.context.loaders.versions.load(self.record.id)
        return [PageVersion(record=v) for v in found]

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


async def load_page(info: Info, page_id: str) -> Page:
    record = await info.context.loaders.page.load(page_id)
    if record is None:  # pages are never deleted while served; a vanished one is a bug
        raise RuntimeError(f"page {page_id!r} referenced but not found")
    return Page(record=record)


async def load_pages(info: Info, page_ids: tuple[str, ...]) -> list[Page]:
    records = await info.context.loaders.page.load_many(page_ids)
    return [Page(record=r) for r in records if r is not None]


@strawberry.type
class PageLink:
    """A link between two pages: its record names them `from_page_id` and `to_page_id`."""

    record: strawberry.Private[Any]

    @field(name="from")
    async def from_(self, info: Info) -> Page:
        return await load_page(info, self.record.from_page_id)

    @strawberry.field
    async def to(self, info: Info) -> Page:
        return await load_page(info, self.record.to_page_id)


@strawberry.type(description="Consecutive clicks from one page to another, over all paths.")
class Transition(PageLink):
    record: strawberry.Private[TransitionRecord]

    @field(description="Clicks from `from` to `to`.")
    def count(self) -> int:
        return self.record.count

    @field(description="count / all onward clicks from `from`.")
    def probability(self) -> float:
        return self.record.probability

    @field(description="Times the customer then came straight back to `from`.")
    def turnarounds(self) -> int:
        return self.record.turnarounds

    @field(description="turnarounds / count.")
    def turnaround_rate(self) -> float:
        return self.record.turnarounds / self.record.count if self.record.count else 0.0

    @field(
        description="Second order: the chance a customer on `to` who came from `from` goes on "
        "to resolve (the absorbing chain on page pairs, latest analysis); null where the pair "
        "was seen fewer than 20 times in completed paths."
    )
    async def success_probability(self, info: Info) -> float | None:
        key = (self.record.from_page_id, self.record.to_page_id)
        found = await info.context.loaders.link_success.load(key)
        return found.success_probability if found else None


@strawberry.type(description="A page's turnarounds against the site rate.")
class Hotspot:
    record: strawberry.Private[PageRecord]

    @strawberry.field
    def page(self) -> Page:
        return Page(record=self.record)

    turnarounds: int = figure("turnarounds")
    opportunities: int = figure("turnaround_opportunities")
    rate: float | None = figure("turnaround_rate", "turnarounds / opportunities.")
    p_value: float | None = figure(
        "hotspot_p_value",
        "One-sided binomial test against the site rate (null: too few opportunities, not tested).",
    )
    q_value: float | None = figure("hotspot_q_value", "Benjamini-Hochberg adjusted p-value.")
    is_hotspot: bool = figure("is_hotspot")

    @field(description="All turnarounds / all opportunities, over every page.")
    async def site_rate(self, info: Info) -> float | None:
        return (await info.context.site_rates()).turnaround_rate


@strawberry.type(description="A page's exits against the site exit rate.")
class ExitStats:
    record: strawberry.Private[PageRecord]

    exits: int = figure("exits")
    visits: int = figure("visits")
    rate: float | None = figure("exit_rate", "exits / visits.")
    p_value: float | None = figure("exit_p_value")
    q_value: float | None = figure("exit_q_value")
    is_high_exit: bool = figure("is_high_exit")

    @field(description="All exits / all visits, over every page.")
    async def site_rate(self, info: Info) -> float | None:
        return (await info.context.site_rates()).exit_rate


@strawberry.type(
    description="A page's escalations (paths ended by a ticket, chat or call after it) "
    "against the site escalation rate."
)
class EscalationStats:
    record: strawberry.Private[PageRecord]

    @strawberry.field
    def page(self) -> Page:
        return Page(record=self.record)

    escalations: int = figure("escalations")
    visits: int = figure("visits")
    rate: float | None = figure("escalation_rate", "escalations / visits.")
    p_value: float | None = figure(
        "escalation_p_value",
        "One-sided binomial test against the site rate (null: too few visits, not tested).",
    )
    q_value: float | None = figure("escalation_q_value", "Benjamini-Hochberg adjusted p-value.")
    is_escalation_hotspot: bool = figure("is_escalation_hotspot")

    @field(description="All escalations / all visits, over every page.")
    async def site_rate(self, info: Info) -> float | None:
        return (await info.context.site_rates()).escalation_rate


@strawberry.type(description="A page where improving content would help the most customers.")
class WeakPage:
    record: strawberry.Private[PageRecord]

    @strawberry.field
    def page(self) -> Page:
        return Page(record=self.record)

    impact: float = figure("impact", "visits x shortfall of success probability below the site's.")
    reasons: list[WeakReason] = figure("weak_reasons")

    @field(description="With MISLEADING_LINK: the pages whose link into this one misleads.")
    async def misleading_from(self, info: Info) -> list[Page]:
        return await load_pages(info, self.record.figures.misleading_links_from)


@strawberry.type(description="A shortest route to a page where customers resolve.")
class SuccessPath:
    mode: PathMode
    page_ids: list[strawberry.ID] = strawberry.field(description="The route, start first.")
    clicks: int = strawberry.field(description="Transitions along the route (0: resolves here).")
    observed_mean_clicks: float | None = strawberry.field(
        description="What customers actually take from the start page: mean further clicks "
        "in resolved paths."
    )
    likely_probability: strawberry.Private[float | None]

    @staticmethod
    def of(r: PageRecord, mode: PathMode) -> SuccessPath | None:
        f = r.figures
        route = f.success_path_likely if mode is PathMode.MOST_LIKELY else f.success_path_fewest
        if not route:
            return None
        return SuccessPath(
            mode=mode,
            page_ids=[strawberry.ID(p) for p in route],
            clicks=len(route) - 1,
            observed_mean_clicks=f.observed_mean_clicks_to_resolution,
            likely_probability=f.success_path_likely_probability,
        )

    @strawberry.field
    async def pages(self, info: Info) -> list[Page]:
        return await load_pages(info, tuple(self.page_ids))

    @field(
        description="Chance a customer takes exactly this route: the product of its "
        "transition probabilities."
    )
    async def probability(self, info: Info) -> float | None:
        if self.mode is PathMode.MOST_LIKELY:
            return self.likely_probability
        return await info.context.loaders.route_probability.load(tuple(self.page_ids))


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
        info.context.loaders.prime_pages(records)
        return [WeakPage(record=r) for r in records]

    @field(description="Turnaround hotspots, most significant first.")
    async def turnaround_hotspots(self, info: Info, limit: Limit = LIST_LIMIT) -> list[Hotspot]:
        records = await info.context.graph.pages.hotspots(limited(limit, LIST_LIMIT))
        info.context.loaders.prime_pages(records)
        return [Hotspot(record=r) for r in records]

    @field(
        description="Escalation hotspots: pages after which customers contact support "
        "significantly more often than the site's rate, most significant first."
    )
    async def escalation_hotspots(
        self, info: Info, limit: Limit = LIST_LIMIT
    ) -> list[EscalationStats]:
        records = await info.context.graph.pages.escalation_hotspots(limited(limit, LIST_LIMIT))
        info.context.loaders.prime_pages(records)
        return [EscalationStats(record=r) for r in records]

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
