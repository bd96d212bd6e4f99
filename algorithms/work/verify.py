"""Did the fix work? (docs/analytics.md, "Verification"). An item's rate in the days before
its reference time against the same number of days after it, with the change test
(algorithms.proportions.two_proportions: Fisher's exact test, the z-test beyond 10,000
trials):

- the reference time: when the item was set DONE (or the `at` given), else the `since` of a
  new version of its page (its catalog changed);
- each side: the completed paths that started in it; the after side runs from the reference
  time to the end of the data (the ingest watermark), at most MAX_DAYS, and the before side
  is as long;
- WORKED or WORSE when p <= ALPHA (the rate moved the right or the wrong way), NO_EFFECT
  once each side holds MIN_TRIALS trials or MAX_DAYS have passed since the reference time,
  WAITING before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from algorithms.proportions import two_proportions
from algorithms.series import count_page
from algorithms.work.finding import Searches, path_searches
from graph_model.path.record import Outcome, Path
from graph_model.series.record import PageMetric
from graph_model.timewindow import DAY_MS, TimeWindow
from graph_model.work.record import (
    Verdict,
    Verification,
    VerifiedRate,
    WorkAction,
    WorkItemState,
    WorkStatus,
    WorkSubject,
)

ALPHA: Final = 0.05
MIN_TRIALS: Final = 200
MAX_DAYS: Final = 28

# The rate each action is judged by (RETIRE_PAGE has none).
RATE_OF: Final = {
    WorkAction.REWRITE_PAGE: VerifiedRate.RESOLUTION_RATE,
    WorkAction.INVESTIGATE_CHANGE: VerifiedRate.RESOLUTION_RATE,
    WorkAction.FIX_DEAD_END: VerifiedRate.EXIT_RATE,
    WorkAction.FIX_LINK: VerifiedRate.U_TURN_RATE,
    WorkAction.WRITE_ARTICLE: VerifiedRate.FAILURE_RATE,
    WorkAction.ADD_LINK: VerifiedRate.SUCCESS_RATE,
}


@dataclass(frozen=True, slots=True)
class Reference:
    """What to verify: an item, from when, and why then (DONE or VERSION)."""

    item_id: str
    action: WorkAction
    subject: WorkSubject
    since: int  # epoch ms
    reason: str = "DONE"


def reference_of(
    state: WorkItemState,
    versions: Mapping[str, Sequence[int]],
    current: Verification | None,
) -> Reference | None:
    """The item's reference time when it needs a verification (a new one, or one still
    WAITING): a DONE item's, else, for a page item, the latest version of its page after
    its first (`versions`: page id -> its versions' `since`, sorted). None for a dismissed
    item, an action without a rate, or a verification already decided for that time."""
    if state.action not in RATE_OF or state.status is WorkStatus.DISMISSED:
        return None
    if state.status is WorkStatus.DONE and state.done_at is not None:
        ref = Reference(state.id, state.action, state.subject, state.done_at)
    else:
        later = versions.get(state.page_id, ())[1:] if state.page_id is not None else ()
        if not later:
            return None
        ref = Reference(state.id, state.action, state.subject, later[-1], "VERSION")
    if current is not None and current.since == ref.since and current.verdict.decided:
        return None
    return ref


def sides(since: int, data_end: int) -> tuple[TimeWindow, TimeWindow] | None:
    """(before, after), of equal length; None when no time has passed since `since`."""
    width = min(data_end - since, MAX_DAYS * DAY_MS)
    if width <= 0:
        return None
    return TimeWindow(since - width, since), TimeWindow(since, since + width)


@dataclass(frozen=True, slots=True)
class _Tally:
    successes: int = 0
    trials: int = 0
    escalations: int = 0  # escalated paths the subject would claim


# The rates that are a page's series rates (graph_model.series.record), and of which page.
_PAGE_RATES: Final = {
    VerifiedRate.RESOLUTION_RATE: PageMetric.RESOLUTION_RATE,
    VerifiedRate.SUCCESS_RATE: PageMetric.RESOLUTION_RATE,
    VerifiedRate.EXIT_RATE: PageMetric.EXIT_RATE,
    VerifiedRate.ESCALATION_RATE: PageMetric.ESCALATION_RATE,
    VerifiedRate.TURNAROUND_RATE: PageMetric.TURNAROUND_RATE,
}


def verify(
    ref: Reference,
    paths: Sequence[Path],
    data_end: int,
    now_ms: int,
    searches: Searches = path_searches,
) -> Verification:
    """The item's verification as the paths show it up to `data_end` (epoch ms)."""
    rate = RATE_OF[ref.action]
    windows = sides(ref.since, data_end)
    if windows is None:
        return Verification(
            Verdict.WAITING, rate, ref.since, 0.0, reference=ref.reason, computed_at=now_ms
        )
    before, after = (_tally(paths, w, rate, ref.subject, searches) for w in windows)
    p_value = None
    if before.trials and after.trials:
        [p] = two_proportions(
            [after.successes], [after.trials], [before.successes], [before.trials]
        )
        p_value = float(p)
    width = windows[1].high - windows[1].low
    return Verification(
        verdict=verdict(rate, before, after, p_value, data_end - ref.since),
        verified_rate=rate,
        since=ref.since,
        days=width / DAY_MS,
        before_successes=before.successes,
        before_trials=before.trials,
        after_successes=after.successes,
        after_trials=after.trials,
        p_value=p_value,
        escalations_before=before.escalations,
        escalations_after=after.escalations,
        reference=ref.reason,
        computed_at=now_ms,
    )


def verdict(
    rate: VerifiedRate, before: _Tally, after: _Tally, p_value: float | None, passed_ms: int
) -> Verdict:
    if p_value is not None and p_value <= ALPHA:
        up = after.successes / after.trials > before.successes / before.trials
        return Verdict.WORKED if up == rate.higher_is_better else Verdict.WORSE
    enough = before.trials >= MIN_TRIALS and after.trials >= MIN_TRIALS
    if enough or passed_ms >= MAX_DAYS * DAY_MS:
        return Verdict.NO_EFFECT
    return Verdict.WAITING


def _tally(
    paths: Sequence[Path],
    window: TimeWindow,
    rate: VerifiedRate,
    subject: WorkSubject,
    searches: Searches,
) -> _Tally:
    """The rate's counts over the completed paths that started in `window`."""
    metric = _PAGE_RATES.get(rate)
    if metric is not None:
        page = subject.from_page_id if rate is VerifiedRate.SUCCESS_RATE else subject.page_id
        c = count_page(paths, page or "", window)
        return _Tally(c.successes(metric), c.trials(metric), c.escalations)
    successes = trials = escalations = 0
    for path in paths:
        if not path.completed or not window.contains(path.start):
            continue
        escalated = path.outcome is Outcome.ESCALATED
        if rate is VerifiedRate.FAILURE_RATE:
            if subject.query in searches(path):
                trials += 1
                successes += path.outcome is not Outcome.RESOLVED
                escalations += escalated
            continue
        turns = _u_turns(path.pages, subject.from_page_id, subject.to_page_id)
        trials += turns[1]
        successes += turns[0]
        escalations += escalated and turns[0] > 0
    return _Tally(successes, trials, escalations)


def _u_turns(pages: Sequence[str], a: str | None, b: str | None) -> tuple[int, int]:
    """(A -> B -> A, A -> B -> anything) in the path."""
    u_turns = continuations = 0
    for i in range(len(pages) - 2):
        if pages[i] == a and pages[i + 1] == b:
            continuations += 1
            u_turns += pages[i + 2] == a
    return u_turns, continuations
