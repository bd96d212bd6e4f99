"""`pathrank simulate --live`: the simulated clicks handed over at a steady rate, each with
the current time as its timestamp, for demos and the benchmarks.

The events keep their order (each customer's path is the same), time is compressed to the
rate; event ids are made unique to the run, so live runs can follow one another on one
graph.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final

# Below this lead over the schedule no sleep is taken: a steady stream, not one sleep per click.
_SLICE_S: Final = 0.005


def live(
    events: Sequence[dict[str, Any]],
    rate: float,
    *,
    run: str | None = None,
    clock: Callable[[], float] = time.monotonic,
    wall: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[dict[str, Any]]:
    """Each event when it is due (event n at n / rate seconds after the start), stamped now."""
    if rate <= 0:
        raise ValueError("the rate must be positive")
    tag = run or uuid.uuid4().hex[:8]
    started = clock()
    for n, event in enumerate(events):
        ahead = started + n / rate - clock()
        if ahead > _SLICE_S:
            sleep(ahead)
        yield {**event, "timestamp": int(wall() * 1000), "event_id": f"live-{tag}-{n}"}
