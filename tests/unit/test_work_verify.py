"""Verification of a work item (algorithms.work.verify): equal windows either side of the
reference time, the test of docs/analytics.md, and the verdict's rules. The p-values are
checked against scipy's own Fisher test."""

from __future__ import annotations

from dataclasses import replace

from scipy import stats

from algorithms.work.verify import MAX_DAYS, Reference, reference_of, sides, verify
from graph_model.path.record import Path
from graph_model.timewindow import DAY_MS
from graph_model.work.record import (
    Verdict,
    Verification,
    VerifiedRate,
    WorkAction,
    WorkItemState,
    WorkStatus,
    WorkSubject,
)
from tests.paths import T0, path_of

REF = T0 + 60 * DAY_MS
PAGE = WorkSubject(page_id="X")


def journeys(pages: str, outcome: str, n: int, day: float) -> list[Path]:
    """n paths through `pages` starting `day` days from the reference time."""
    start = REF + round(day * DAY_MS)
    return [
        replace(path_of(pages, outcome, f"c{day}-{i}"), start=start + i, end=start + i)
        for i in range(n)
    ]


def test_worked_when_the_page_resolves_more_often_after() -> None:
    paths = [
        *journeys("AX", "RESOLVED", 20, -5),
        *journeys("AX", "ABANDONED", 80, -5),
        *journeys("AX", "RESOLVED", 60, 5),
        *journeys("AX", "ABANDONED", 40, 5),
        *journeys("AB", "ABANDONED", 500, 5),  # not through X: no trial
        *journeys("AX", "ABANDONED", 500, -40),  # before the before window
    ]
    ref = Reference("i", WorkAction.REWRITE_PAGE, PAGE, REF)
    v = verify(ref, paths, data_end=REF + 10 * DAY_MS, now_ms=1)
    assert (v.before_successes, v.before_trials, v.after_successes, v.after_trials) == (
        20,
        100,
        60,
        100,
    )
    assert v.days == 10
    assert v.p_value is not None
    assert abs(v.p_value - stats.fisher_exact([[60, 40], [20, 80]]).pvalue) < 1e-9
    assert v.verdict is Verdict.WORKED
    assert v.verified_rate is VerifiedRate.RESOLUTION_RATE


def test_worse_when_it_moves_the_wrong_way() -> None:
    paths = [*journeys("AX", "RESOLVED", 60, -5), *journeys("AX", "ABANDONED", 40, -5)]
    paths += [*journeys("AX", "RESOLVED", 20, 5), *journeys("AX", "ABANDONED", 80, 5)]
    ref = Reference("i", WorkAction.REWRITE_PAGE, PAGE, REF)
    assert verify(ref, paths, REF + 10 * DAY_MS, 1).verdict is Verdict.WORSE


def test_a_dead_end_is_judged_by_its_exit_rate() -> None:
    # Before: 50 of 100 visits ended in an exit at X; after: 10 of 100.
    paths = [*journeys("AX", "ABANDONED", 50, -5), *journeys("AXB", "RESOLVED", 50, -5)]
    paths += [*journeys("AX", "ABANDONED", 10, 5), *journeys("AXB", "RESOLVED", 90, 5)]
    ref = Reference("i", WorkAction.FIX_DEAD_END, PAGE, REF)
    v = verify(ref, paths, REF + 10 * DAY_MS, 1)
    assert (v.verified_rate, v.before_successes, v.after_successes) == (
        VerifiedRate.EXIT_RATE,
        50,
        10,
    )
    assert v.verdict is Verdict.WORKED  # fewer exits is better


def test_a_link_is_judged_by_its_u_turns() -> None:
    link = WorkSubject(from_page_id="A", to_page_id="B")
    paths = [*journeys("ABAC", "RESOLVED", 40, -5), *journeys("ABC", "RESOLVED", 10, -5)]
    paths += [*journeys("ABAC", "RESOLVED", 2, 5), *journeys("ABC", "RESOLVED", 48, 5)]
    v = verify(Reference("i", WorkAction.FIX_LINK, link, REF), paths, REF + 10 * DAY_MS, 1)
    assert (v.before_successes, v.before_trials, v.after_successes, v.after_trials) == (
        40,
        50,
        2,
        50,
    )
    assert v.verdict is Verdict.WORKED


def test_no_effect_with_enough_trials_or_time_and_waiting_before() -> None:
    same = [*journeys("AX", "RESOLVED", 110, -5), *journeys("AX", "ABANDONED", 100, -5)]
    same += [*journeys("AX", "RESOLVED", 105, 5), *journeys("AX", "ABANDONED", 105, 5)]
    ref = Reference("i", WorkAction.REWRITE_PAGE, PAGE, REF)
    assert verify(ref, same, REF + 10 * DAY_MS, 1).verdict is Verdict.NO_EFFECT  # 200+ each
    few = [*journeys("AX", "RESOLVED", 11, -5), *journeys("AX", "ABANDONED", 10, -5)]
    few += [*journeys("AX", "RESOLVED", 10, 5), *journeys("AX", "ABANDONED", 10, 5)]
    assert verify(ref, few, REF + 10 * DAY_MS, 1).verdict is Verdict.WAITING
    assert verify(ref, few, REF + MAX_DAYS * DAY_MS, 1).verdict is Verdict.NO_EFFECT
    assert verify(ref, few, REF, 1).verdict is Verdict.WAITING  # no time has passed


def test_windows_are_equal_and_at_most_28_days() -> None:
    before, after = sides(REF, REF + 40 * DAY_MS) or (None, None)
    assert before is not None
    assert after is not None
    assert (before.low, before.high, after.low, after.high) == (
        REF - 28 * DAY_MS,
        REF,
        REF,
        REF + 28 * DAY_MS,
    )
    assert sides(REF, REF) is None


def _state(status: WorkStatus, done_at: int | None = None) -> WorkItemState:
    return WorkItemState("i", WorkAction.REWRITE_PAGE, page_id="X", status=status, done_at=done_at)


def test_the_reference_time() -> None:
    versions = {"X": [T0, T0 + 5 * DAY_MS, T0 + 9 * DAY_MS]}
    done = reference_of(_state(WorkStatus.DONE, REF), versions, None)
    assert done is not None
    assert (done.since, done.reason) == (REF, "DONE")
    version = reference_of(_state(WorkStatus.OPEN), versions, None)
    assert version is not None
    assert (version.since, version.reason) == (T0 + 9 * DAY_MS, "VERSION")
    assert reference_of(_state(WorkStatus.OPEN), {"X": [T0]}, None) is None  # first version
    assert reference_of(_state(WorkStatus.DISMISSED), versions, None) is None
    decided = Verification(Verdict.WORKED, VerifiedRate.RESOLUTION_RATE, REF, 28.0)
    assert reference_of(_state(WorkStatus.DONE, REF), versions, decided) is None
    waiting = replace(decided, verdict=Verdict.WAITING)
    assert reference_of(_state(WorkStatus.DONE, REF), versions, waiting) is not None
    retire = replace(_state(WorkStatus.DONE, REF), action=WorkAction.RETIRE_PAGE)
    assert reference_of(retire, versions, None) is None


def test_tickets_avoided_only_when_it_worked() -> None:
    v = Verification(
        Verdict.WORKED, VerifiedRate.RESOLUTION_RATE, REF, 14.0,
        escalations_before=30, escalations_after=10,
    )  # fmt: skip
    assert v.tickets_avoided_per_week == 10.0  # 20 fewer over two weeks
    assert replace(v, verdict=Verdict.NO_EFFECT).tickets_avoided_per_week == 0.0
