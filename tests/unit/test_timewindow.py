"""Windows and UTC periods: boundaries computed with the standard library's calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph_model.segment.record import SegmentError, segment_id, segment_key
from graph_model.timewindow import Interval, TimeWindow, parse_moment, to_ms


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)))
def test_periods_start_at_midnight_and_on_mondays(moment: datetime) -> None:
    ms = to_ms(moment.replace(tzinfo=UTC))
    day = datetime.fromtimestamp(Interval.DAY.start_of(ms) / 1000, UTC)
    assert day == datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    week = datetime.fromtimestamp(Interval.WEEK.start_of(ms) / 1000, UTC)
    assert week.weekday() == 0
    assert week.time() == datetime.min.time()
    assert timedelta(0) <= moment.replace(tzinfo=UTC) - week < timedelta(days=7)
    assert Interval.WEEK.aligned(Interval.WEEK.start_of(ms))


def test_windows() -> None:
    w = TimeWindow(10, 20)
    assert w.contains(10)
    assert not w.contains(20)
    assert TimeWindow(None, 30).covers(w)
    assert not w.covers(TimeWindow(None, 15))
    assert not TimeWindow().bounded
    with pytest.raises(ValueError, match="end after"):
        TimeWindow(20, 20)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2026-01-05", "2026-01-05T00:00:00+00:00"),
        ("2026-01-05T08:30", "2026-01-05T08:30:00+00:00"),
        ("2026-01-05T08:30:00+01:00", "2026-01-05T07:30:00+00:00"),
    ],
)
def test_moments(text: str, iso: str) -> None:
    assert parse_moment(text) == to_ms(datetime.fromisoformat(iso))


def test_a_moment_that_is_not_iso_says_so() -> None:
    with pytest.raises(ValueError, match="not an ISO-8601 date or time"):
        parse_moment("yesterday")


def test_segments_are_key_value() -> None:
    assert segment_id("platform=mobile") == "platform=mobile"
    assert segment_id("utm_source=a=b") == "utm_source=a=b"  # values may hold "="
    for bad in ("platform", "Platform=x", "platform=", "=x", "a b=c"):
        with pytest.raises(SegmentError):
            segment_id(bad)
    assert segment_key("locale") == "locale"
    with pytest.raises(SegmentError):
        segment_key("locale=en")
