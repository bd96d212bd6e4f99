"""The search aggregate's records: a query's figures, the site's, and how they are ordered
(docs/analytics.md, "18. Search").

`QueryFigures` is the one declaration of what analysis stores per query: the fields of the
run's (:QueryFigures) nodes and the properties published on (:Query), which the API reads.
Counts are over the search steps of completed paths; a rate is None without trials.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from graph_model.properties import properties_of

MAX_RESULTS: Final = 20  # pages clicked next, kept per query (most clicked first)


class SearchOrder(StrEnum):
    """How `searchQueries` lists queries: largest first, then by text."""

    SEARCHES = "SEARCHES"
    FAILURES = "FAILURES"  # failed paths (escalated or abandoned) that searched it
    NO_RESULT_RATE = "NO_RESULT_RATE"
    EXCESS_FAILURES = "EXCESS_FAILURES"


class SearchMetric(StrEnum):
    """A query's figure per period (`SearchQuery.series`)."""

    SEARCHES = "SEARCHES"  # its searches, of every search in the period
    NO_RESULT_RATE = "NO_RESULT_RATE"
    CLICK_THROUGH_RATE = "CLICK_THROUGH_RATE"
    POGO_RATE = "POGO_RATE"
    RESOLUTION_RATE = "RESOLUTION_RATE"
    FAILURE_RATE = "FAILURE_RATE"  # failed paths of the paths that searched it


@dataclass(frozen=True, slots=True)
class QueryFigures:
    """One query's figures over the analysed paths (docs/analytics.md, "18. Search")."""

    text: str
    searches: int = 0
    customers: int = 0
    reported: int = 0  # searches that reported a results count
    no_results: int = 0  # of those, with 0 results
    clicks: int = 0  # searches whose next step is a page other than search
    refinements: int = 0  # searches whose next step is a search
    pogos: int = 0  # next step a page, the step after it a search
    exits: int = 0  # the path's last step, the path abandoned
    resolutions: int = 0  # searches whose path resolved
    escalations: int = 0  # searches whose path escalated
    no_result_rate: float | None = None  # no_results / reported
    click_through_rate: float | None = None  # each rate below: over searches
    refinement_rate: float | None = None
    pogo_rate: float | None = None
    exit_rate: float | None = None
    resolution_rate: float | None = None
    escalation_rate: float | None = None
    # Content gaps count paths: the completed paths that searched it, the failed ones
    # (escalated or abandoned), tested against the site's failure rate.
    paths: int = 0
    failed_paths: int = 0
    failure_rate: float | None = None
    p_value: float | None = None  # None: fewer than 20 paths, not tested
    q_value: float | None = None
    is_content_gap: bool = False
    excess_failures: float = 0.0  # failed paths - paths x the site's failure rate
    # The pages clicked next (most clicked first, at most MAX_RESULTS): how often, and how
    # many of those searches' paths resolved.
    result_pages: tuple[str, ...] = ()
    result_clicks: tuple[int, ...] = ()
    result_resolutions: tuple[int, ...] = ()

    def count(self, metric: SearchMetric) -> tuple[int, int]:
        """(successes, trials) of a series metric, SEARCHES' trials left to the caller."""
        return {
            SearchMetric.SEARCHES: (self.searches, self.searches),
            SearchMetric.NO_RESULT_RATE: (self.no_results, self.reported),
            SearchMetric.CLICK_THROUGH_RATE: (self.clicks, self.searches),
            SearchMetric.POGO_RATE: (self.pogos, self.searches),
            SearchMetric.RESOLUTION_RATE: (self.resolutions, self.searches),
            SearchMetric.FAILURE_RATE: (self.failed_paths, self.paths),
        }[metric]


QUERY_FIGURES: Final = properties_of(QueryFigures)


@dataclass(frozen=True, slots=True)
class SearchResult:
    """A page customers clicked right after a query."""

    page_id: str
    clicks: int
    resolutions: int  # of those searches, the ones whose path resolved

    @property
    def resolution_rate(self) -> float:
        return self.resolutions / self.clicks


def results_of(f: QueryFigures) -> tuple[SearchResult, ...]:
    return tuple(
        SearchResult(p, c, r)
        for p, c, r in zip(f.result_pages, f.result_clicks, f.result_resolutions, strict=True)
    )


@dataclass(frozen=True, slots=True)
class SiteSearch:
    """The site's search figures over the analysed paths."""

    completed: int = 0  # completed paths
    with_search: int = 0  # of those, with at least one search
    resolved_with_search: int = 0
    resolved_without_search: int = 0
    failed_with_search: int = 0  # escalated or abandoned, with a search
    searches: int = 0
    queries: int = 0  # distinct queries
    reported: int = 0
    no_results: int = 0
    clicks: int = 0
    refinements: int = 0
    pogos: int = 0
    exits: int = 0
    content_gaps: int = 0
    search_share: float | None = None  # with_search / completed
    self_service_with_search: float | None = None
    self_service_without_search: float | None = None
    failure_rate: float | None = None  # failed_with_search / with_search: the gaps' baseline
    no_result_rate: float | None = None
    click_through_rate: float | None = None
    refinement_rate: float | None = None
    pogo_rate: float | None = None
    exit_rate: float | None = None


SITE_SEARCH: Final = properties_of(SiteSearch)


@dataclass(frozen=True, slots=True)
class SearchFigures:
    """Everything analysis stores about search: every query (ranked by excess failures,
    then searches) and the site."""

    queries: tuple[QueryFigures, ...] = ()
    site: SiteSearch = field(default_factory=SiteSearch)

    @property
    def content_gaps(self) -> tuple[QueryFigures, ...]:
        return tuple(q for q in self.queries if q.is_content_gap)
