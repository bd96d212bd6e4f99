"""`simulate --live`: a steady rate, current timestamps, ids unique to the run."""

from __future__ import annotations

import pytest

from simulator.live import live


class Clock:
    def __init__(self) -> None:
        self.t = 100.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.t += s


def test_events_come_at_the_rate_stamped_with_the_time_they_are_handed_over() -> None:
    clock = Clock()
    events = [
        {"customer_id": f"c{i % 3}", "page_id": "p", "timestamp": 1, "event_id": "x"}
        for i in range(10)
    ]
    out = []
    for e in live(events, rate=4, run="r", clock=clock.now, wall=clock.now, sleep=clock.sleep):
        out.append(e)
    # Event n is due n / 4 s after the start: 0, 0.25, ... 2.25 s.
    assert [e["timestamp"] for e in out] == [round((100 + n / 4) * 1000) for n in range(10)]
    assert [e["event_id"] for e in out] == [f"live-r-{n}" for n in range(10)]
    assert [e["customer_id"] for e in out] == [f"c{i % 3}" for i in range(10)]
    assert sum(clock.slept) == pytest.approx(2.25)


def test_a_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        next(live([{"timestamp": 1}], rate=0))
