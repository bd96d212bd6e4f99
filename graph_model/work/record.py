"""The work queue's records (docs/analytics.md, "The work queue"): what a content designer
can do about a finding, and whether it worked.

A work item has two parts:
- its figures in one analysis run (`WorkFigures`, a `(:WorkItemFigures {run})` node staged
  with the run like every result, so readers see one run's queue whole);
- its life (`WorkItemState`, the `(:WorkItem)` node itself): identity, status and note,
  verification. It belongs to no run: it outlives analyses (and their crashes), and the
  same finding in a later analysis gets the same id, so it keeps its status.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, Final

from graph_model.alert.record import Alert
from graph_model.properties import JSON, properties_of


class WorkAction(StrEnum):
    """What to do. Page items (REWRITE_PAGE, FIX_DEAD_END, INVESTIGATE_CHANGE, RETIRE_PAGE)
    are about one page, link items (FIX_LINK, ADD_LINK) about one link, WRITE_ARTICLE about
    one search query."""

    WRITE_ARTICLE = "WRITE_ARTICLE"
    REWRITE_PAGE = "REWRITE_PAGE"
    FIX_LINK = "FIX_LINK"
    ADD_LINK = "ADD_LINK"
    FIX_DEAD_END = "FIX_DEAD_END"
    INVESTIGATE_CHANGE = "INVESTIGATE_CHANGE"
    RETIRE_PAGE = "RETIRE_PAGE"


class WorkStatus(StrEnum):
    OPEN = "OPEN"
    DOING = "DOING"
    DONE = "DONE"
    DISMISSED = "DISMISSED"


# What `workQueue` lists when no status is asked for: the work still to do.
TO_DO: Final = (WorkStatus.OPEN, WorkStatus.DOING)


class Confidence(StrEnum):
    """How sure the statistics are: HIGH when the finding's test gives q <= 0.01, MEDIUM when
    q <= 0.05, LOW when no test stands behind it (a dead end, a low chance of success, a
    link suggestion, a page without visits)."""

    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


class Verdict(StrEnum):
    WAITING = "WAITING"  # not enough evidence yet either way
    WORKED = "WORKED"  # the item's rate moved the right way, p <= 0.05
    NO_EFFECT = "NO_EFFECT"  # no significant move with enough traffic or time
    WORSE = "WORSE"  # the rate moved the wrong way, p <= 0.05

    @property
    def decided(self) -> bool:
        return self is not Verdict.WAITING


class VerifiedRate(StrEnum):
    """The rate a verification compares, per action (docs/analytics.md, "Verification")."""

    RESOLUTION_RATE = "RESOLUTION_RATE"  # resolved / completed paths through the page
    EXIT_RATE = "EXIT_RATE"  # abandoned paths ending on the page / visits
    ESCALATION_RATE = "ESCALATION_RATE"  # escalated paths ending on the page / visits
    TURNAROUND_RATE = "TURNAROUND_RATE"  # turnarounds at the page / opportunities
    U_TURN_RATE = "U_TURN_RATE"  # A -> B -> A / A -> B -> anything
    FAILURE_RATE = "FAILURE_RATE"  # failed / completed paths that searched the query
    SUCCESS_RATE = "SUCCESS_RATE"  # resolved / completed paths through the link's source

    @property
    def higher_is_better(self) -> bool:
        return self in (VerifiedRate.RESOLUTION_RATE, VerifiedRate.SUCCESS_RATE)


@dataclass(frozen=True, slots=True)
class WorkSubject:
    """What an item is about: a page, a link (from, to) or a search query."""

    page_id: str | None = None
    from_page_id: str | None = None
    to_page_id: str | None = None
    query: str | None = None

    @property
    def key(self) -> str:
        if self.query is not None:
            return f"query\x1f{self.query}"
        if self.from_page_id is not None and self.to_page_id is not None:
            return f"link\x1f{self.from_page_id}\x1f{self.to_page_id}"
        if self.page_id is not None:
            return f"page\x1f{self.page_id}"
        raise ValueError("a work subject names a page, a link or a query")


def work_item_id(action: WorkAction, subject: WorkSubject) -> str:
    """Stable across analyses: derived from the action and its subject only."""
    digest = hashlib.sha256(f"{action.value}\x1f{subject.key}".encode()).hexdigest()
    return f"{action.value.lower().replace('_', '-')}-{digest[:16]}"


@dataclass(frozen=True, slots=True)
class EvidenceFigure:
    """One figure behind a finding: the page's (or link's, or query's) value, what it is
    compared with (the site's rate, the weeks before, the chance rate), and the test's
    q-value when one was made."""

    name: str  # e.g. "escalations per visit": the dashboard's name of the figure
    value: float
    count: int | None = None  # events ...
    out_of: int | None = None  # ... out of trials, when the value is a rate
    baseline: float | None = None
    q_value: float | None = None
    detail: str | None = None  # which one: "in the week of 16 Feb 2026", "other ways in"


@dataclass(frozen=True, slots=True)
class WorkFigures:
    """One item in one analysis run: every field is a (:WorkItemFigures) property (`run` and
    `itemId` tie it to both), and the latest run's copy is kept on the (:WorkItem) for when
    the finding goes stale. `evidence_figures` and `example_paths` are stored as JSON."""

    item_id: str
    action: WorkAction
    title: str
    reason: str
    confidence: Confidence
    page_id: str | None = None
    from_page_id: str | None = None
    to_page_id: str | None = None
    query: str | None = None
    reasons: tuple[str, ...] = ()  # the findings merged into it (WeakReason names, CHANGE...)
    tickets_per_week: float = 0.0
    customers_per_week: float = 0.0
    escalations: int = 0  # escalated paths counted in its tickets (each path in one item)
    customers: int = 0  # distinct customers whose completed paths it touches
    q_value: float | None = None  # the strongest test behind it
    rank: int = 0  # 1: the most tickets per week (then customers)
    weeks: float = 1.0  # of the analysed window (days / 7, at least 1)
    evidence_figures: Annotated[list[dict[str, Any]], JSON] = field(default_factory=list)
    example_paths: tuple[str, ...] = ()  # ids of paths that show it
    queries: tuple[str, ...] = ()

    @property
    def subject(self) -> WorkSubject:
        return WorkSubject(self.page_id, self.from_page_id, self.to_page_id, self.query)

    @property
    def figures(self) -> tuple[EvidenceFigure, ...]:
        return tuple(EvidenceFigure(**f) for f in self.evidence_figures)


@dataclass(frozen=True, slots=True)
class Verification:
    """Before against after the item's reference time (`since`), over equal windows of
    `days` each, stored on the (:WorkItem)."""

    verdict: Verdict
    verified_rate: VerifiedRate
    since: int  # epoch ms: the reference time
    days: float  # each window's length
    before_successes: int = 0
    before_trials: int = 0
    after_successes: int = 0
    after_trials: int = 0
    p_value: float | None = None  # two-sided; None without trials on both sides
    # The escalated paths the item's subject would claim, on each side (tickets avoided).
    escalations_before: int = 0
    escalations_after: int = 0
    reference: str = "DONE"  # DONE (marked done, or its `at`) or VERSION (a new page version)
    computed_at: int = 0  # epoch ms

    @property
    def before_rate(self) -> float | None:
        return self.before_successes / self.before_trials if self.before_trials else None

    @property
    def after_rate(self) -> float | None:
        return self.after_successes / self.after_trials if self.after_trials else None

    @property
    def tickets_avoided_per_week(self) -> float:
        """Escalations per week fewer after than before (0 unless it WORKED)."""
        if self.verdict is not Verdict.WORKED or self.days <= 0:
            return 0.0
        return max(0.0, (self.escalations_before - self.escalations_after) / (self.days / 7))


@dataclass(frozen=True, slots=True)
class WorkItemState:
    """A (:WorkItem): identity, status and note, the reference time of its verification.
    Every field is a property."""

    id: str
    action: WorkAction
    page_id: str | None = None
    from_page_id: str | None = None
    to_page_id: str | None = None
    query: str | None = None
    status: WorkStatus = WorkStatus.OPEN
    note: str | None = None
    status_at: int | None = None  # epoch ms the status was last set
    done_at: int | None = None  # a DONE item's reference time: the `at` given, or status_at
    # The figures when it was dismissed: it comes back once they double.
    dismissed_tickets_per_week: float | None = None
    dismissed_customers_per_week: float | None = None
    first_seen_at: int | None = None  # epoch ms of the first analysis that published it
    last_seen_run: str | None = None  # the latest analysis run that found it

    @property
    def subject(self) -> WorkSubject:
        return WorkSubject(self.page_id, self.from_page_id, self.to_page_id, self.query)


@dataclass(frozen=True, slots=True)
class WorkItem:
    """An item as readers see it in one run: its state, its figures (the run's, or the
    latest copy when the run did not find it: `stale`) and its verification."""

    state: WorkItemState
    figures: WorkFigures
    stale: bool = False
    verification: Verification | None = None


@dataclass(frozen=True, slots=True)
class WorkResults:
    """What one analysis stages of the work queue: its items, ranked; the verifications it
    computed, each with the item state it was computed for (published only if the item
    still has that state); the alerts it raises."""

    items: Sequence[WorkFigures] = ()
    verifications: Mapping[str, tuple[WorkItemState, Verification]] = field(default_factory=dict)
    alerts: Sequence[Alert] = ()


def reopens(state: WorkItemState, figures: WorkFigures) -> bool:
    """Whether a DISMISSED item comes back: its ticketsPerWeek doubled since it was dismissed
    (when it had none then, any ticket brings it back); with no tickets then or now, its
    customersPerWeek doubled (any customer, when it had none)."""
    if state.status is not WorkStatus.DISMISSED:
        return False
    tickets_then = state.dismissed_tickets_per_week or 0.0
    if tickets_then > 0:
        return figures.tickets_per_week >= 2 * tickets_then
    if figures.tickets_per_week > 0:
        return True
    customers_then = state.dismissed_customers_per_week or 0.0
    if customers_then > 0:
        return figures.customers_per_week >= 2 * customers_then
    return figures.customers_per_week > 0


FIGURES: Final = properties_of(WorkFigures)
STATE: Final = properties_of(WorkItemState)
VERIFICATION: Final = properties_of(Verification)
