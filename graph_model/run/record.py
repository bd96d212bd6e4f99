"""An (:AnalysisRun), the lock that lets one run at a time, and the typed contract of
everything one analysis writes.

`AnalysisResults` is all an analysis changes in the graph: algorithms (GDS included) compute
it and `graph_model.run.store` writes it, so no property name is chosen outside graph_model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Final

from graph_model.change.record import ChangeRecord
from graph_model.community.record import CommunityRecord
from graph_model.link.record import LinkSuccess, MisleadingLink
from graph_model.page.record import PageFigures
from graph_model.properties import JSON
from graph_model.resolution.record import ResolutionCurve
from graph_model.search.record import SearchFigures
from graph_model.series.record import StoredSeries
from graph_model.suggestion.record import LinkSuggestion
from graph_model.timewindow import TimeWindow
from graph_model.work.record import WorkResults

# A run's results stay readable this long after a newer run replaced them: the API pins one
# run per request, and a request that takes longer checks that its run was not deleted
# meanwhile (graph_model.reader).
RETIRED_RESULTS_GRACE_S: Final = 3.0


class AnalysisStatus(StrEnum):
    """RUNNING from the moment a run holds the lock; COMPLETE once its results are current;
    FAILED when it stopped before that (its results never became visible)."""

    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class AnalysisRun:
    """Every field is an (:AnalysisRun) property; `steps` is stored as JSON."""

    id: str
    started_at: int  # epoch ms
    duration_ms: int = 0
    steps: Annotated[dict[str, float], JSON] = field(default_factory=dict)  # seconds, in order
    pages: int = 0
    transitions: int = 0
    customers: int = 0
    paths: int = 0
    clicks: int = 0
    hotspots: int = 0
    high_exit_pages: int = 0
    escalation_hotspots: int = 0
    weak_pages: int = 0
    communities: int = 0
    similar_pairs: int = 0
    link_suggestions: int = 0
    leiden_compute_s: float = 0.0  # GDS Leiden's own time, inside the communities step
    misleading_links: int = 0
    # The order test (docs/analytics.md, "15. Second order"): do journeys have memory?
    # None: nothing to test (no degree of freedom), or recorded before runs had it.
    markov_order_statistic: float | None = None  # 2 (LL2 - LL1)
    markov_order_degrees_of_freedom: int | None = None
    markov_order_p_value: float | None = None
    markov_order_transitions: int = 0  # transitions b -> c with a predecessor, counted
    # Runs recorded before runs had a status were only recorded once complete.
    status: AnalysisStatus = AnalysisStatus.COMPLETE
    error: str | None = None  # why a FAILED run failed
    watermark: int | None = None  # the ingest watermark (epoch ms) when the run started
    holder: str | None = None  # host, pid and start of the process that ran it
    finished_at: int | None = None  # epoch ms: COMPLETE or FAILED
    # When a newer run replaced its results; they are deleted a grace period later.
    retired_at: int | None = None
    results_deleted_at: int | None = None  # deletion began: a reader pinned to it must retry
    results_deleted: bool = False  # nothing of its results is left
    # The window of paths analysed, by start time (epoch ms; None: open on that side).
    since: int | None = None
    until: int | None = None
    changes: int = 0  # significant changes found (catalog comparisons included)
    searches: int = 0  # search steps of the completed paths analysed
    content_gaps: int = 0  # queries customers fail to find an answer to (docs/analytics.md)

    @property
    def total_s(self) -> float:
        return sum(self.steps.values())


@dataclass(frozen=True, slots=True)
class LockHolder:
    """Who holds the analysis lock: a run, and the process running it."""

    run_id: str
    host: str
    pid: int
    started_at: int  # epoch ms, the database's clock
    heartbeat: int  # epoch ms, the database's clock: refreshed while the run is alive
    process_key: str | None = None  # which pid namespace `pid` is in (None: unknown)

    def describe(self, now_ms: int) -> str:
        started = datetime.fromtimestamp(self.started_at / 1000, UTC).strftime("%H:%M:%S UTC")
        age = max(0.0, (now_ms - self.heartbeat) / 1000)
        return (
            f"analysis run {self.run_id} (host {self.host}, pid {self.pid}, started {started}, "
            f"last heartbeat {age:.0f}s ago)"
        )


class AnalysisLockedError(Exception):
    """Another run holds the analysis lock."""

    def __init__(self, holder: LockHolder, now_ms: int, waited_s: float | None = None) -> None:
        self.holder = holder
        name, _, about = holder.describe(now_ms).partition(" (")
        message = f"{name} holds the lock ({about}"
        if waited_s is not None:
            message += f"; gave up waiting after {waited_s:.0f}s"
        super().__init__(message)


class NothingToAnalyzeError(Exception):
    """No completed path started in the window: a run would make empty results current."""

    def __init__(self, window: TimeWindow) -> None:
        self.window = window
        where = f"started in {window.describe()}" if window.bounded else "is in the graph"
        super().__init__(f"no completed path {where}")


class LockLostError(Exception):
    """The run's lock was taken over (its heartbeat went stale): it must not switch."""


# (customer node id, customer node id, Jaccard score) as GDS gives them.
SimilarPair = tuple[int, int, float]


@dataclass(frozen=True, slots=True)
class AnalysisResults:
    run: AnalysisRun
    pages: Mapping[str, PageFigures]  # every analysed page
    communities: Sequence[CommunityRecord]
    memberships: Mapping[int, int]  # customer node id -> community id
    similar: Sequence[SimilarPair]
    suggestions: Sequence[LinkSuggestion]  # ranked
    misleading_links: Sequence[MisleadingLink] = ()  # ranked
    link_success: Sequence[LinkSuccess] = ()
    resolution_curves: Sequence[ResolutionCurve] = ()
    # Every page's and the site's counts per day and per week, over the analysed window.
    series: Sequence[StoredSeries] = ()
    # Significant period changes and every catalog comparison, ranked; then each large
    # segment's significant period changes, ranked within the segment.
    changes: Sequence[ChangeRecord] = ()
    search: SearchFigures = field(
        default_factory=SearchFigures
    )  # every query's figures and the site's
    work: WorkResults = field(default_factory=WorkResults)  # the work queue
