"""Series: a page's (or the site's) counts per period, and the rates they give
(docs/analytics.md, "Series").

`Counts` is what a set of completed paths shows of one page; the site counts as one page
that every click visits (its visits are every click, its exits every abandoned path). Each
metric is a proportion, successes out of trials:

| metric | trials | successes |
|---|---|---|
| RESOLUTION_RATE | completed paths through the page | those that resolved |
| EXIT_RATE | visits | abandoned paths that ended on the page |
| TURNAROUND_RATE | turnaround opportunities | turnarounds at the page |
| ESCALATION_RATE | visits | escalated paths that ended on the page |
| VISITS | every click on the site | visits (the page's share of traffic) |
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Final

from graph_model.path.record import Outcome
from graph_model.properties import properties_of
from graph_model.timewindow import Interval, TimeWindow

# An escalated path's outcome, as Cypher compares it.
ESCALATED: Final = Outcome.ESCALATED.value


class PageMetric(StrEnum):
    RESOLUTION_RATE = "RESOLUTION_RATE"
    EXIT_RATE = "EXIT_RATE"
    TURNAROUND_RATE = "TURNAROUND_RATE"
    ESCALATION_RATE = "ESCALATION_RATE"
    VISITS = "VISITS"

    @property
    def is_rate(self) -> bool:
        """The four rates the change test watches (VISITS is a share of traffic)."""
        return self is not PageMetric.VISITS


RATES: Final = tuple(m for m in PageMetric if m.is_rate)


@dataclass(frozen=True, slots=True)
class Counts:
    """Completed paths seen from one page (or the site); every field counts."""

    paths: int = 0  # completed paths through the page
    resolved: int = 0  # of those, resolved
    visits: int = 0  # occurrences of the page, repeats included
    exits: int = 0  # abandoned paths that ended on it
    opportunities: int = 0  # occurrences at positions 1 < i < n
    turnarounds: int = 0  # turnarounds located at it
    escalations: int = 0  # escalated paths that ended on it
    clicks: int = 0  # every click of the site in the same paths' period (VISITS' trials)

    def trials(self, metric: PageMetric) -> int:
        return int(getattr(self, TRIALS_OF[metric]))

    def successes(self, metric: PageMetric) -> int:
        return int(getattr(self, SUCCESSES_OF[metric]))

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, f) + getattr(other, f) for f in COUNT_FIELDS))


COUNT_FIELDS: Final = tuple(f.name for f in fields(Counts))
NO_COUNTS: Final = Counts()

TRIALS_OF: Final = {
    PageMetric.RESOLUTION_RATE: "paths",
    PageMetric.EXIT_RATE: "visits",
    PageMetric.TURNAROUND_RATE: "opportunities",
    PageMetric.ESCALATION_RATE: "visits",
    PageMetric.VISITS: "clicks",
}
SUCCESSES_OF: Final = {
    PageMetric.RESOLUTION_RATE: "resolved",
    PageMetric.EXIT_RATE: "exits",
    PageMetric.TURNAROUND_RATE: "turnarounds",
    PageMetric.ESCALATION_RATE: "escalations",
    PageMetric.VISITS: "visits",
}


@dataclass(frozen=True, slots=True)
class Bucket:
    """The counts of the paths that started in [start, end)."""

    start: int  # epoch ms
    end: int
    counts: Counts


@dataclass(frozen=True, slots=True)
class Bucketing:
    """How on-demand counts are grouped: the paths that started in `window` (and are in
    `segment`, "key=value", when one is given), in buckets [origin + k * width, origin +
    (k + 1) * width)."""

    window: TimeWindow
    origin: int
    width: int
    segment: str | None = None

    @staticmethod
    def periods(window: TimeWindow, interval: Interval, segment: str | None = None) -> Bucketing:
        return Bucketing(window, interval.origin_ms, interval.ms, segment)

    @staticmethod
    def whole(window: TimeWindow, segment: str | None = None) -> Bucketing:
        """One bucket: the whole window."""
        return Bucketing(window, window.low, window.high - window.low, segment)

    def bucket(self, index: int) -> tuple[int, int]:
        """[start, end) of bucket `index`, clipped to the window."""
        start = self.origin + index * self.width
        return max(start, self.window.low), min(start + self.width, self.window.high)


@dataclass(frozen=True, slots=True)
class StoredSeries:
    """A precomputed series, as a (:PageSeries) or (:SiteSeries) node: dense periods from the
    first to the last of the analysed window (every list has one entry per period)."""

    interval: Interval
    page_id: str | None = None  # None: the site's
    # The window the analysis counted (None: open on that side; `until` of an open window is
    # the run's start: no path after it was counted).
    since: int | None = None
    until: int | None = None
    starts: tuple[int, ...] = ()
    paths: tuple[int, ...] = ()
    resolved: tuple[int, ...] = ()
    visits: tuple[int, ...] = ()
    exits: tuple[int, ...] = ()
    opportunities: tuple[int, ...] = ()
    turnarounds: tuple[int, ...] = ()
    escalations: tuple[int, ...] = ()
    clicks: tuple[int, ...] = ()

    @property
    def window(self) -> TimeWindow:
        return TimeWindow(self.since, self.until)

    def buckets(self) -> Iterator[Bucket]:
        columns = [getattr(self, f) for f in COUNT_FIELDS]
        step = self.interval.ms
        window = self.window
        for i, start in enumerate(self.starts):
            low, high = max(start, window.low), min(start + step, window.high)
            yield Bucket(low, high, Counts(*(column[i] for column in columns)))

    @staticmethod
    def of(
        interval: Interval,
        page_id: str | None,
        window: TimeWindow,
        starts: Sequence[int],
        counts: Sequence[Counts],
    ) -> StoredSeries:
        columns = {f: tuple(getattr(c, f) for c in counts) for f in COUNT_FIELDS}
        return StoredSeries(
            interval=interval,
            page_id=page_id,
            since=window.since,
            until=window.until,
            starts=tuple(starts),
            **columns,
        )


SERIES: Final = properties_of(StoredSeries)
