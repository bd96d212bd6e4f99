"""Time windows and calendar periods (docs/analytics.md, "Windows" and "Series").

A window is the half-open interval [since, until) of path start times, in epoch ms; an open
end is None. Figures over a window count the completed paths that *started* in it. Periods
are UTC days and weeks from Monday 00:00 UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Final

DAY_MS: Final = 86_400_000
WEEK_MS: Final = 7 * DAY_MS
# 1970-01-01 was a Thursday: the first Monday 00:00 UTC after the epoch.
FIRST_MONDAY_MS: Final = 4 * DAY_MS
# Stand-ins for an open end in statements that compare start times (beyond any epoch ms).
EARLIEST_MS: Final = -(2**61)
LATEST_MS: Final = 2**61


# A series has at most this many periods, precomputed by the analysis or on demand (docs/api.md).
MAX_PERIODS: Final = 1_000


class Interval(StrEnum):
    """The length of a series' periods."""

    DAY = "DAY"
    WEEK = "WEEK"

    @property
    def ms(self) -> int:
        return DAY_MS if self is Interval.DAY else WEEK_MS

    @property
    def origin_ms(self) -> int:
        """A period boundary: periods are [origin + k * ms, origin + (k + 1) * ms)."""
        return 0 if self is Interval.DAY else FIRST_MONDAY_MS

    def start_of(self, ms: int) -> int:
        """The start of the period that holds `ms`."""
        return ms - (ms - self.origin_ms) % self.ms

    def aligned(self, ms: int) -> bool:
        return self.start_of(ms) == ms


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """[since, until) in epoch ms; None: open on that side."""

    since: int | None = None
    until: int | None = None

    def __post_init__(self) -> None:
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise ValueError("the window must end after it starts")

    @property
    def bounded(self) -> bool:
        return self.since is not None or self.until is not None

    def contains(self, ms: int) -> bool:
        return (self.since is None or ms >= self.since) and (self.until is None or ms < self.until)

    def covers(self, other: TimeWindow) -> bool:
        """Whether every start time in `other` is in this window."""
        starts_before = self.since is None or (
            other.since is not None and other.since >= self.since
        )
        ends_after = self.until is None or (other.until is not None and other.until <= self.until)
        return starts_before and ends_after

    @property
    def low(self) -> int:
        """`since`, or a time before every path (for statements)."""
        return EARLIEST_MS if self.since is None else self.since

    @property
    def high(self) -> int:
        return LATEST_MS if self.until is None else self.until

    def describe(self) -> str:
        def iso(ms: int | None) -> str:
            return "…" if ms is None else datetime.fromtimestamp(ms / 1000, UTC).isoformat()

        return f"[{iso(self.since)}, {iso(self.until)})"


ALL_TIME: Final = TimeWindow()


def parse_moment(text: str) -> int:
    """An ISO-8601 date (midnight UTC) or date-time (without a zone: UTC) as epoch ms;
    ValueError with a readable message otherwise."""
    raw = text.strip()
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO-8601 date or time (e.g. 2026-01-05 or "
            "2026-01-05T08:00:00+01:00)"
        ) from None
    if len(raw) == 10:  # a plain date
        moment = datetime.combine(date.fromisoformat(raw), time(), UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return to_ms(moment)


def to_ms(moment: datetime) -> int:
    """A datetime (without a zone: UTC) as epoch ms."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)
