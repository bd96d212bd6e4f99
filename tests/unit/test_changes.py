"""Change detection and catalog versions on hand-made paths: which tests run, on which
counts, and what is reported. Expected p-values come from scipy's own fisher_exact and
false_discovery_control, one call at a time."""

from __future__ import annotations

import itertools

import pytest
from scipy import stats

from algorithms.changes import MIN_TRIALS, catalog_span, changes
from algorithms.series import Timeline, timelines
from graph_model.change.record import ChangeDirection, ChangeKind
from graph_model.page.record import CatalogEntry, PageVersion
from graph_model.page.store import plan_versions
from graph_model.path.record import Outcome, Path
from graph_model.series.record import PageMetric
from graph_model.timewindow import DAY_MS, WEEK_MS, Interval, TimeWindow

MONDAY = 1_767_571_200_000  # 2026-01-05T00:00Z
WEEKS = 8
_ids = itertools.count()


def path(start: int, pages: tuple[str, ...], outcome: Outcome) -> Path:
    return Path(
        id=f"c:{next(_ids)}",
        customer_id="c",
        start=start,
        end=start + 1000,
        length=len(pages),
        outcome=outcome,
        turnarounds=0,
        quick_turnarounds=0,
        pages=pages,
    )


def week_of_paths(week: int, exits: int, stays: int) -> list[Path]:
    """`exits` paths home -> help abandoned on `help`, `stays` resolved on `done`."""
    t = MONDAY + week * WEEK_MS + DAY_MS
    return [path(t + i, ("home", "help"), Outcome.ABANDONED) for i in range(exits)] + [
        path(t + exits + i, ("home", "help", "done"), Outcome.RESOLVED) for i in range(stays)
    ]


def weekly(paths: list[Path]) -> Timeline:
    window = TimeWindow(MONDAY, MONDAY + WEEKS * WEEK_MS)
    return timelines(paths, window)[Interval.WEEK]


def scipy_p(a: int, na: int, b: int, nb: int) -> float:
    return float(stats.fisher_exact([[a, na - a], [b, nb - b]]).pvalue)


def test_a_jump_is_found_in_its_week_against_the_four_before() -> None:
    paths = [p for w in range(WEEKS) for p in week_of_paths(w, 60 if w == 6 else 10, 90)]
    found = changes(weekly(paths), paths, [])
    jump = [c for c in found if c.page_id == "help" and c.metric is PageMetric.EXIT_RATE]
    assert [c.period_start for c in jump] == [MONDAY + 6 * WEEK_MS]
    c = jump[0]
    assert (c.successes, c.trials, c.baseline_successes, c.baseline_trials) == (60, 150, 40, 400)
    assert (c.baseline_start, c.baseline_end) == (MONDAY + 2 * WEEK_MS, MONDAY + 6 * WEEK_MS)
    assert c.direction is ChangeDirection.UP
    assert c.kind is ChangeKind.PERIOD
    assert c.p_value == pytest.approx(scipy_p(60, 150, 40, 400), rel=1e-9)
    assert c.rank >= 1
    # Week 7's baseline holds the jump: the rate fell back against it.
    assert all(x.significant for x in found)


def test_every_test_of_the_run_shares_one_benjamini_hochberg() -> None:
    exits = [10, 12, 9, 11, 30, 10, 13, 8]
    paths = [p for w in range(WEEKS) for p in week_of_paths(w, exits[w], 90)]
    found = changes(weekly(paths), paths, [])
    # Every (page, rate, week >= 4) with 20 trials on each side is a test, reported or not.
    tested = []
    n = [exits[k] + 90 for k in range(WEEKS)]
    for w in range(4, WEEKS):
        paths_now, paths_before = n[w], sum(n[w - 4 : w])
        for _page in ("home", "help"):  # resolution rate of the paths through the page
            tested.append((90, paths_now, 360, paths_before))
        tested.append((90, 90, 360, 360))  # done: every path through it resolved
        # exit rate (exits / visits): only help is ever left
        tested.append((exits[w], paths_now, sum(exits[w - 4 : w]), paths_before))
        tested += [(0, paths_now, 0, paths_before), (0, 90, 0, 360)]
        # escalation rate (escalations / visits): none anywhere
        tested += [(0, paths_now, 0, paths_before)] * 2 + [(0, 90, 0, 360)]
        # turnaround rate: only help is ever inside a path (in the resolved ones), never turned
        tested.append((0, 90, 0, 360))
    p = [scipy_p(*t) for t in tested]
    q = stats.false_discovery_control(p, method="bh")
    want = sorted(round(float(x), 12) for x in q if x <= 0.05)
    assert sorted(round(c.q_value, 12) for c in found) == want
    assert want  # the week with 30 exits is a change


def test_weeks_with_fewer_than_twenty_trials_are_not_tested() -> None:
    exits = [1, 1, 1, 1, MIN_TRIALS - 2]
    paths = [p for w in range(5) for p in week_of_paths(w, exits[w], 1)]
    assert changes(weekly(paths), paths, []) == []


def test_a_catalog_version_is_compared_over_equal_windows_either_side() -> None:
    fix = MONDAY + 4 * WEEK_MS + 8 * 3_600_000
    paths = [
        path(
            fix + k * (DAY_MS // 4),
            ("home", "help"),
            Outcome.ABANDONED if k < 0 else Outcome.RESOLVED,
        )
        for k in range(-40, 40)
    ]
    versions = [PageVersion("help", MONDAY, "Help"), PageVersion("help", fix, "Help (new)")]
    found = changes(weekly(paths), paths, versions)
    catalog = [c for c in found if c.kind is ChangeKind.CATALOG]
    # help is always the last page: no turnaround opportunities, so three rates are tested
    assert {c.metric for c in catalog} == {
        PageMetric.RESOLUTION_RATE,
        PageMetric.EXIT_RATE,
        PageMetric.ESCALATION_RATE,
    }
    resolution = next(c for c in catalog if c.metric is PageMetric.RESOLUTION_RATE)
    # 14 days either side (the window holds them); the paths lie within 10 days of the fix
    assert (resolution.baseline_start, resolution.period_end) == (
        fix - 14 * DAY_MS,
        fix + 14 * DAY_MS,
    )
    assert (resolution.successes, resolution.trials) == (40, 40)
    assert (resolution.baseline_successes, resolution.baseline_trials) == (0, 40)
    assert resolution.version_since == fix
    assert resolution.q_value <= 0.05


def test_catalog_span_stays_inside_the_window() -> None:
    window = TimeWindow(MONDAY, MONDAY + 20 * DAY_MS)
    before, after = catalog_span(MONDAY + 5 * DAY_MS, window) or (None, None)
    assert before == TimeWindow(MONDAY, MONDAY + 5 * DAY_MS)
    assert after == TimeWindow(MONDAY + 5 * DAY_MS, MONDAY + 10 * DAY_MS)
    assert catalog_span(MONDAY + DAY_MS // 2, window) is None


def entry(title: str, since: int, links: tuple[str, ...] = ()) -> CatalogEntry:
    return CatalogEntry("a", title, None, links, since)


def test_catalog_entries_become_versions_when_they_change_the_page() -> None:
    new, current = plan_versions(
        [entry("A", 10), entry("A", 20), entry("B", 30), entry("B", 30, ("x",))], {}
    )
    # The same content at 20 is no new version; a second record at 30 is a replay.
    assert [(v.since, v.title) for v in new] == [(10, "A"), (30, "B")]
    assert current[-1].title == "B"
    known = {"a": [PageVersion("a", 10, "A"), PageVersion("a", 30, "B")]}
    new, current = plan_versions([entry("C", 20), entry("B", 30)], known)
    # A late record adds its version but does not replace the page's latest form; the
    # replay at 30 rewrites nothing.
    assert [(v.since, v.title) for v in new] == [(20, "C")]
    assert current == []
    _, current = plan_versions([entry("B", 40)], known)
    assert [c.title for c in current] == ["B"]  # unchanged content, yet the latest record
