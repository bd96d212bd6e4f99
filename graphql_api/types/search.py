"""Searches: what customers typed, what they found, what they did next, and the content
gaps (docs/analytics.md, "18. Search"; docs/api.md, "Search").

The analysis' figures come from the run the request reads; with `from`, `until` or
`segment` they are computed on demand from the paths, by the same functions
(algorithms.search), and paginated with the same cursors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import strawberry

from algorithms.proportions import wilson_one
from algorithms.search import query_periods, search_figures, with_paths_without_search
from graph_model.keyset import Window, decode_cursor
from graph_model.search.reads import scope_of
from graph_model.search.record import (
    QueryFigures,
    SearchMetric,
    SearchOrder,
    SiteSearch,
    results_of,
)
from graph_model.timewindow import Interval, TimeWindow
from graphql_api.context import Info
from graphql_api.errors import user_error
from graphql_api.fields import field
from graphql_api.limits import MAX_PERIODS
from graphql_api.types.common import (
    DEFAULT_FIRST,
    DEFAULT_LIMIT,
    LIST_LIMIT,
    After,
    First,
    Limit,
    firsts,
    limited,
    recorded,
    utc,
)
from graphql_api.types.connection import Connection
from graphql_api.types.page import Page, load_page
from graphql_api.types.series import (
    From,
    IntervalArgument,
    Segment,
    SeriesPoint,
    Until,
    segment_of,
    window_of,
)

MAX_QUERY_ARGUMENT: Final = 2_000  # characters of searchQuery(text)

strawberry.enum(
    SearchOrder, description="Sort order of `searchQueries`: largest first, then by text."
)
strawberry.enum(SearchMetric, description="A query's figure per period.")


@strawberry.type(description="A page customers clicked right after a query.")
class SearchResult:
    page_id: strawberry.ID
    clicks: int = strawberry.field(description="Searches of the query followed by this page.")
    resolution_rate: float = strawberry.field(
        description="Of those searches, the share whose path resolved."
    )

    @strawberry.field
    async def page(self, info: Info) -> Page:
        return await load_page(info, str(self.page_id))


@strawberry.type(
    description="One normalised query: its searches over completed paths and what followed "
    "them. Rates are over the query's searches (a path that searched it twice counts twice); "
    "the content-gap test counts paths."
)
class SearchQuery:
    record: strawberry.Private[QueryFigures]
    text: str = recorded("text", "The query as stored: normalised, e-mails and numbers redacted.")
    searches: int = recorded("searches")
    customers: int = recorded("customers", "Distinct customers who searched it.")
    no_results: int = recorded("no_results", "Searches that showed no result.")
    no_result_rate: float | None = recorded(
        "no_result_rate", "Searches with 0 results, of the searches that reported a count."
    )
    click_through_rate: float | None = recorded(
        "click_through_rate", "Searches whose next step is a page (not another search)."
    )
    refinement_rate: float | None = recorded(
        "refinement_rate", "Searches whose next step is another search (of any query)."
    )
    pogo_rate: float | None = recorded(
        "pogo_rate", "Searches followed by a page, then straight back to search."
    )
    exit_rate: float | None = recorded(
        "exit_rate", "Searches that were the last step of an abandoned path."
    )
    resolution_rate: float | None = recorded("resolution_rate", "Searches whose path resolved.")
    escalation_rate: float | None = recorded("escalation_rate", "Searches whose path escalated.")
    paths: int = recorded("paths", "Completed paths that searched it.")
    failed_paths: int = recorded("failed_paths", "Of those, escalated or abandoned.")
    failure_rate: float | None = recorded("failure_rate", "failedPaths / paths.")
    is_content_gap: bool = recorded(
        "is_content_gap",
        "Searched in at least 20 paths that fail significantly more often than the site's "
        "paths with a search (one-sided binomial test, Benjamini-Hochberg at 5%).",
    )
    p_value: float | None = recorded("p_value", "Null: fewer than 20 paths, not tested.")
    q_value: float | None = recorded("q_value", "Benjamini-Hochberg adjusted p-value.")
    excess_failures: float = recorded(
        "excess_failures", "failedPaths - paths x the site's failure rate: what ranks gaps."
    )

    @staticmethod
    def of(record: QueryFigures) -> SearchQuery:
        return SearchQuery(record=record)

    @field(description="The pages clicked right after it, most clicked first.")
    def results(self, limit: Limit = DEFAULT_LIMIT) -> list[SearchResult]:
        return [
            SearchResult(
                page_id=strawberry.ID(r.page_id), clicks=r.clicks, resolution_rate=r.resolution_rate
            )
            for r in results_of(self.record)[: limited(limit)]
        ]

    @field(
        description="The query's figure per period (UTC days or weeks from Monday), by the "
        "start of the completed paths that searched it, with Wilson 95% intervals."
    )
    async def series(
        self,
        info: Info,
        metric: SearchMetric = SearchMetric.SEARCHES,
        interval: IntervalArgument = Interval.WEEK,
        from_: From = None,
        until: Until = None,
        segment: Segment = None,
    ) -> list[SeriesPoint]:
        every = interval or Interval.WEEK
        window, chosen = window_of(from_, until), segment_of(segment)
        reads = info.context.graph.search
        paths = await reads.paths_of(self.record.text, window, chosen)
        figures = query_periods(paths, self.record.text, every)
        site: dict[int, int] = {}
        if metric is SearchMetric.SEARCHES:
            for start, n in await reads.searches_by_start(window, chosen):
                site[every.start_of(start)] = site.get(every.start_of(start), 0) + n
        points = []
        for start in _periods(window, sorted(figures), every):
            found = figures.get(start)
            successes, trials = found.count(metric) if found else (0, 0)
            if metric is SearchMetric.SEARCHES:
                trials = site.get(start, successes)
            low, high = wilson_one(successes, trials)
            points.append(
                SeriesPoint(
                    start=utc(max(start, window.low)),
                    end=utc(min(start + every.ms, window.high)),
                    trials=trials,
                    successes=successes,
                    rate=successes / trials if trials else None,
                    low=low,
                    high=high,
                )
            )
        return points


def _periods(window: TimeWindow, starts: Sequence[int], interval: Interval) -> list[int]:
    """Every period from the window's first (or the first found) to its last."""
    if not starts and not window.bounded:
        return []
    first = interval.start_of(window.since if window.since is not None else starts[0])
    end = window.until if window.until is not None else starts[-1] + interval.ms
    if (end - first) // interval.ms > MAX_PERIODS:
        raise user_error(
            f"that is more than {MAX_PERIODS} periods: ask for WEEK or a shorter window"
        )
    return list(range(first, end, interval.ms))


@strawberry.type(
    description="The site's searches: how many paths search, and how searching paths fare "
    "against the others."
)
class SearchStats:
    record: strawberry.Private[SiteSearch]
    completed: int = recorded("completed", "Completed paths.")
    with_search: int = recorded("with_search", "Of those, with at least one search.")
    searches: int = recorded("searches")
    queries: int = recorded("queries", "Distinct queries.")
    content_gaps: int = recorded("content_gaps")
    search_share: float | None = recorded("search_share", "withSearch / completed.")
    self_service_rate_with_search: float | None = recorded("self_service_with_search")
    self_service_rate_without_search: float | None = recorded("self_service_without_search")
    failure_rate: float | None = recorded(
        "failure_rate",
        "Escalated or abandoned, of the completed paths with a search: what content gaps are "
        "tested against.",
    )
    no_result_rate: float | None = recorded("no_result_rate")
    click_through_rate: float | None = recorded("click_through_rate")
    refinement_rate: float | None = recorded("refinement_rate")
    pogo_rate: float | None = recorded("pogo_rate")
    exit_rate: float | None = recorded("exit_rate")


def _key(order: SearchOrder, q: QueryFigures) -> float:
    if order is SearchOrder.SEARCHES:
        return float(q.searches)
    if order is SearchOrder.FAILURES:
        return float(q.failed_paths)
    if order is SearchOrder.NO_RESULT_RATE:
        return -1.0 if q.no_result_rate is None else q.no_result_rate
    return q.excess_failures


def _on_demand_window(
    queries: Sequence[QueryFigures], order: SearchOrder, first: int, after: str | None
) -> Window[QueryFigures]:
    """The keyset page the stored list's Cypher would give, over figures computed here."""
    scope = scope_of(order)
    ranked = sorted(queries, key=lambda q: (-_key(order, q), q.text))
    if after is not None:
        key, text = decode_cursor(scope, after, (float, str))
        ranked = [q for q in ranked if (-_key(order, q), q.text) > (-float(key), str(text))]
    page = ranked[: first + 1]
    return Window.of(scope, page, [(_key(order, q), q.text) for q in page], first)


async def _computed(
    info: Info, window: TimeWindow, segment: str | None
) -> tuple[QueryFigures, ...]:
    figures = search_figures(await info.context.graph.search.search_paths(window, segment))
    return figures.queries


@strawberry.type
class SearchQueries:
    @field(
        description="Every searched query: the latest analysis' figures, or with `from`, "
        "`until` or `segment` computed on demand from the paths."
    )
    async def search_queries(
        self,
        info: Info,
        first: First = DEFAULT_FIRST,
        after: After = None,
        order_by: SearchOrder | None = None,
        from_: From = None,
        until: Until = None,
        segment: Segment = None,
    ) -> Connection[SearchQuery]:
        order, size = order_by or SearchOrder.SEARCHES, firsts(first, DEFAULT_FIRST)
        window, chosen = window_of(from_, until), segment_of(segment)
        reads = info.context.graph.search
        if not window.bounded and chosen is None:
            stored = await reads.window(order, size, after)
            return Connection.of(stored, SearchQuery.of, reads.count, after)
        queries = await _computed(info, window, chosen)

        async def count() -> int:
            return len(queries)

        return Connection.of(
            _on_demand_window(queries, order, size, after), SearchQuery.of, count, after
        )

    @field(
        description="One query, normalised (and redacted) as queries are stored: null when "
        "the latest analysis saw no search of it."
    )
    async def search_query(self, info: Info, text: str) -> SearchQuery | None:
        if len(text) > MAX_QUERY_ARGUMENT:
            raise user_error(f"`text` is longer than {MAX_QUERY_ARGUMENT} characters")
        reads = info.context.graph.search
        stored = reads.stored(text)
        found = await reads.by_text([stored, text])  # a stored text as it is, too
        record = found.get(stored) or found.get(text)
        return SearchQuery.of(record) if record is not None else None

    @field(description="Queries customers fail to find an answer to, most excess failures first.")
    async def content_gaps(self, info: Info, limit: Limit = LIST_LIMIT) -> list[SearchQuery]:
        gaps = await info.context.graph.search.content_gaps(limited(limit, LIST_LIMIT))
        return [SearchQuery.of(g) for g in gaps]

    @field(
        description="The site's search figures: the latest analysis', or on demand over a "
        "window and a segment. Null before an analysis with searches."
    )
    async def search_stats(
        self, info: Info, from_: From = None, until: Until = None, segment: Segment = None
    ) -> SearchStats | None:
        window, chosen = window_of(from_, until), segment_of(segment)
        reads = info.context.graph.search
        if not window.bounded and chosen is None:
            site = await reads.site()
            return SearchStats(record=site) if site is not None else None
        figures = search_figures(await reads.search_paths(window, chosen))
        without, resolved = await reads.without_search(window, chosen)
        return SearchStats(record=with_paths_without_search(figures, without, resolved).site)
