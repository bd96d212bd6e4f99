"""The GraphQL schema (DESIGN.md section 7) and what a page explorer needs around it.

Every read goes through the request's DataLoaders or the read model; list sizes are checked
(`limits.page_size`); unknown ids resolve to null.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from strawberry.permission import BasePermission
from strawberry.types import ExecutionContext

from graph_model import read_records as rec
from graph_model.read_model import GraphUnavailableError, QueryTimeoutError
from graphql_api import limits
from graphql_api.context import Context
from graphql_api.errors import ErrorCode, is_unexpected, user_error
from graphql_api.fields import field, mutation
from graphql_api.limits import page_size
from graphql_api.metrics import OperationMetrics
from graphql_api.relay import Connection, connection

Info = strawberry.Info[Context, None]
_log = logging.getLogger(__name__)

# Defaults when an argument is omitted or null.
DEFAULT_FIRST = 50  # top-level connections
CHILD_FIRST = 20  # connections nested in an object
LIST_LIMIT = 20  # top-level lists
DEFAULT_LIMIT = 10  # lists nested in an object


def _limit(description: str) -> Any:
    return strawberry.argument(description=f"{description} (0 to {limits.MAX_PAGE_SIZE}).")


# ---- enums ------------------------------------------------------------------------------


@strawberry.enum(
    description="Sort order of `pages`. Metrics sort highest first, pages "
    "without the figure last; ties by id."
)
class PageOrder(Enum):
    ID = strawberry.enum_value("ID", description="Page id, ascending.")
    TITLE = strawberry.enum_value("TITLE", description="Title, ascending.")
    VISITS = strawberry.enum_value("VISITS", description="Visits in completed paths.")
    PAGE_RANK = strawberry.enum_value("PAGE_RANK", description="PageRank on transitions.")
    PATH_RANK = strawberry.enum_value("PATH_RANK", description="PathRank (leads to success).")
    SUCCESS_PROBABILITY = strawberry.enum_value(
        "SUCCESS_PROBABILITY", description="Probability of resolving from the page."
    )
    IMPACT = strawberry.enum_value("IMPACT", description="Weak-page impact.")
    TURNAROUND_RATE = strawberry.enum_value("TURNAROUND_RATE", description="Turnaround rate.")
    EXIT_RATE = strawberry.enum_value("EXIT_RATE", description="Exit rate.")


@strawberry.enum(description="Sort order of `communities`.")
class CommunityOrder(Enum):
    ID = strawberry.enum_value("ID", description="Community id, ascending.")
    SIZE = strawberry.enum_value("SIZE", description="Customers, largest first.")


@strawberry.enum(description="Which shortest success path.")
class PathMode(Enum):
    FEWEST_CLICKS = strawberry.enum_value(
        "FEWEST_CLICKS", description="Fewest clicks along observed transitions."
    )
    MOST_LIKELY = strawberry.enum_value(
        "MOST_LIKELY", description="Highest product of transition probabilities."
    )


@strawberry.enum(description="How a customer path ended (DESIGN section 3).")
class PathOutcome(Enum):
    RESOLVED = "RESOLVED"
    ABANDONED = "ABANDONED"
    OPEN = "OPEN"


@strawberry.enum(description="Why a page is weak (docs/analytics.md section 7).")
class WeakReason(Enum):
    TURNAROUND_HOTSPOT = strawberry.enum_value(
        "TURNAROUND_HOTSPOT", description="Customers turn straight back significantly often."
    )
    HIGH_EXIT = strawberry.enum_value(
        "HIGH_EXIT", description="Customers leave the site here significantly often."
    )
    DEAD_END = strawberry.enum_value(
        "DEAD_END", description="Nothing resolves here and no link leads on to success."
    )
    LOW_SUCCESS = strawberry.enum_value(
        "LOW_SUCCESS", description="Success probability below half the site's."
    )


def _reasons(values: tuple[str, ...]) -> list[WeakReason]:
    return [WeakReason[v] for v in values if v in WeakReason.__members__]


def _time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _check_min(name: str, value: int) -> int:
    if value < 0:
        raise user_error(f"`{name}` must not be negative, got {value}")
    return value


# ---- pages ------------------------------------------------------------------------------


@strawberry.type(
    description="A help-center page with the figures `pathrank analyze` computed "
    "(docs/analytics.md). Counts are over completed paths; figures are null where undefined "
    "or not analysed yet."
)
class Page:
    record: strawberry.Private[rec.PageRecord]
    id: strawberry.ID
    title: str | None
    url: str | None
    analyzed: bool = strawberry.field(
        description="False for pages first seen after the last analysis (counts 0, figures "
        "null until the next run)."
    )
    visits: int = strawberry.field(description="Occurrences in completed paths.")
    exits: int = strawberry.field(description="Abandoned paths that ended here.")
    exit_rate: float | None = strawberry.field(description="exits / visits.")
    resolutions: int = strawberry.field(description="Resolved paths that ended here.")
    turnarounds: int = strawberry.field(description="Turnarounds located at this page.")
    turnaround_opportunities: int = strawberry.field(
        description="Occurrences strictly inside completed paths."
    )
    turnaround_rate: float | None = strawberry.field(
        description="turnarounds / turnaroundOpportunities."
    )
    page_rank: float | None = strawberry.field(description="PageRank on TRANSITION by count.")
    path_rank: float | None = strawberry.field(
        description="PageRank on reversed transitions, personalised on resolution pages."
    )
    success_probability: float | None = strawberry.field(
        description="Probability that a customer on this page goes on to resolve."
    )
    expected_clicks_to_resolution: float | None = strawberry.field(
        description="Expected further clicks, given the customer resolves."
    )
    observed_mean_clicks_to_resolution: float | None = strawberry.field(
        description="Mean further clicks observed in resolved paths."
    )
    is_hotspot: bool = strawberry.field(description="A turnaround hotspot (q <= 0.05).")
    is_high_exit: bool = strawberry.field(description="A high-exit page (q <= 0.05).")
    impact: float = strawberry.field(
        description="visits x max(0, site success probability - successProbability)."
    )
    weak_reasons: list[WeakReason]

    @staticmethod
    def of(r: rec.PageRecord) -> Page:
        return Page(
            record=r,
            id=strawberry.ID(r.id),
            title=r.title,
            url=r.url,
            analyzed=r.analyzed,
            visits=r.visits,
            exits=r.exits,
            exit_rate=r.exit_rate,
            resolutions=r.resolutions,
            turnarounds=r.turnarounds,
            turnaround_opportunities=r.turnaround_opportunities,
            turnaround_rate=r.turnaround_rate,
            page_rank=r.page_rank,
            path_rank=r.path_rank,
            success_probability=r.success_probability,
            expected_clicks_to_resolution=r.expected_clicks_to_resolution,
            observed_mean_clicks_to_resolution=r.observed_mean_clicks_to_resolution,
            is_hotspot=r.is_hotspot,
            is_high_exit=r.is_high_exit,
            impact=r.impact,
            weak_reasons=_reasons(r.weak_reasons),
        )

    @field(description="The most frequent transitions out of this page.")
    async def outgoing(
        self,
        info: Info,
        limit: Annotated[int | None, _limit("At most this many, by count")] = DEFAULT_LIMIT,
    ) -> list[Transition]:
        key = (self.record.id, (rec.Direction.OUT, page_size("limit", limit, DEFAULT_LIMIT)))
        return [Transition(record=t) for t in await info.context.loaders.transitions.load(key)]

    @field(description="The most frequent transitions into this page.")
    async def incoming(
        self,
        info: Info,
        limit: Annotated[int | None, _limit("At most this many, by count")] = DEFAULT_LIMIT,
    ) -> list[Transition]:
        key = (self.record.id, (rec.Direction.IN, page_size("limit", limit, DEFAULT_LIMIT)))
        return [Transition(record=t) for t in await info.context.loaders.transitions.load(key)]

    @field(description="Turnaround statistics and test (null if the page had no opportunity).")
    def hotspot_stats(self) -> Hotspot | None:
        return Hotspot.of(self.record) if self.record.turnaround_opportunities else None

    @field(description="Exit statistics and test (null if never visited).")
    def exit_stats(self) -> ExitStats | None:
        return ExitStats(record=self.record) if self.record.visits else None

    @field(description="Shortest route from this page to a resolution.")
    def success_path(self, mode: PathMode | None = PathMode.FEWEST_CLICKS) -> SuccessPath | None:
        return SuccessPath.of(self.record, mode or PathMode.FEWEST_CLICKS)

    @field(description="Customer paths that visit this page, most recent first.")
    async def paths_through(
        self,
        info: Info,
        first: Annotated[int | None, _limit("Paths to return")] = CHILD_FIRST,
        after: str | None = None,
        outcome: Annotated[
            PathOutcome | None, strawberry.argument(description="Only paths that ended so.")
        ] = None,
    ) -> Connection[Path]:
        loaders = info.context.loaders
        ending = outcome.name if outcome else None
        window = await loaders.paths_through.load(
            (self.record.id, (page_size("first", first, CHILD_FIRST), after, ending))
        )
        page_id = self.record.id
        return connection(
            window,
            Path.of,
            lambda: loaders.paths_through_count.load((page_id, ending)),
            after,
        )

    @field(description="Links worth adding from this page, most clicks saved first.")
    async def link_suggestions(
        self,
        info: Info,
        limit: Annotated[int | None, _limit("At most this many")] = DEFAULT_LIMIT,
    ) -> list[LinkSuggestion]:
        key = (self.record.id, page_size("limit", limit, DEFAULT_LIMIT))
        return [
            LinkSuggestion(record=s) for s in await info.context.loaders.suggestions_from.load(key)
        ]


@strawberry.type(description="Consecutive clicks from one page to another, over all paths.")
class Transition:
    record: strawberry.Private[rec.TransitionRecord]

    @field(name="from")
    async def from_(self, info: Info) -> Page:
        return await _page(info, self.record.from_id)

    @strawberry.field
    async def to(self, info: Info) -> Page:
        return await _page(info, self.record.to_id)

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


async def _page(info: Info, page_id: str) -> Page:
    record = await info.context.loaders.page.load(page_id)
    if record is None:  # pages are never deleted while served; a vanished one is a bug
        raise RuntimeError(f"page {page_id!r} referenced but not found")
    return Page.of(record)


async def _pages(info: Info, page_ids: tuple[str, ...]) -> list[Page]:
    records = await info.context.loaders.page.load_many(page_ids)
    return [Page.of(r) for r in records if r is not None]


@strawberry.type(description="A page's turnarounds against the site rate (DESIGN section 4).")
class Hotspot:
    record: strawberry.Private[rec.PageRecord]
    turnarounds: int
    opportunities: int
    rate: float | None = strawberry.field(description="turnarounds / opportunities.")
    p_value: float | None = strawberry.field(
        description="One-sided binomial test against the site rate (null: under 20 "
        "opportunities, not tested)."
    )
    q_value: float | None = strawberry.field(description="Benjamini-Hochberg adjusted p-value.")
    is_hotspot: bool

    @staticmethod
    def of(r: rec.PageRecord) -> Hotspot:
        return Hotspot(
            record=r,
            turnarounds=r.turnarounds,
            opportunities=r.turnaround_opportunities,
            rate=r.turnaround_rate,
            p_value=r.hotspot_p_value,
            q_value=r.hotspot_q_value,
            is_hotspot=r.is_hotspot,
        )

    @strawberry.field
    def page(self) -> Page:
        return Page.of(self.record)

    @field(description="All turnarounds / all opportunities, over every page.")
    async def site_rate(self, info: Info) -> float | None:
        return (await info.context.site_rates()).turnaround_rate


@strawberry.type(description="A page's exits against the site exit rate.")
class ExitStats:
    record: strawberry.Private[rec.PageRecord]

    @strawberry.field
    def exits(self) -> int:
        return self.record.exits

    @strawberry.field
    def visits(self) -> int:
        return self.record.visits

    @field(description="exits / visits.")
    def rate(self) -> float | None:
        return self.record.exit_rate

    @strawberry.field
    def p_value(self) -> float | None:
        return self.record.exit_p_value

    @strawberry.field
    def q_value(self) -> float | None:
        return self.record.exit_q_value

    @strawberry.field
    def is_high_exit(self) -> bool:
        return self.record.is_high_exit

    @field(description="All exits / all visits, over every page.")
    async def site_rate(self, info: Info) -> float | None:
        return (await info.context.site_rates()).exit_rate


@strawberry.type(description="A page where improving content would help the most customers.")
class WeakPage:
    record: strawberry.Private[rec.PageRecord]

    @strawberry.field
    def page(self) -> Page:
        return Page.of(self.record)

    @field(description="visits x shortfall of success probability below the site's.")
    def impact(self) -> float:
        return self.record.impact

    @strawberry.field
    def reasons(self) -> list[WeakReason]:
        return _reasons(self.record.weak_reasons)


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
    def of(r: rec.PageRecord, mode: PathMode) -> SuccessPath | None:
        route = r.success_path_likely if mode is PathMode.MOST_LIKELY else r.success_path_fewest
        if route is None:
            return None
        return SuccessPath(
            mode=mode,
            page_ids=[strawberry.ID(p) for p in route],
            clicks=len(route) - 1,
            observed_mean_clicks=r.observed_mean_clicks_to_resolution,
            likely_probability=r.success_path_likely_probability,
        )

    @strawberry.field
    async def pages(self, info: Info) -> list[Page]:
        return await _pages(info, tuple(self.page_ids))

    @field(
        description="Chance a customer takes exactly this route: the product of its "
        "transition probabilities."
    )
    async def probability(self, info: Info) -> float | None:
        if self.mode is PathMode.MOST_LIKELY:
            return self.likely_probability
        return await info.context.loaders.route_probability.load(tuple(self.page_ids))


# ---- customers, paths, communities ------------------------------------------------------


@strawberry.type(description="One customer journey that ended in a resolution, or not (yet).")
class Path:
    record: strawberry.Private[rec.PathView]
    id: strawberry.ID
    start: datetime
    end: datetime
    length: int = strawberry.field(description="Clicks, repeats included.")
    outcome: PathOutcome
    turnarounds: int
    quick_turnarounds: int = strawberry.field(description="Turnarounds within 10 s.")
    page_ids: list[strawberry.ID] = strawberry.field(description="Pages in click order.")

    @staticmethod
    def of(r: rec.PathView) -> Path:
        return Path(
            record=r,
            id=strawberry.ID(r.id),
            start=_time(r.start_ms),
            end=_time(r.end_ms),
            length=r.length,
            outcome=PathOutcome[r.outcome],
            turnarounds=r.turnarounds,
            quick_turnarounds=r.quick_turnarounds,
            page_ids=[strawberry.ID(p) for p in r.pages],
        )

    @field(description="Seconds from the first click to the last.")
    def duration_seconds(self) -> float:
        return (self.record.end_ms - self.record.start_ms) / 1000

    @field(description="Pages in click order (repeats included).")
    async def pages(self, info: Info) -> list[Page]:
        return await _pages(info, self.record.pages)

    @strawberry.field
    async def customer(self, info: Info) -> Customer:
        record = await info.context.loaders.customer.load(self.record.customer_id)
        return Customer.of(record or rec.CustomerRecord(self.record.customer_id, None))


@strawberry.type(description="A customer of the help center.")
class Customer:
    record: strawberry.Private[rec.CustomerRecord]
    id: strawberry.ID

    @staticmethod
    def of(r: rec.CustomerRecord) -> Customer:
        return Customer(record=r, id=strawberry.ID(r.id))

    @field(description="Similar-customer community (null before analysis).")
    async def community(self, info: Info) -> Community | None:
        if self.record.community is None:
            return None
        found = await info.context.loaders.community.load(self.record.community)
        return Community.of(found) if found else None

    @field(description="The customer's paths in time order.")
    async def paths(
        self,
        info: Info,
        first: Annotated[int | None, _limit("Paths to return")] = CHILD_FIRST,
        after: str | None = None,
        outcome: PathOutcome | None = None,
    ) -> Connection[Path]:
        loaders = info.context.loaders
        ending = outcome.name if outcome else None
        customer_id = self.record.id
        window = await loaders.customer_paths.load(
            (customer_id, (page_size("first", first, CHILD_FIRST), after, ending))
        )
        return connection(
            window,
            Path.of,
            lambda: loaders.customer_path_count.load((customer_id, ending)),
            after,
        )

    @field(description="Most similar customers (Jaccard on visited pages).")
    async def similar_customers(
        self,
        info: Info,
        limit: Annotated[int | None, _limit("At most this many")] = DEFAULT_LIMIT,
    ) -> list[SimilarCustomer]:
        found = await info.context.loaders.similar.load(
            (self.record.id, page_size("limit", limit, DEFAULT_LIMIT))
        )
        return [SimilarCustomer(customer=Customer.of(s.customer), score=s.score) for s in found]

    @field(description="Pages the customer clicked, most clicked first.")
    async def visited_pages(
        self,
        info: Info,
        limit: Annotated[int | None, _limit("At most this many")] = DEFAULT_LIMIT,
    ) -> list[PageVisit]:
        found = await info.context.loaders.visited.load(
            (self.record.id, page_size("limit", limit, DEFAULT_LIMIT))
        )
        return [PageVisit(page_id=v.page_id, count=v.count) for v in found]


@strawberry.type
class SimilarCustomer:
    customer: Customer
    score: float = strawberry.field(description="Jaccard similarity of visited pages.")


@strawberry.type
class PageVisit:
    page_id: strawberry.Private[str]
    count: int = strawberry.field(description="Clicks of the customer on the page.")

    @strawberry.field
    async def page(self, info: Info) -> Page:
        return await _page(info, self.page_id)


@strawberry.type(description="Customers who behave alike (KNN on visited pages, then Leiden).")
class Community:
    record: strawberry.Private[rec.CommunityRecord]
    id: strawberry.ID
    size: int = strawberry.field(description="Customers in the community.")
    completed_paths: int
    resolution_rate: float | None = strawberry.field(description="resolved / completed paths.")
    mean_path_length: float | None = strawberry.field(description="Over completed paths.")
    turnaround_rate: float | None = strawberry.field(
        description="Completed paths with a turnaround / completed paths."
    )

    @staticmethod
    def of(r: rec.CommunityRecord) -> Community:
        return Community(
            record=r,
            id=strawberry.ID(str(r.id)),
            size=r.size,
            completed_paths=r.completed_paths,
            resolution_rate=r.resolution_rate,
            mean_path_length=r.mean_path_length,
            turnaround_rate=r.turnaround_rate,
        )

    @field(description="The community's most visited pages.")
    async def top_pages(self, info: Info) -> list[Page]:
        return await _pages(info, self.record.top_pages)

    @field(description="Members by customer id.")
    async def members(
        self,
        info: Info,
        first: Annotated[int | None, _limit("Customers to return")] = CHILD_FIRST,
        after: str | None = None,
    ) -> Connection[Customer]:
        loaders = info.context.loaders
        community_id = self.record.id
        window = await loaders.members.load(
            (community_id, (page_size("first", first, CHILD_FIRST), after))
        )
        loaders.prime_customers(window.items)
        return connection(
            window, Customer.of, lambda: loaders.member_count.load(community_id), after
        )


@strawberry.type(description="A link A -> R that would shorten resolved paths.")
class LinkSuggestion:
    record: strawberry.Private[rec.LinkSuggestionRecord]

    @field(name="from")
    async def from_(self, info: Info) -> Page:
        return await _page(info, self.record.from_id)

    @strawberry.field
    async def to(self, info: Info) -> Page:
        return await _page(info, self.record.to_id)

    @field(description="Clicks saved over all resolved paths had the link existed.")
    def clicks_saved(self) -> int:
        return self.record.clicks_saved

    @field(description="Resolved paths that would have been shorter.")
    def paths(self) -> int:
        return self.record.paths

    @strawberry.field
    def mean_clicks_saved(self) -> float:
        return self.record.mean_clicks_saved

    @field(description="1 = the most clicks saved.")
    def rank(self) -> int:
        return self.record.rank


# ---- statistics and runs ----------------------------------------------------------------


@strawberry.type(description="Path figures of one outcome.")
class OutcomeStats:
    outcome: PathOutcome
    paths: int
    mean_length: float | None
    variance_length: float | None = strawberry.field(description="Population variance.")
    with_turnarounds: int = strawberry.field(description="Paths with at least one turnaround.")


@strawberry.type(
    description="DESIGN section 6.9, live from the paths: lengths and rates over completed "
    "(resolved + abandoned) paths."
)
class PathStats:
    completed: int
    resolved: int
    abandoned: int
    open: int
    mean_length: float | None
    variance_length: float | None = strawberry.field(description="Population variance.")
    turnaround_rate: float | None = strawberry.field(
        description="Completed paths with a turnaround / completed paths."
    )
    self_service_rate: float | None = strawberry.field(description="resolved / completed.")
    by_outcome: list[OutcomeStats]

    @staticmethod
    def of(r: rec.PathStatsRecord) -> PathStats:
        return PathStats(
            completed=r.completed,
            resolved=r.resolved,
            abandoned=r.abandoned,
            open=r.open,
            mean_length=r.mean_length,
            variance_length=r.variance_length,
            turnaround_rate=r.turnaround_rate,
            self_service_rate=r.self_service_rate,
            by_outcome=[
                OutcomeStats(
                    outcome=PathOutcome[o.outcome],
                    paths=o.paths,
                    mean_length=o.mean_length,
                    variance_length=o.variance_length,
                    with_turnarounds=o.with_turnarounds,
                )
                for o in r.by_outcome
            ],
        )


@strawberry.type
class AnalysisStep:
    name: str
    seconds: float


@strawberry.type(description="One `pathrank analyze` run as recorded in the graph.")
class AnalysisRun:
    id: strawberry.ID
    started_at: datetime
    duration_ms: int
    steps: list[AnalysisStep] = strawberry.field(description="Seconds per step, in run order.")
    pages: int
    transitions: int
    customers: int
    paths: int
    clicks: int
    hotspots: int
    high_exit_pages: int
    weak_pages: int
    communities: int
    link_suggestions: int

    @staticmethod
    def of(r: rec.AnalysisRunRecord) -> AnalysisRun:
        return AnalysisRun(
            id=strawberry.ID(r.id),
            started_at=_time(r.started_ms),
            duration_ms=r.duration_ms,
            steps=[AnalysisStep(name=n, seconds=s) for n, s in r.steps],
            pages=r.pages,
            transitions=r.transitions,
            customers=r.customers,
            paths=r.paths,
            clicks=r.clicks,
            hotspots=r.hotspots,
            high_exit_pages=r.high_exit_pages,
            weak_pages=r.weak_pages,
            communities=r.communities,
            link_suggestions=r.link_suggestions,
        )


# ---- roots ------------------------------------------------------------------------------


def _community_id(value: str) -> int | None:
    text = value.strip()
    if not text.lstrip("-").isdigit() or len(text) > 19:
        return None
    return int(text)


@strawberry.type
class Query:
    @field(description="A page by id; null if there is none.")
    async def page(self, info: Info, id: strawberry.ID) -> Page | None:
        record = await info.context.loaders.page.load(str(id))
        return Page.of(record) if record else None

    @field(description="Every page, paginated (Relay cursors).")
    async def pages(
        self,
        info: Info,
        first: Annotated[int | None, _limit("Pages to return")] = DEFAULT_FIRST,
        after: Annotated[
            str | None, strawberry.argument(description="`endCursor` of the previous page.")
        ] = None,
        order_by: PageOrder | None = PageOrder.ID,
    ) -> Connection[Page]:
        read = info.context.read
        window = await read.page_window(
            rec.PageOrder[(order_by or PageOrder.ID).name],
            page_size("first", first, DEFAULT_FIRST),
            after,
        )
        info.context.loaders.prime_pages(window.items)
        return connection(window, Page.of, read.page_count, after)

    @field(description="Weak pages by impact, highest first.")
    async def weak_pages(
        self,
        info: Info,
        limit: Annotated[int | None, _limit("At most this many")] = LIST_LIMIT,
        min_visits: Annotated[
            int | None,
            strawberry.argument(description="Only pages with at least this many visits."),
        ] = 0,
    ) -> list[WeakPage]:
        records = await info.context.read.weak_pages(
            page_size("limit", limit, LIST_LIMIT), _check_min("minVisits", min_visits or 0)
        )
        info.context.loaders.prime_pages(records)
        return [WeakPage(record=r) for r in records]

    @field(description="Turnaround hotspots, most significant first.")
    async def turnaround_hotspots(
        self,
        info: Info,
        limit: Annotated[int | None, _limit("At most this many")] = LIST_LIMIT,
    ) -> list[Hotspot]:
        records = await info.context.read.hotspots(page_size("limit", limit, LIST_LIMIT))
        info.context.loaders.prime_pages(records)
        return [Hotspot.of(r) for r in records]

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

    @field(description="Path statistics, live from the paths.")
    async def path_stats(self, info: Info) -> PathStats:
        return PathStats.of(await info.context.read.path_stats())

    @field(description="A customer by id; null if there is none.")
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        record = await info.context.loaders.customer.load(str(id))
        return Customer.of(record) if record else None

    @field(description="Similar-customer communities, paginated.")
    async def communities(
        self,
        info: Info,
        first: Annotated[int | None, _limit("Communities to return")] = DEFAULT_FIRST,
        after: str | None = None,
        order_by: CommunityOrder | None = CommunityOrder.ID,
    ) -> Connection[Community]:
        read = info.context.read
        window = await read.community_window(
            rec.CommunityOrder[(order_by or CommunityOrder.ID).name],
            page_size("first", first, DEFAULT_FIRST),
            after,
        )
        return connection(window, Community.of, read.community_count, after)

    @field(description="A community by id; null if there is none.")
    async def community(self, info: Info, id: strawberry.ID) -> Community | None:
        community_id = _community_id(str(id))
        if community_id is None:
            return None
        record = await info.context.loaders.community.load(community_id)
        return Community.of(record) if record else None

    @field(description="Links worth adding, most clicks saved first.")
    async def link_suggestions(
        self,
        info: Info,
        limit: Annotated[int | None, _limit("At most this many")] = LIST_LIMIT,
    ) -> list[LinkSuggestion]:
        records = await info.context.read.link_suggestions(page_size("limit", limit, LIST_LIMIT))
        return [LinkSuggestion(record=r) for r in records]

    @field(description="The most recent analysis run; null before the first.")
    async def latest_analysis(self, info: Info) -> AnalysisRun | None:
        runs = await info.context.read.analysis_runs(1)
        return AnalysisRun.of(runs[0]) if runs else None

    @field(description="Analysis runs, most recent first.")
    async def analysis_runs(
        self,
        info: Info,
        limit: Annotated[int | None, _limit("At most this many")] = DEFAULT_LIMIT,
    ) -> list[AnalysisRun]:
        runs = await info.context.read.analysis_runs(page_size("limit", limit, DEFAULT_LIMIT))
        return [AnalysisRun.of(r) for r in runs]


class HasApiKey(BasePermission):
    message = (
        "runAnalysis needs the API key: send it as `X-API-Key: <key>` or "
        "`Authorization: Bearer <key>`"
    )
    error_extensions = {"code": ErrorCode.UNAUTHENTICATED.value}  # noqa: RUF012

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.authorized()


@strawberry.type
class Mutation:
    @mutation(
        description="Run `pathrank analyze` now and return the recorded run. Needs the API "
        "key when PATHRANK_API_KEY is set; one run at a time.",
        permission_classes=[HasApiKey],
    )
    async def run_analysis(self, info: Info) -> AnalysisRun:
        service = info.context.analysis
        if service is None:
            raise user_error("this server cannot run analyses", ErrorCode.NOT_AVAILABLE)
        run_id = await service.run()
        run = await info.context.read.analysis_run(run_id)
        if run is None:
            raise RuntimeError(f"analysis run {run_id} was not recorded")
        return AnalysisRun.of(run)


class PathRankSchema(strawberry.Schema):
    """Logs unexpected errors with their traceback (Strawberry's default), known outages as
    one warning line, and the client's own mistakes (syntax, validation, bad input, foreign
    cursors) only at debug level: an abusive client must not be able to flood the log."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        unexpected = [e for e in errors if is_unexpected(e)]
        for error in errors:
            if is_unexpected(error):
                continue
            if isinstance(error.original_error, GraphUnavailableError | QueryTimeoutError):
                _log.warning("graph read failed: %s", error.original_error)
            else:
                _log.debug("client error: %s", error.message)
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema() -> strawberry.Schema:
    return PathRankSchema(
        query=Query, mutation=Mutation, extensions=[OperationMetrics, *limits.extensions()]
    )


schema = build_schema()
