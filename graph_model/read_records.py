"""Typed records the read side returns (no driver types leak out of graph_model)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")


class PageOrder(StrEnum):
    """How `pages` is sorted: by id or title ascending, by a metric descending (pages
    without the metric last), ties by id."""

    ID = "ID"
    TITLE = "TITLE"
    VISITS = "VISITS"
    PAGE_RANK = "PAGE_RANK"
    PATH_RANK = "PATH_RANK"
    SUCCESS_PROBABILITY = "SUCCESS_PROBABILITY"
    IMPACT = "IMPACT"
    TURNAROUND_RATE = "TURNAROUND_RATE"
    EXIT_RATE = "EXIT_RATE"


class CommunityOrder(StrEnum):
    ID = "ID"
    SIZE = "SIZE"


class Direction(StrEnum):
    OUT = "OUT"
    IN = "IN"


@dataclass(frozen=True, slots=True)
class Window(Generic[T]):
    """One page of a keyset-paginated list: items, one cursor per item, and whether more
    items follow the last one."""

    items: tuple[T, ...]
    cursors: tuple[str, ...]
    has_next: bool

    @staticmethod
    def empty() -> Window[T]:
        return Window((), (), False)


@dataclass(frozen=True, slots=True)
class PageRecord:
    """A (:Page) with what `pathrank analyze` wrote (docs/analytics.md). Counts are 0 and
    flags false until the page has been analysed; undefined figures are None."""

    id: str
    title: str | None
    url: str | None
    analyzed: bool
    visits: int
    exits: int
    exit_rate: float | None
    resolutions: int
    turnarounds: int
    turnaround_opportunities: int
    turnaround_rate: float | None
    observed_mean_clicks_to_resolution: float | None
    page_rank: float | None
    path_rank: float | None
    success_probability: float | None
    expected_clicks_to_resolution: float | None
    is_hotspot: bool
    hotspot_p_value: float | None
    hotspot_q_value: float | None
    is_high_exit: bool
    exit_p_value: float | None
    exit_q_value: float | None
    impact: float
    weak_reasons: tuple[str, ...]
    success_path_fewest: tuple[str, ...] | None
    success_path_likely: tuple[str, ...] | None
    success_path_likely_probability: float | None


@dataclass(frozen=True, slots=True)
class TransitionRecord:
    """(:Page from)-[:TRANSITION]->(:Page to); probability = count / all of from's onward
    clicks."""

    from_id: str
    to_id: str
    count: int
    turnarounds: int
    probability: float


@dataclass(frozen=True, slots=True)
class PathView:
    """A customer's (:Path): its pages in click order (repeats included)."""

    id: str
    customer_id: str
    start_ms: int
    end_ms: int
    length: int
    outcome: str
    turnarounds: int
    quick_turnarounds: int
    pages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    id: str
    community: int | None


@dataclass(frozen=True, slots=True)
class SimilarCustomerRecord:
    customer: CustomerRecord
    score: float


@dataclass(frozen=True, slots=True)
class PageVisitRecord:
    page_id: str
    count: int


@dataclass(frozen=True, slots=True)
class CommunityRecord:
    id: int
    size: int
    top_pages: tuple[str, ...]
    completed_paths: int
    resolution_rate: float | None
    mean_path_length: float | None
    turnaround_rate: float | None


@dataclass(frozen=True, slots=True)
class LinkSuggestionRecord:
    from_id: str
    to_id: str
    clicks_saved: int
    paths: int
    mean_clicks_saved: float
    rank: int


@dataclass(frozen=True, slots=True)
class OutcomeStatsRecord:
    outcome: str
    paths: int
    mean_length: float | None
    variance_length: float | None
    with_turnarounds: int


@dataclass(frozen=True, slots=True)
class PathStatsRecord:
    """DESIGN 6.9, live: lengths and rates over completed (RESOLVED + ABANDONED) paths,
    population variance; per outcome in `by_outcome`."""

    completed: int
    resolved: int
    abandoned: int
    open: int
    mean_length: float | None
    variance_length: float | None
    turnaround_rate: float | None
    self_service_rate: float | None
    by_outcome: tuple[OutcomeStatsRecord, ...]


@dataclass(frozen=True, slots=True)
class SiteRatesRecord:
    """The site-wide rates the analysis tested pages against (from the analysed pages)."""

    turnaround_rate: float | None
    exit_rate: float | None


@dataclass(frozen=True, slots=True)
class AnalysisRunRecord:
    id: str
    started_ms: int
    duration_ms: int
    steps: tuple[tuple[str, float], ...]  # (step, seconds) in run order
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
