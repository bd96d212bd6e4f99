"""What the worker's Kafka clients report besides their results: librdkafka's own log lines
(at DEBUG: the worker reports an outage itself, one line per retry) and the errors it reports
out of band (broker down, no coordinator), which the worker's loop takes in turn."""

from __future__ import annotations

import logging
import threading

from confluent_kafka import KafkaError

from ingest.kafka_client import properties

# librdkafka's own lines (one per failed connection attempt, dozens per outage) go here.
_librdkafka_log = logging.getLogger("ingest.librdkafka")


class LibrdkafkaLog:
    """What librdkafka logs, at DEBUG (confluent-kafka calls `log(level, fmt, *args)`)."""

    def log(self, _level: int, fmt: str, *args: object) -> None:
        _librdkafka_log.debug(fmt, *args)


def quiet() -> dict[str, object]:
    """Client settings for a Kafka client whose own errors and logs the worker does not need."""
    return {**properties(), "error_cb": lambda _error: None, "logger": LibrdkafkaLog()}


class ConsumerErrors:
    """Errors librdkafka reports out of band (broker down, no coordinator), for the loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._errors: list[KafkaError] = []

    def report(self, error: KafkaError) -> None:
        with self._lock:
            self._errors.append(error)

    def take(self) -> list[KafkaError]:
        with self._lock:
            errors, self._errors = self._errors, []
        return errors
