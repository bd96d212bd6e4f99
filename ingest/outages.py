"""Kafka and Neo4j outages, waited out alike.

Whatever is unavailable (Neo4j down or restarting, a Kafka broker gone, no group
coordinator, a dead letter not acknowledged), the worker logs one line per retry naming the
outage, waits 1 s doubling to 30 s, and tries the same work again: nothing is skipped. A stop
request (SIGTERM, SIGINT) ends every wait at once with StopRequested.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Final, TypeVar

from graph_model.errors import RETRYABLE
from ingest.errors import KafkaUnavailableError, StopRequested

_T = TypeVar("_T")

FIRST_DELAY_S: Final = 1.0
# What `retry` waits out: the typed Kafka outages and the Neo4j driver's transient errors.
TRANSIENT: Final = (*RETRYABLE, KafkaUnavailableError)


def backoff_delays(first_s: float = FIRST_DELAY_S, max_s: float = 30.0) -> Iterator[float]:
    """1, 2, 4, ... seconds, then `max_s` for ever."""
    delay = min(first_s, max_s)
    while True:
        yield delay
        delay = min(delay * 2, max_s)


def outage_line(error: BaseException, retrying: str, delay_s: float) -> str:
    """The one log line of one retry: which system, what failed, when the next try is."""
    system = "Kafka" if isinstance(error, KafkaUnavailableError) else "Neo4j"
    detail = " ".join(str(error).split())
    if not isinstance(error, KafkaUnavailableError):
        detail = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    if len(detail) > 300:
        detail = detail[:297] + "..."
    return (
        f"{system} unreachable ({detail}); retrying {retrying} in {delay_s:.0f}s, "
        "nothing is skipped"
    )


class Outages:
    """The retry policy of one worker, shared by its consumer loop and its writer thread."""

    def __init__(self, log: logging.Logger, max_backoff_s: float = 30.0) -> None:
        self._log = log
        self.max_backoff_s = max_backoff_s
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def delays(self) -> Iterator[float]:
        return backoff_delays(FIRST_DELAY_S, self.max_backoff_s)

    def wait(self, error: BaseException, retrying: str, delay_s: float) -> None:
        """Log the outage, then sleep `delay_s` unless a stop is requested meanwhile."""
        self._log.warning("%s", outage_line(error, retrying, delay_s))
        if self._stop.wait(delay_s):
            raise StopRequested("stop requested")

    def retry(self, action: Callable[[], _T], retrying: str = "the same batch") -> _T:
        """`action()` until it returns; transient errors are waited out, others raised.
        A stop request ends a wait, never a first attempt: work written is committed."""
        delays = self.delays()
        while True:
            try:
                return action()
            except TRANSIENT as exc:
                self.wait(exc, retrying, next(delays))
