"""Changes (docs/analytics.md, "Changes"): for every page and every rate, each week against
the 4 weeks before it, and each new catalog version before against after; one
Benjamini-Hochberg correction over every test of the run.

- Period tests: a week's successes / trials against the pooled 4 preceding weeks of the
  analysed window (weeks from Monday, UTC); both sides need at least 20 trials.
- Catalog tests: a page's version (not its first) at time t, over the completed paths that
  started in [t - d, t) against [t, t + d), d = 14 days, cut to what the analysed window
  holds on both sides (at least one day), the same 20 trials.
- The test: two-sided Fisher exact test of the two proportions (the pooled z-test beyond
  10,000 trials: algorithms.proportions.two_proportions).
- Reported: period tests with q <= 0.05, and every catalog test (its effect, significant or
  not), ranked by q-value, then by the size of the change.
- Segments (`segment_changes`): the period tests again over each segment's paths alone, for
  the MAX_SEGMENTS largest segments with at least SEGMENT_MIN_PATHS completed paths; each
  segment is a family of its own (its own Benjamini-Hochberg correction and ranks), so a
  break that only one segment's customers meet shows among theirs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final

import numpy as np

from algorithms.proportions import benjamini_hochberg, two_proportions
from algorithms.series import Timeline, count_page, timelines
from graph_model.change.record import FDR, ChangeKind, ChangeRecord
from graph_model.page.record import PageVersion
from graph_model.path.record import Path
from graph_model.series.record import COUNT_FIELDS, RATES, SUCCESSES_OF, TRIALS_OF, PageMetric
from graph_model.timewindow import DAY_MS, Interval, TimeWindow

BASELINE_PERIODS: Final = 4
MIN_TRIALS: Final = 20
CATALOG_DAYS: Final = 14
SEGMENT_MIN_PATHS: Final = 200
MAX_SEGMENTS: Final = 20


def _rows(metric: PageMetric) -> tuple[int, int]:
    """(successes row, trials row) of a metric in a Timeline matrix."""
    return COUNT_FIELDS.index(SUCCESSES_OF[metric]), COUNT_FIELDS.index(TRIALS_OF[metric])


@dataclass(frozen=True, slots=True)
class _Tests:
    """Columns of tests, one entry each."""

    pages: list[str]
    metrics: list[PageMetric]
    kinds: list[ChangeKind]
    spans: list[tuple[int, int, int, int]]  # period start, end, baseline start, end
    successes: list[int]
    trials: list[int]
    baseline_successes: list[int]
    baseline_trials: list[int]
    versions: list[int | None]


def changes(
    weekly: Timeline,
    paths: Sequence[Path],
    versions: Iterable[PageVersion],
    *,
    fdr: float = FDR,
) -> list[ChangeRecord]:
    """The run's changes: significant period changes and every catalog comparison."""
    if weekly.interval is not Interval.WEEK:
        raise ValueError("period tests run on weeks")
    tests = _Tests([], [], [], [], [], [], [], [], [])
    _period_tests(weekly, tests)
    _catalog_tests(paths, versions, weekly.window, tests)
    if not tests.pages:
        return []
    p = two_proportions(
        tests.successes, tests.trials, tests.baseline_successes, tests.baseline_trials
    )
    q = benjamini_hochberg(p)
    found = []
    for i, page in enumerate(tests.pages):
        kind = tests.kinds[i]
        if kind is ChangeKind.PERIOD and q[i] > fdr:
            continue
        start, end, base_start, base_end = tests.spans[i]
        found.append(
            ChangeRecord(
                page_id=page,
                metric=tests.metrics[i],
                kind=kind,
                period_start=start,
                period_end=end,
                baseline_start=base_start,
                baseline_end=base_end,
                successes=tests.successes[i],
                trials=tests.trials[i],
                baseline_successes=tests.baseline_successes[i],
                baseline_trials=tests.baseline_trials[i],
                p_value=float(p[i]),
                q_value=float(q[i]),
                version_since=tests.versions[i],
            )
        )
    found.sort(key=_order)
    return [replace(c, rank=rank) for rank, c in enumerate(found, start=1)]


def tested_segments(paths: Sequence[Path], window: TimeWindow) -> dict[str, list[Path]]:
    """The segments the changes are tested in alone, with their completed paths."""
    members: dict[str, list[Path]] = defaultdict(list)
    for path in paths:
        if path.completed and window.contains(path.start):
            for segment in path.segments:
                members[segment].append(path)
    large = sorted(
        (s for s, found in members.items() if len(found) >= SEGMENT_MIN_PATHS),
        key=lambda s: (-len(members[s]), s),
    )[:MAX_SEGMENTS]
    return {s: members[s] for s in sorted(large)}


def segment_changes(
    segments: Mapping[str, Sequence[Path]], window: TimeWindow, *, fdr: float = FDR
) -> list[ChangeRecord]:
    """Each segment's significant period changes (`tested_segments`), tagged with it."""
    found: list[ChangeRecord] = []
    for segment, members in segments.items():
        weekly = timelines(members, window)[Interval.WEEK]
        found.extend(replace(c, segment=segment) for c in changes(weekly, (), (), fdr=fdr))
    return found


def _order(c: ChangeRecord) -> tuple[float, float, str, str, int]:
    return (c.q_value, -abs(c.rate - c.baseline_rate), c.page_id, c.metric.value, c.period_start)


def _period_tests(weekly: Timeline, tests: _Tests) -> None:
    starts = np.asarray(weekly.starts, dtype=np.int64)
    weeks = starts.size
    if weeks <= BASELINE_PERIODS:
        return
    low, high = weekly.window.low, weekly.window.high
    ends = np.minimum(starts + Interval.WEEK.ms, high)
    opens = np.maximum(starts, low)
    for page, matrix in sorted(weekly.pages.items()):
        for metric in RATES:
            s_row, t_row = _rows(metric)
            successes, trials = matrix[s_row], matrix[t_row]
            cs = np.concatenate(([0], np.cumsum(successes)))
            ct = np.concatenate(([0], np.cumsum(trials)))
            w = np.arange(BASELINE_PERIODS, weeks)
            base_s = cs[w] - cs[w - BASELINE_PERIODS]
            base_t = ct[w] - ct[w - BASELINE_PERIODS]
            ok = (trials[w] >= MIN_TRIALS) & (base_t >= MIN_TRIALS)
            for k in np.flatnonzero(ok):
                week = int(w[k])
                tests.pages.append(page)
                tests.metrics.append(metric)
                tests.kinds.append(ChangeKind.PERIOD)
                tests.spans.append(
                    (
                        int(opens[week]),
                        int(ends[week]),
                        int(opens[week - BASELINE_PERIODS]),
                        int(ends[week - 1]),
                    )
                )
                tests.successes.append(int(successes[week]))
                tests.trials.append(int(trials[week]))
                tests.baseline_successes.append(int(base_s[k]))
                tests.baseline_trials.append(int(base_t[k]))
                tests.versions.append(None)


def _catalog_tests(
    paths: Sequence[Path], versions: Iterable[PageVersion], window: TimeWindow, tests: _Tests
) -> None:
    by_page: dict[str, list[PageVersion]] = {}
    for v in versions:
        by_page.setdefault(v.page_id, []).append(v)
    changed = {
        page: sorted(vs, key=lambda v: v.since)[1:]  # the first version is no change
        for page, vs in by_page.items()
        if len(vs) > 1
    }
    if not changed:
        return
    through: dict[str, list[Path]] = {page: [] for page in changed}
    for path in paths:
        if path.completed and window.contains(path.start):
            for page in set(path.pages).intersection(changed):
                through[page].append(path)
    for page, later in sorted(changed.items()):
        for version in later:
            span = catalog_span(version.since, window)
            if span is None:
                continue
            before, after = span
            counts_before = count_page(through[page], page, before)
            counts_after = count_page(through[page], page, after)
            for metric in RATES:
                trials, base_t = counts_after.trials(metric), counts_before.trials(metric)
                if trials < MIN_TRIALS or base_t < MIN_TRIALS:
                    continue
                tests.pages.append(page)
                tests.metrics.append(metric)
                tests.kinds.append(ChangeKind.CATALOG)
                tests.spans.append((after.low, after.high, before.low, before.high))
                tests.successes.append(counts_after.successes(metric))
                tests.trials.append(trials)
                tests.baseline_successes.append(counts_before.successes(metric))
                tests.baseline_trials.append(base_t)
                tests.versions.append(version.since)


def catalog_span(
    at: int, window: TimeWindow, days: int = CATALOG_DAYS
) -> tuple[TimeWindow, TimeWindow] | None:
    """[at - d, at) and [at, at + d): d days, or less to stay inside `window` (bounded);
    None when either side would be under a day."""
    d = min(days * DAY_MS, at - window.low, window.high - at)
    if d < DAY_MS:
        return None
    return TimeWindow(at - d, at), TimeWindow(at, at + d)
