"""What a finding source gives the work queue, and what it reads (docs/analytics.md, "The
work queue").

A *finding source* is one module of this package that turns one kind of analysis result
into `Finding`s: at most one per subject (a page, a link, a search query). The queue
(algorithms.work.queue) merges a page's findings into one item, counts its tickets and
customers from the paths, and ranks. A new kind of finding is one module with one function,
`findings(facts) -> Iterable[Finding]`, listed in `algorithms.work.SOURCES`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

from algorithms.hotspots import RateTest
from algorithms.markov import SuccessChain
from algorithms.observed import Observed
from algorithms.weak_pages import WeakPage
from graph_model.change.record import ChangeRecord
from graph_model.link.record import MisleadingLink
from graph_model.page.record import PageVersion
from graph_model.path.record import Path
from graph_model.suggestion.record import LinkSuggestion
from graph_model.timewindow import TimeWindow
from graph_model.work.record import Confidence, EvidenceFigure, WorkAction, WorkSubject

# The reserved page id of search steps (a search is a step on it): never a page item, and
# links out of it are never link items (searches are judged per query).
SEARCH_PAGE: Final = "search"

HIGH_Q: Final = 0.01
MEDIUM_Q: Final = 0.05


@dataclass(frozen=True, slots=True)
class ContentGap:
    """A query customers searched whose journeys fail more often than the site's searching
    journeys do (docs/analytics.md, "Content gaps"): counts are of completed paths."""

    query: str
    paths: int  # completed paths that searched it
    failed: int  # of them, ended ESCALATED or ABANDONED
    q_value: float
    excess_failures: float  # failed - paths x the site's failure rate
    site_failure_rate: float


# A path's searched queries, in the order searched (none for a path without searches).
Searches = Callable[[Path], Sequence[str]]


def path_searches(path: Path) -> Sequence[str]:
    """The queries of a path's search steps, in order (docs/paths.md, "Searches in paths")."""
    return tuple(q for q in path.queries if q)


@dataclass(frozen=True, slots=True)
class WorkFacts:
    """Everything one analysis computed that findings come from."""

    paths: Sequence[Path]
    window: TimeWindow  # the analysed window (bounded: the series' window)
    observed: Observed
    chain: SuccessChain
    weak: Sequence[WeakPage]
    hotspots: Sequence[RateTest]
    exits: Sequence[RateTest]
    escalations: Sequence[RateTest]
    misleading: Sequence[MisleadingLink] = ()
    suggestions: Sequence[LinkSuggestion] = ()
    changes: Sequence[ChangeRecord] = ()
    segments_tested: int = 0  # segments whose paths the change tests ran on alone
    versions: Sequence[PageVersion] = ()
    content_gaps: Sequence[ContentGap] = ()
    searches: Searches = path_searches
    search_page: str = SEARCH_PAGE
    titles: Mapping[str, str] = field(default_factory=dict)  # page id -> catalog title

    def title(self, page_id: str) -> str:
        return self.titles.get(page_id) or page_id


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding about one subject, in plain words and figures.

    `excess`: the events beyond the site's rate that the finding stands for in the window
    (excess U-turns of a link, excess failed paths of a query); a page's excess escalations
    are computed by the queue. `precedence` decides a page item's action when several
    findings name the page (the lowest wins). `reason` is one sentence."""

    action: WorkAction
    subject: WorkSubject
    title: str
    reason: str
    reasons: tuple[str, ...]
    figures: tuple[EvidenceFigure, ...] = ()
    q_value: float | None = None
    excess: float = 0.0
    precedence: int = 0
    counts_tickets: bool = True  # False: it accounts for no escalation (ADD_LINK, RETIRE_PAGE)
    queries: tuple[str, ...] = ()


class FindingSource(Protocol):
    """A module of this package: one kind of finding."""

    def __call__(self, facts: WorkFacts) -> Iterable[Finding]: ...


def confidence_of(q_value: float | None) -> Confidence:
    if q_value is None:
        return Confidence.LOW
    if q_value <= HIGH_Q:
        return Confidence.HIGH
    return Confidence.MEDIUM if q_value <= MEDIUM_Q else Confidence.LOW


def strongest(*q_values: float | None) -> float | None:
    """The smallest q-value given (None when none is)."""
    known = [q for q in q_values if q is not None]
    return min(known) if known else None


# ---- plain words ----------------------------------------------------------------------


def count(n: float) -> str:
    """1044 -> "1,044"."""
    return f"{round(n):,}"


def of(part: int, whole: int) -> str:
    """ "57 of 100"."""
    return f"{count(part)} of {count(whole)}"


def per_hundred(rate: float | None) -> str:
    """0.0523 -> "5 in 100"; under 1 in 100, one decimal: "0.4 in 100"."""
    if rate is None:
        return "no"
    value = 100 * rate
    shown = f"{value:.1f}".rstrip("0").rstrip(".") if value < 1 else f"{round(value):,}"
    return f"{shown} in 100"


def quoted(title: str) -> str:
    return f"\u201c{title}\u201d"
