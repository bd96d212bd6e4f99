"""Series per page and for the site, by day and by week, over the analysed window
(docs/analytics.md, "Series").

Every completed path counts in the period its first click falls in. The counts are those of
graph_model.series.record.Counts; the site counts as one page that every click visits. Days
are counted once and summed into weeks (a UTC week is seven UTC days).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from graph_model.path.record import Outcome, Path
from graph_model.series.record import COUNT_FIELDS, Counts, StoredSeries
from graph_model.timewindow import DAY_MS, Interval, TimeWindow

Matrix = npt.NDArray[np.int64]  # one row per Counts field, one column per period

_ROW: Final = {name: i for i, name in enumerate(COUNT_FIELDS)}
PATHS, RESOLVED, VISITS, EXITS = _ROW["paths"], _ROW["resolved"], _ROW["visits"], _ROW["exits"]
OPPORTUNITIES, TURNAROUNDS = _ROW["opportunities"], _ROW["turnarounds"]
ESCALATIONS, CLICKS = _ROW["escalations"], _ROW["clicks"]


@dataclass(frozen=True, slots=True)
class Timeline:
    """Counts per period of one interval: `starts[k]` opens column k of every matrix."""

    interval: Interval
    window: TimeWindow  # bounded on both sides
    starts: tuple[int, ...]
    pages: dict[str, Matrix]
    site: Matrix

    def counts(self, matrix: Matrix, column: int) -> Counts:
        return Counts(*(int(v) for v in matrix[:, column]))

    def stored(self) -> list[StoredSeries]:
        """The (:PageSeries) of every page seen and the (:SiteSeries)."""
        out = [self._stored(page, m) for page, m in sorted(self.pages.items())]
        out.append(self._stored(None, self.site))
        return out

    def _stored(self, page: str | None, matrix: Matrix) -> StoredSeries:
        columns = {f: tuple(int(v) for v in matrix[i]) for i, f in enumerate(COUNT_FIELDS)}
        return StoredSeries(
            interval=self.interval,
            page_id=page,
            since=self.window.since,
            until=self.window.until,
            starts=self.starts,
            **columns,
        )


def analysed_window(paths: Sequence[Path], window: TimeWindow, run_started_ms: int) -> TimeWindow:
    """The window the series cover: the analysis window, an open side closed on the UTC day
    of its first (or last) completed path, the end no later than the run's start (no later
    path was read)."""
    starts = [p.start for p in paths if p.completed and window.contains(p.start)]
    day = Interval.DAY
    since = window.since
    if since is None:
        since = day.start_of(min(starts)) if starts else day.start_of(run_started_ms)
    until = window.until
    if until is None:
        last = day.start_of(max(starts)) + DAY_MS if starts else run_started_ms
        until = min(last, max(run_started_ms, since + 1))
    return TimeWindow(since, max(until, since + 1))


def timelines(paths: Sequence[Path], window: TimeWindow) -> dict[Interval, Timeline]:
    """Day and week counts of the completed paths that started in `window` (bounded)."""
    if window.since is None or window.until is None:
        raise ValueError("series need a bounded window")
    first_day = Interval.DAY.start_of(window.since)
    days = -(-(window.until - first_day) // DAY_MS)
    rows = len(COUNT_FIELDS)
    per_page: dict[str, list[int]] = {}
    site = [0] * (rows * days)
    for path in paths:
        if not path.completed or not window.contains(path.start):
            continue
        d = (path.start - first_day) // DAY_MS
        pages = path.pages
        n = len(pages)
        outcome = path.outcome
        resolved = outcome is Outcome.RESOLVED
        abandoned = outcome is Outcome.ABANDONED
        escalation = outcome is Outcome.ESCALATED
        turns = path.turnaround_positions
        site[PATHS * days + d] += 1
        site[RESOLVED * days + d] += resolved
        site[VISITS * days + d] += n
        site[EXITS * days + d] += abandoned
        site[OPPORTUNITIES * days + d] += max(n - 2, 0)
        site[TURNAROUNDS * days + d] += len(turns)
        site[ESCALATIONS * days + d] += escalation
        inner = Counter(pages[1:-1])
        for page, visits in Counter(pages).items():
            row = per_page.get(page)
            if row is None:
                row = per_page[page] = [0] * (rows * days)
            row[PATHS * days + d] += 1
            row[RESOLVED * days + d] += resolved
            row[VISITS * days + d] += visits
            row[OPPORTUNITIES * days + d] += inner[page]
        last = per_page[pages[-1]]
        last[EXITS * days + d] += abandoned
        last[ESCALATIONS * days + d] += escalation
        for i in turns:
            per_page[pages[i]][TURNAROUNDS * days + d] += 1
    site_days = np.array(site, dtype=np.int64).reshape(rows, days)
    site_days[CLICKS] = site_days[VISITS]
    page_days = {}
    for page, flat in per_page.items():
        matrix = np.array(flat, dtype=np.int64).reshape(rows, days)
        matrix[CLICKS] = site_days[VISITS]  # VISITS' trials: every click of the period
        page_days[page] = matrix
    daily = Timeline(
        Interval.DAY,
        window,
        tuple(first_day + k * DAY_MS for k in range(days)),
        page_days,
        site_days,
    )
    return {Interval.DAY: daily, Interval.WEEK: _weeks(daily)}


def _weeks(daily: Timeline) -> Timeline:
    first_day = daily.starts[0]
    first_week = Interval.WEEK.start_of(first_day)
    lead = (first_day - first_week) // DAY_MS
    days = len(daily.starts)
    weeks = -(-(lead + days) // 7)

    def fold(matrix: Matrix) -> Matrix:
        padded = np.zeros((matrix.shape[0], weeks * 7), dtype=np.int64)
        padded[:, lead : lead + days] = matrix
        folded: Matrix = padded.reshape(matrix.shape[0], weeks, 7).sum(axis=2)
        return folded

    return Timeline(
        Interval.WEEK,
        daily.window,
        tuple(first_week + k * Interval.WEEK.ms for k in range(weeks)),
        {page: fold(m) for page, m in daily.pages.items()},
        fold(daily.site),
    )


def count_page(paths: Sequence[Path], page: str, window: TimeWindow) -> Counts:
    """The counts of `page` over the completed paths that started in `window` (path by path:
    for a few pages and windows, where `timelines` counts every page by day)."""
    paths_through = resolved = visits = exits = opportunities = turnarounds = escalations = 0
    for path in paths:
        if not path.completed or not window.contains(path.start):
            continue
        pages = path.pages
        here = [i for i, x in enumerate(pages) if x == page]
        if not here:
            continue
        n = len(pages)
        paths_through += 1
        resolved += path.outcome is Outcome.RESOLVED
        visits += len(here)
        ended_here = pages[-1] == page
        exits += ended_here and path.outcome is Outcome.ABANDONED
        escalations += ended_here and path.outcome is Outcome.ESCALATED
        inner = [i for i in here if 0 < i < n - 1]
        opportunities += len(inner)
        turnarounds += sum(pages[i - 1] == pages[i + 1] != page for i in inner)
    return Counts(paths_through, resolved, visits, exits, opportunities, turnarounds, escalations)
