"""How the commands log: one handler on stderr, librdkafka's own lines among ours, and a
dependency that is down costing one line a minute, not twenty a second.

Every Kafka client of ours hands librdkafka a Python logger (`kafka.<client>`,
`ingest.kafka_client.routed`), so its lines no longer go straight to stderr, where they
mixed into the commands' output. While Kafka or Neo4j is away, the clients, the driver and
each request say so again and again: `OncePerInterval` lets the first line of each such
source through, then one a minute with the count of the lines it held back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from rich.console import Console
from rich.logging import RichHandler

OUTAGE_INTERVAL_S: Final = 60.0
# Loggers whose lines repeat while a dependency is down: librdkafka's (kafka.<client>), the
# Neo4j driver's, and the API's "graph read failed".
REPEATING: Final = ("kafka", "neo4j", "graphql_api.schema", "graphql_api.assist_feed")


@dataclass
class OncePerInterval(logging.Filter):
    """Per logger of `prefixes`: a line, then none for `interval_s` (counted), then the next
    with how many were held back."""

    prefixes: tuple[str, ...] = REPEATING
    interval_s: float = OUTAGE_INTERVAL_S
    clock: Callable[[], float] = time.monotonic
    _last: dict[str, float] = field(default_factory=dict)
    _held: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__()

    def filter(self, record: logging.LogRecord) -> bool:
        name = record.name
        if not any(name == p or name.startswith(p + ".") for p in self.prefixes):
            return True
        now = self.clock()
        last = self._last.get(name)
        if last is not None and now - last < self.interval_s:
            self._held[name] = self._held.get(name, 0) + 1
            return False
        self._last[name] = now
        held = self._held.pop(name, 0)
        if held:
            record.msg = f"{record.getMessage()} (and {held} more lines like it in the last "
            record.msg += f"{self.interval_s:g}s)"
            record.args = ()
        return True


class QuietConnections(logging.Filter):
    """uvicorn logs every WebSocket's opening, refusal and closing at INFO: a client opening
    sockets in a loop would flood the log. They are debug lines here."""

    CHATTER: Final = ("connection open", "connection closed", "connection rejected")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or not record.name.startswith("uvicorn"):
            return True
        text = str(record.msg)
        if text.startswith(self.CHATTER) or '"WebSocket ' in text:
            return logging.getLogger().isEnabledFor(logging.DEBUG)
        return True


def for_server(level: int = logging.INFO, repeat_s: float = OUTAGE_INTERVAL_S) -> None:
    """`pathrank serve`: our lines, uvicorn's and librdkafka's on stderr, outages throttled
    to a line per `repeat_s`. librdkafka's informational lines stay out (warnings and errors
    only)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)-8s %(name)s: %(message)s"))
    handler.addFilter(QuietConnections())
    handler.addFilter(OncePerInterval(interval_s=repeat_s))
    _install(handler, level, kafka_level=logging.WARNING)


def for_command(console: Console, level: int = logging.WARNING) -> None:
    """The other commands: their log lines (rich, on the error console) beside their output;
    librdkafka's errors only (its warnings are retries the command reports itself)."""
    handler = RichHandler(console=console, show_path=False)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(OncePerInterval())
    _install(handler, level, kafka_level=logging.ERROR)


def _install(handler: logging.Handler, level: int, *, kafka_level: int) -> None:
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("kafka").setLevel(kafka_level)
    # The driver logs each of its own retries; the reads report an outage themselves.
    logging.getLogger("neo4j").setLevel(logging.ERROR)
