"""The worker's process: Python's garbage collector tuned for ingest, and the signals that
stop it."""

from __future__ import annotations

import gc
import signal
from collections.abc import Callable
from types import FrameType


def tune_gc() -> tuple[int, int, int]:
    """Keep Python's cycle collector from rescanning the whole process during ingest.

    A batch allocates hundreds of thousands of short-lived, acyclic objects. With the default
    threshold (700) that set off a full collection over everything the process had imported
    every few batches: about 1 s per 100k events. Objects alive now (modules, settings) are
    frozen out of collections, and the youngest generation is collected every 50,000
    allocations; collection still runs, so memory stays bounded.
    """
    previous = gc.get_threshold()
    gc.collect()  # what is garbage now would stay frozen, uncollected, for the whole run
    gc.freeze()
    gc.set_threshold(max(previous[0], 50_000), previous[1], previous[2])
    return previous


def restore_gc(previous: tuple[int, int, int]) -> None:
    gc.set_threshold(*previous)
    gc.unfreeze()


_Handler = Callable[[int, FrameType | None], object] | int | None


def install_signal_handlers(stop: Callable[..., None]) -> dict[int, _Handler]:
    previous: dict[int, _Handler] = {}
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            previous[sig] = signal.signal(sig, stop)
        except ValueError:  # not the main thread (tests): no handlers
            break
    return previous


def restore_signal_handlers(previous: dict[int, _Handler]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)
