"""The ingest worker: a consumer-group member that writes click batches into the graph.

Offsets are committed only after the Neo4j transaction of the batch (and the
dead letters of the batch) succeeded, and a batch is idempotent, so a crash at
any point followed by a restart yields exactly the graph of an uninterrupted run.
"""

from __future__ import annotations

import gc
import logging
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from types import FrameType
from typing import TypeVar

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition
from neo4j.exceptions import ConstraintError

from graph_model.errors import RETRYABLE
from graph_model.page.record import CatalogEntry
from graph_model.page.store import CatalogSink
from graph_model.path.record import Click
from graph_model.path.store import PathSink
from ingest.batch import PathRules, apply_batch
from ingest.catalog import parse_page
from ingest.checkpoint import Checkpoint, next_offsets
from ingest.dead_letters import DeadLetter, DeadLetterWriter
from ingest.errors import KafkaUnavailableError
from ingest.events import InvalidEvent, event_from_record, parse_event
from ingest.topics import dlq_topic, ensure_topics

log = logging.getLogger("ingest")
_T = TypeVar("_T")

_ASSIGNMENT_GRACE_S = 30.0
# Neo4j or Kafka down or restarting: wait and retry the same batch, never skip it.
_UNREACHABLE = (*RETRYABLE, KafkaException, KafkaUnavailableError)


@dataclass(frozen=True)
class IngestConfig:
    bootstrap: str
    topic: str
    pages_topic: str | None
    group: str
    rules: PathRules
    batch_size: int
    partitions: int  # of topics the worker creates
    until_idle_s: float | None = None
    batch_wait_s: float = 0.5
    max_backoff_s: float = 30.0
    # Foreign records (`ingest --format`): a raw value to our event record, None to skip it
    # (no dead letter); raises InvalidEvent. None: values are our event JSON.
    decode: Callable[[bytes | None], Mapping[str, object] | None] | None = None


@dataclass
class IngestStats:
    consumed: int = 0
    clicks: int = 0
    pages: int = 0
    dead_letters: int = 0
    batches: int = 0
    clicks_created: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started


@dataclass
class _Parsed:
    clicks: list[Click] = field(default_factory=list)
    sources: list[Message] = field(default_factory=list)  # the record of each click
    pages: list[CatalogEntry] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)


@dataclass(frozen=True)
class IngestSinks:
    """Where the worker writes: the paths, the catalog, and the schema they need."""

    paths: PathSink
    catalog: CatalogSink
    ensure_schema: Callable[[], None]


class IngestWorker:
    def __init__(
        self,
        config: IngestConfig,
        sinks: IngestSinks,
        on_batch: Callable[[IngestStats], None] | None = None,
    ) -> None:
        self.config = config
        self.sinks = sinks
        self.on_batch = on_batch or (lambda _s: None)
        self._stopping = False

    def stop(self, *_: object) -> None:
        """Finish the batch in hand, commit it, and exit."""
        self._stopping = True

    def run(self) -> IngestStats:
        c = self.config
        ensure_topics(c.bootstrap, c.topic, c.pages_topic, c.partitions)
        self._with_retry(self.sinks.ensure_schema)
        consumer = Consumer(
            {
                "bootstrap.servers": c.bootstrap,
                "group.id": c.group,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                # A long Neo4j outage must not cost the partitions: we keep retrying.
                "max.poll.interval.ms": 3_600_000,
                # A crashed worker's partitions move to the others after 10 s, not 45 s.
                "session.timeout.ms": 10_000,
            }
        )
        dead_letters = DeadLetterWriter(c.bootstrap)
        # The idle clock starts once partitions are assigned: after a crash the group
        # may hold them for a dead member until its session times out.
        assigned: list[float] = []

        def on_assign(_consumer: Consumer, _partitions: list[TopicPartition]) -> None:
            assigned.append(time.monotonic())

        stats = IngestStats()
        pipeline = Checkpoint(consumer, lambda: self.on_batch(stats))
        consumer.subscribe(
            [c.topic] + ([c.pages_topic] if c.pages_topic else []),
            on_assign=on_assign,
            # Partitions leave only with their written batch committed.
            on_revoke=lambda _consumer, _partitions: pipeline.drain(),
        )
        previous = _install_signal_handlers(self.stop)
        collector = _tune_gc()
        started = time.monotonic()
        try:
            while not self._stopping:
                messages = consumer.consume(num_messages=c.batch_size, timeout=c.batch_wait_s)
                records = [m for m in messages if m.error() is None]
                for m in messages:
                    if m.error() is not None:
                        log.warning("kafka: %s", m.error())
                if not records:
                    pipeline.drain()
                    if self._idle(assigned, started):
                        break
                    continue
                assigned.append(time.monotonic())
                parsed = self._parse(records)
                # Batch N+1 was consumed and parsed while batch N was written; batches are
                # still written one at a time, in order, so N+1 reads what N wrote.
                pipeline.drain()
                pipeline.submit(
                    partial(self._write, parsed, len(records), dead_letters, stats),
                    next_offsets(records),
                )
            pipeline.drain()
        finally:
            # On an error the batch in flight is not committed: a restart replays it.
            pipeline.close()
            _restore_signal_handlers(previous)
            _restore_gc(collector)
            consumer.close()
        return stats

    def _idle(self, assigned: list[float], started: float) -> bool:
        """`--until-idle`: no record for S seconds since the assignment or the last record."""
        limit = self.config.until_idle_s
        if limit is None:
            return False
        now = time.monotonic()
        if assigned:
            return now - assigned[-1] >= limit
        # Never assigned (e.g. more workers than partitions): give up after a session timeout.
        return now - started >= limit + _ASSIGNMENT_GRACE_S

    def _write(
        self, parsed: _Parsed, consumed: int, dead_letters: DeadLetterWriter, stats: IngestStats
    ) -> None:
        """One batch into the DLQ and the graph (runs on the pipeline's writer thread)."""
        stats.consumed += consumed
        stats.dead_letters += len(parsed.dead)
        stats.pages += len(parsed.pages)
        stats.clicks += len(parsed.clicks)
        stats.batches += 1
        self._send_dead(dead_letters, parsed.dead)
        if parsed.pages:
            self._with_retry(lambda: self.sinks.catalog.upsert(parsed.pages))
        if parsed.clicks:
            stats.clicks_created += self._apply_clicks(parsed, dead_letters)

    def _parse(self, records: list[Message]) -> _Parsed:
        out = _Parsed()
        now_ms = int(time.time() * 1000)
        for m in records:
            topic = m.topic() or ""
            try:
                if topic == self.config.pages_topic:
                    out.pages.append(parse_page(m.value()))
                else:
                    click = self._click(m, now_ms)
                    if click is not None:
                        out.clicks.append(click)
                        out.sources.append(m)
            except InvalidEvent as exc:
                out.dead.append(_dead_letter(m, exc.reason))
        return out

    def _click(self, m: Message, now_ms: int) -> Click | None:
        seq = int(m.offset() or 0)
        if self.config.decode is None:
            return parse_event(m.value(), now_ms=now_ms, seq=seq)
        record = self.config.decode(m.value())
        return None if record is None else event_from_record(record, now_ms=now_ms, seq=seq)

    def _apply_clicks(self, parsed: _Parsed, dead_letters: DeadLetterWriter) -> int:
        """Write the batch's clicks; a click whose event key another customer's click already
        has goes to the DLQ (the key is unique graph-wide), the rest is written."""
        # Clashes are rare: find them only when the unique key constraint says there is one.
        clicks = list(zip(parsed.clicks, parsed.sources, strict=True))
        while True:
            try:
                return self._write_clicks([c for c, _ in clicks]) if clicks else 0
            except ConstraintError:
                stored = self._click_owners([c.key for c, _ in clicks])
                owners = _key_owners(stored, [c for c, _ in clicks])
                clashes = [m for c, m in clicks if owners[c.key] != c.customer_id]
                if not clashes:
                    raise
                self._send_dead(dead_letters, [_dead_letter(m, _CLASH) for m in clashes])
                clicks = [(c, m) for c, m in clicks if owners[c.key] == c.customer_id]

    def _send_dead(self, writer: DeadLetterWriter, letters: list[DeadLetter]) -> None:
        self._with_retry(lambda: writer.write(letters))

    def _click_owners(self, keys: list[str]) -> dict[str, str]:
        return self._with_retry(lambda: self.sinks.paths.click_owners(keys))

    def _write_clicks(self, clicks: list[Click]) -> int:
        rules = self.config.rules
        sink = self.sinks.paths
        return self._with_retry(lambda: apply_batch(sink, clicks, rules)).clicks_created

    def _with_retry(self, action: Callable[[], _T]) -> _T:
        delay = 1.0
        while True:
            try:
                return action()
            except _UNREACHABLE as exc:
                log.warning(
                    "unreachable (%s: %s); retrying the same batch in %.0fs, nothing is skipped",
                    type(exc).__name__,
                    str(exc).splitlines()[0] if str(exc) else "",
                    delay,
                )
                time.sleep(delay)
                delay = min(delay * 2, self.config.max_backoff_s)


_CLASH = "event key already used by another customer's click (event_id must be unique)"


def _dead_letter(m: Message, reason: str) -> DeadLetter:
    topic = m.topic() or ""
    return DeadLetter(
        topic=dlq_topic(topic),
        key=m.key() if isinstance(m.key(), bytes) else None,
        value=m.value() if isinstance(m.value(), bytes) else None,
        reason=reason,
        source_topic=topic,
        source_partition=int(m.partition() or 0),
        source_offset=int(m.offset() or 0),
    )


def _key_owners(stored: dict[str, str], clicks: list[Click]) -> dict[str, str]:
    """Who owns each event key: the stored click's customer, else the batch's first user."""
    owners = dict(stored)
    for click in clicks:
        owners.setdefault(click.key, click.customer_id)
    return owners


def _tune_gc() -> tuple[int, int, int]:
    """Keep Python's cycle collector from rescanning the whole process during ingest.

    A batch allocates hundreds of thousands of short-lived, acyclic objects. With the default
    threshold (700) that set off a full collection over everything the process had imported
    every few batches: about 1 s per 100k events. Objects alive now (modules, settings) are
    frozen out of collections, and the youngest generation is collected every 50,000
    allocations; collection still runs, so memory stays bounded.
    """
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(previous[0], 50_000), previous[1], previous[2])
    return previous


def _restore_gc(previous: tuple[int, int, int]) -> None:
    gc.set_threshold(*previous)
    gc.unfreeze()


_Handler = Callable[[int, FrameType | None], object] | int | None


def _install_signal_handlers(stop: Callable[..., None]) -> dict[int, _Handler]:
    previous: dict[int, _Handler] = {}
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            previous[sig] = signal.signal(sig, stop)
        except ValueError:  # not the main thread (tests): no handlers
            break
    return previous


def _restore_signal_handlers(previous: dict[int, _Handler]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)
