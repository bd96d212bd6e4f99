"""Producing clicks and the site catalog into Kafka, keyed by customer id."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import Producer

from graph_model.path.record import EventType
from ingest.events import (
    DEFAULT_MAX_CLOCK_SKEW_S,
    InvalidEvent,
    event_from_record,
    event_to_json,
)
from ingest.kafka_client import routed
from ingest.search import DEFAULT_SEARCH, SearchRules
from ingest.sources.common import EXCLUDED, Invalid, Skipped, SourceConfig
from ingest.sources.files import Format, read
from ingest.sources.table import TableMapping


@dataclass(frozen=True, slots=True)
class BadLine:
    line: int
    reason: str


@dataclass
class ProduceSummary:
    produced: int = 0
    bad: list[BadLine] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # by reason

    @property
    def excluded(self) -> int:
        """Events whose URL a page rule excluded."""
        return self.skipped[EXCLUDED]


def _producer(bootstrap: str) -> Producer:
    return Producer(
        {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 20,
            "compression.type": "lz4",
            "queue.buffering.max.messages": 500_000,
            **routed("produce"),
        }
    )


def _send(producer: Producer, topic: str, key: bytes, value: bytes) -> None:
    while True:
        try:
            producer.produce(topic, key=key, value=value)
            return
        except BufferError:
            producer.poll(0.05)  # the local queue is full: let deliveries drain


def produce_file(
    path: Path,
    bootstrap: str,
    topic: str,
    now_ms: int,
    on_progress: Callable[[int], None] | None = None,
    *,
    max_skew_ms: int = round(DEFAULT_MAX_CLOCK_SKEW_S * 1000),
    fmt: Format = Format.AUTO,
    config: SourceConfig | None = None,
    table: TableMapping | None = None,
    search: SearchRules = DEFAULT_SEARCH,
) -> ProduceSummary:
    """Map each line from its format (docs/sources.md), validate it (docs/events.md) and
    produce the valid ones; report the rest."""
    summary = ProduceSummary()
    producer = _producer(bootstrap)
    progress = on_progress or (lambda _n: None)
    records = read(path, fmt, config or SourceConfig(), table or TableMapping())
    for number, record in records:
        if isinstance(record, Skipped):
            summary.skipped[record.reason] += 1
            continue
        try:
            if isinstance(record, Invalid):
                raise InvalidEvent(record.reason)
            event = event_from_record(record, now_ms=now_ms, max_skew_ms=max_skew_ms, search=search)
        except InvalidEvent as exc:
            summary.bad.append(BadLine(number, exc.reason))
            continue
        _send(producer, topic, event.customer_id.encode(), event_to_json(event))
        summary.produced += 1
        if summary.produced % 5000 == 0:
            producer.poll(0)
            progress(summary.produced)
    _flush(producer)
    progress(summary.produced)
    return summary


def produce_events(
    events: Iterable[Mapping[str, Any]],
    bootstrap: str,
    topic: str,
    on_progress: Callable[[int], None] | None = None,
    search: SearchRules = DEFAULT_SEARCH,
) -> int:
    """Produce already-valid event dicts (e.g. the simulator's) as they are, but a search's
    query in its stored form: no query text reaches the topic unredacted."""
    producer = _producer(bootstrap)
    progress = on_progress or (lambda _n: None)
    count = 0
    for given in events:
        event = given
        if given.get("event_type") == EventType.SEARCH.value and isinstance(given["query"], str):
            event = {**given, "query": search.text.stored(given["query"])}
        _send(producer, topic, str(event["customer_id"]).encode(), orjson.dumps(event))
        count += 1
        if count % 5000 == 0:
            producer.poll(0)
            progress(count)
    _flush(producer)
    progress(count)
    return count


def produce_pages(pages: Iterable[Mapping[str, Any]], bootstrap: str, topic: str) -> int:
    """The site catalog, keyed by page id (the topic is compacted)."""
    producer = _producer(bootstrap)
    count = 0
    for page in pages:
        _send(producer, topic, str(page["page_id"]).encode(), orjson.dumps(page))
        count += 1
    _flush(producer)
    return count


def _flush(producer: Producer) -> None:
    remaining = producer.flush(120)
    if remaining:
        raise RuntimeError(f"Kafka did not acknowledge {remaining} records")
