"""What our long-lived Kafka clients add to their settings: librdkafka's log lines through
Python's logging, and whether their brokers answer.

Without a `logger`, librdkafka writes its lines straight to stderr: into the commands'
output, and about twenty a second into a server's log while Kafka is down. With one, they
are records of the logger `kafka.<client>`, which the command's logging shows, filters and
throttles (pathrank.logs). They are handed over when the client is polled.
"""

from __future__ import annotations

import logging
from typing import Any, Final

import orjson

# How often librdkafka reports its brokers' states (the statistics `Liveness` reads).
STATS_INTERVAL_MS: Final = 5_000


def routed(client: str) -> dict[str, Any]:
    """Settings that send the client's librdkafka lines to the logger `kafka.<client>`."""
    return {"logger": logging.getLogger(f"kafka.{client}")}


class Liveness:
    """Whether any of a client's brokers is connected, from librdkafka's statistics (every
    STATS_INTERVAL_MS, delivered when the client is polled). `up` is None before the first."""

    def __init__(self, interval_ms: int = STATS_INTERVAL_MS) -> None:
        self.interval_ms = interval_ms
        self.up: bool | None = None

    def settings(self) -> dict[str, Any]:
        return {"statistics.interval.ms": self.interval_ms, "stats_cb": self._on_stats}

    def _on_stats(self, text: str) -> None:
        try:
            brokers = orjson.loads(text).get("brokers") or {}
        except (orjson.JSONDecodeError, AttributeError):
            return
        self.up = any(b.get("state") == "UP" for b in brokers.values() if isinstance(b, dict))
