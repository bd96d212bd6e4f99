"""What every Kafka client of ours adds to its settings: the cluster's client properties
(TLS, SASL), librdkafka's log lines through Python's logging, and whether its brokers
answer.

The properties are the operator's (PATHRANK_KAFKA_PROPERTIES, a file of librdkafka
`key=value` lines: docs/security.md); the composition root hands them over once with
`use_properties` before any client is made, and every client takes them from `routed`.

Without a `logger`, librdkafka writes its lines straight to stderr: into the commands'
output, and about twenty a second into a server's log while Kafka is down. With one, they
are records of the logger `kafka.<client>`, which the command's logging shows, filters and
throttles (pathrank.logs). They are handed over when the client is polled.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import orjson

# How often librdkafka reports its brokers' states (the statistics `Liveness` reads).
STATS_INTERVAL_MS: Final = 5_000


_properties: dict[str, str] = {}


def use_properties(properties: Mapping[str, str]) -> None:
    """The cluster's client properties, for every client made from now on."""
    _properties.clear()
    _properties.update(properties)


def properties() -> dict[str, str]:
    return dict(_properties)


def load_properties(path: Path) -> dict[str, str]:
    """A librdkafka properties file: `key=value` lines, `#` comments; ValueError naming the
    line that is neither."""
    found: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{path}:{number}: expected key=value")
        found[key.strip()] = value.strip()
    return found


def logged(client: str) -> dict[str, Any]:
    """Settings that send the client's librdkafka lines to the logger `kafka.<client>`."""
    return {"logger": logging.getLogger(f"kafka.{client}")}


def routed(client: str) -> dict[str, Any]:
    """The cluster's client properties, and the client's lines to `kafka.<client>`."""
    return {**_properties, **logged(client)}


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
