"""The ingest worker: a consumer-group member that writes click batches into the graph.

Offsets are committed only after the Neo4j transaction of the batch (and the
dead letters of the batch) succeeded, and a batch is idempotent, so a crash at
any point followed by a restart yields exactly the graph of an uninterrupted run.

No record stops it: invalid ones, and valid ones the batch rejects (a reused event id, a
click too late, a click the graph refuses), go to the DLQ and the rest is written. No outage
does either: Kafka and Neo4j outages are waited out alike (outages.py). SIGTERM/SIGINT stop
it in every state. `--until-idle`: idle.py; what a batch read of each partition, for the
watermark: offsets.py.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from confluent_kafka import (
    Consumer,
    KafkaException,
    Message,
    TopicPartition,
)

from graph_model.assist.record import Announcement
from graph_model.page.record import CatalogEntry
from graph_model.page.store import CatalogSink
from graph_model.path.record import Click
from graph_model.path.store import PathSink
from graph_model.path.watermark import Reading
from ingest.announce import Announcer, AssistSinks
from ingest.assist import Source
from ingest.batch import TOO_LATE, BatchOutcome, apply_batch
from ingest.catalog import parse_page, received_ms
from ingest.checkpoint import Checkpoint, next_offsets
from ingest.dead_letters import DeadLetter, DeadLetterWriter, dead_letter
from ingest.errors import (
    KafkaRefusedError,
    KafkaUnavailableError,
    StopRequested,
    describe,
    is_transient,
    refuses_consumer,
)
from ingest.events import InvalidEvent, Limits, event_from_record, parse_event
from ingest.idle import IdleWatch
from ingest.kafka_client import properties
from ingest.kafka_reports import ConsumerErrors, LibrdkafkaLog, quiet
from ingest.offsets import TopicOffsets, batch_marks, unread
from ingest.outages import Outages
from ingest.poison import isolate, refused_reason
from ingest.process import install_signal_handlers, restore_gc, restore_signal_handlers, tune_gc
from ingest.search import DEFAULT_SEARCH, Redactor, SearchRules
from ingest.topics import ensure_topic, ensure_topics

log = logging.getLogger("ingest")

# A batch that takes longer than this to write is logged with where its time went.
SLOW_BATCH_S = 1.0


@dataclass(frozen=True)
class IngestConfig:
    bootstrap: str
    topic: str
    pages_topic: str | None
    group: str
    batch_size: int
    partitions: int  # of topics the worker creates
    until_idle_s: float | None = None
    batch_wait_s: float = 0.5
    max_backoff_s: float = 30.0
    limits: Limits = field(default_factory=Limits)  # what validation accepts
    # Foreign records (`ingest --format`): a raw value to our event record, None to skip it
    # (no dead letter); raises InvalidEvent. None: values are our event JSON.
    decode: Callable[[bytes | None], Mapping[str, object] | None] | None = None
    fault: Callable[[str], None] | None = None  # tests: at `write` and `written` (faults.py)
    # Searches: their page and stored text, and the queries kept out of dead letters.
    search: SearchRules = DEFAULT_SEARCH
    redactor: Redactor = field(default_factory=Redactor)


@dataclass
class IngestStats:
    consumed: int = 0
    clicks: int = 0  # valid clicks the graph took (new ones and duplicates)
    pages: int = 0
    dead_letters: int = 0  # every dead letter written, whatever its reason
    too_late: int = 0  # of them, clicks too late (docs/paths.md, "Allowed lateness")
    batches: int = 0
    clicks_created: int = 0
    forgotten: int = 0  # events of forgotten customers, skipped (docs/forget.md)
    clicks_compacted: int = 0  # Click nodes retention compacted beside the batches
    # Records of the click topic the group has not committed (last seen; None: unknown).
    unread: int | None = None
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
    records: list[Message] = field(default_factory=list)  # every click topic record
    times: dict[int, int] = field(default_factory=dict)  # id() of a record -> its event time


@dataclass
class _Written:
    """What a batch's graph write did, and the dead letters of the clicks it rejected."""

    created: int = 0
    compacted: int = 0
    forgotten: int = 0
    letters: list[tuple[DeadLetter, str]] = field(default_factory=list)  # with their reasons
    announced: list[Announcement] = field(default_factory=list)


@dataclass(frozen=True)
class IngestSinks:
    """Where the worker writes: the paths, the catalog, and the schema they need."""

    paths: PathSink
    catalog: CatalogSink
    ensure_schema: Callable[[], None]
    assist: AssistSinks | None = None  # live assist (docs/assist.md); None: off


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
        self._outages = Outages(log, config.max_backoff_s)
        self._announcer: Announcer | None = None

    def stop(self, *_: object) -> None:
        """Finish and commit the batch being written (unless it waits out an outage, then
        leave it uncommitted), write no other, and exit."""
        self._outages.stop()

    def run(self) -> IngestStats:
        stats = IngestStats()
        previous = install_signal_handlers(self.stop)
        try:
            self._run(stats)
        except StopRequested:
            log.warning(
                "stopped while waiting out an outage: the batch in hand is not committed; "
                "a restart replays it"
            )
        finally:
            restore_signal_handlers(previous)
        return stats

    def _run(self, stats: IngestStats) -> None:
        c = self.config
        ensure_topics(c.bootstrap, c.topic, c.pages_topic, c.partitions, quiet())
        self._outages.retry(self.sinks.ensure_schema, "the schema check")
        errors = ConsumerErrors()
        consumer = Consumer(
            {
                "bootstrap.servers": c.bootstrap,
                "group.id": c.group,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                # A long Neo4j outage must not cost the partitions: we keep retrying.
                "max.poll.interval.ms": 3_600_000,
                # A crashed worker's partitions move to the others after 10 s, not 45 s; it
                # also bounds a blocking commit while the broker is away to 10 s.
                "session.timeout.ms": 10_000,
                "error_cb": errors.report,
                "logger": LibrdkafkaLog(),
                **properties(),  # the cluster's TLS and SASL (docs/security.md)
            }
        )
        # Its delivery reports carry the errors that matter to it.
        dead_letters = DeadLetterWriter(c.bootstrap, quiet())
        assist = self.sinks.assist
        if assist is not None:
            ensure_topic(c.bootstrap, assist.topic, c.partitions, quiet())
            self._announcer = Announcer(c.bootstrap, assist.topic, assist.outbox, quiet())
        kafka: dict[str, Any] = {"bootstrap.servers": c.bootstrap, **quiet()}
        probe = Consumer({**kafka, "group.id": c.group, "enable.auto.commit": False})
        topics = [c.topic] + ([c.pages_topic] if c.pages_topic else [])
        offsets = {topic: TopicOffsets(probe, topic) for topic in topics}
        clicks = offsets[c.topic]
        watch = IdleWatch(c.until_idle_s or 0.0, offsets, c.topic, kafka, c.group)

        def on_committed() -> None:
            errors.take()  # Kafka answered: what it reported before is over
            watch.activity()  # a batch written, however slowly, is no idle time
            self.on_batch(stats)

        pipeline = Checkpoint(consumer, self._outages, on_committed)

        def on_assign(_consumer: Consumer, partitions: list[TopicPartition]) -> None:
            watch.member_id = consumer.memberid()
            watch.assigned(partitions)
            if self._announcer is not None:  # what a previous owner left undelivered
                mine = [tp.partition for tp in partitions if tp.topic == c.topic]
                self._announcer.recover(c.topic, mine, self._outages.retry)

        def on_revoke(_consumer: Consumer, _partitions: list[TopicPartition]) -> None:
            # Partitions leave only with their written batch committed (or, when the group
            # already gave them away, its commit dropped: their next owner replays it).
            watch.revoked()
            pipeline.drain()

        consumer.subscribe(topics, on_assign=on_assign, on_revoke=on_revoke, on_lost=on_revoke)
        collector = tune_gc()
        try:
            self._loop(consumer, errors, pipeline, dead_letters, stats, watch, clicks)
            ends = clicks.ends()
            stats.unread = unread(ends) if ends else None
        finally:
            # On an error or a stop the batch in flight is not committed: a restart replays it.
            pipeline.close()
            # The retention step in flight, briefly: a stop keeps its 30 s (the step rolls
            # back if the process leaves first).
            self.sinks.paths.settle(timeout_s=5.0)
            restore_gc(collector)
            consumer.close()
            probe.close()
            dead_letters.close()
            if self._announcer is not None:
                self._announcer.close()

    def _loop(
        self,
        consumer: Consumer,
        errors: ConsumerErrors,
        pipeline: Checkpoint,
        dead_letters: DeadLetterWriter,
        stats: IngestStats,
        watch: IdleWatch,
        clicks: TopicOffsets,
    ) -> None:
        c = self.config
        outage = None
        while not self._outages.stop_requested():
            messages = self._consume(consumer)
            records = [m for m in messages if m.error() is None]
            problems = [e for m in messages if (e := m.error()) is not None] + errors.take()
            refused = [e for e in problems if refuses_consumer(e)]
            if refused:
                raise KafkaRefusedError(f"consumer: {describe(refused[0])}")
            if not records:
                pipeline.drain()
                if problems:
                    # Kafka is away: whether the topic is idle cannot be told, so the idle
                    # clock does not run.
                    watch.activity()
                    outage = outage or self._outages.delays()
                    failure = KafkaUnavailableError(f"consumer: {describe(problems[-1])}")
                    self._outages.wait(failure, "the fetch", next(outage))
                elif c.until_idle_s is not None and watch.idle():
                    break
                continue
            outage = None
            watch.activity()
            parsed = self._parse(records)
            reading = self._reading(parsed, clicks, stats)
            # Batch N+1 was consumed and parsed while batch N was written; batches are
            # still written one at a time, in order, so N+1 reads what N wrote.
            pipeline.drain()
            if self._outages.stop_requested():
                break  # consumed, not written, not committed: a restart reads it again
            pipeline.submit(
                partial(self._write, parsed, reading, len(records), dead_letters, stats),
                next_offsets(records),
            )
        pipeline.drain()
        if self._outages.stop_requested():
            log.info("stopped by a signal; every batch written is committed")

    def _consume(self, consumer: Consumer) -> list[Message]:
        c = self.config
        try:
            return consumer.consume(num_messages=c.batch_size, timeout=c.batch_wait_s)
        except KafkaException as exc:
            error = exc.args[0]
            if not is_transient(error):
                raise KafkaRefusedError(f"consumer: {describe(error)}") from None
            # Reported again by the next call while it lasts: the loop waits it out.
            log.debug("consume: %s", describe(error))
            return []

    def _reading(self, parsed: _Parsed, clicks: TopicOffsets, stats: IngestStats) -> Reading | None:
        """What the batch read of the click topic, with every partition's offsets as Kafka
        has them now (graph_model/path/watermark.py); None without click topic records."""
        marks = batch_marks(parsed.records, parsed.times)
        if not marks:
            return None
        ends = clicks.ends()
        clicks.read(marks)
        if ends:
            stats.unread = unread(ends, clicks.read_to)
        ceiling = int(time.time() * 1000) + self.config.limits.max_skew_ms
        return Reading(self.config.topic, marks, ends, ceiling)

    def _write(
        self,
        parsed: _Parsed,
        reading: Reading | None,
        consumed: int,
        dead_letters: DeadLetterWriter,
        stats: IngestStats,
    ) -> None:
        """One batch into the DLQ and the graph (runs on the pipeline's writer thread)."""
        fault = self.config.fault or (lambda _step: None)
        fault("write")
        started = time.perf_counter()
        self._send_dead(dead_letters, parsed.dead, stats)
        if parsed.pages:
            self._outages.retry(lambda: self.sinks.catalog.upsert(parsed.pages))
        graph_started = time.perf_counter()
        written = self._apply_clicks(parsed, reading) if reading is not None else _Written()
        graph_s = time.perf_counter() - graph_started
        self._send_dead(dead_letters, [letter for letter, _ in written.letters], stats)
        announce_started = time.perf_counter()
        if self._announcer is not None:  # before the offset commit: see ingest/announce.py
            self._announcer.deliver(written.announced, self._outages.retry)
        announce_s = time.perf_counter() - announce_started
        total_s = time.perf_counter() - started
        # Where a slow batch's time went (the graph's transaction, the assist topic's
        # acknowledgements, the rest: dead letters and the catalog), for whoever watches
        # latency; below the threshold only at debug level.
        level = logging.INFO if total_s >= SLOW_BATCH_S else logging.DEBUG
        if log.isEnabledFor(level):
            log.log(
                level,
                "batch of %d records: %.0f ms (graph %.0f, assist %.0f, other %.0f)",
                consumed,
                total_s * 1000,
                graph_s * 1000,
                announce_s * 1000,
                (total_s - graph_s - announce_s) * 1000,
            )
        fault("written")
        stats.consumed += consumed
        stats.pages += len(parsed.pages)
        stats.clicks += len(parsed.clicks) - len(written.letters) - written.forgotten
        stats.clicks_created += written.created
        stats.forgotten += written.forgotten
        stats.clicks_compacted += written.compacted
        stats.too_late += sum(reason == TOO_LATE for _, reason in written.letters)
        stats.batches += 1

    def _parse(self, records: list[Message]) -> _Parsed:
        out = _Parsed()
        now_ms = int(time.time() * 1000)
        for m in records:
            topic = m.topic() or ""
            try:
                if topic == self.config.pages_topic:
                    out.pages.append(parse_page(m.value(), received_ms(m)))
                    continue
                out.records.append(m)
                click = self._click(m, now_ms)
                if click is not None:
                    out.clicks.append(click)
                    out.sources.append(m)
                    out.times[id(m)] = click.ts_ms
            except InvalidEvent as exc:
                out.dead.append(self._dead_letter(m, exc.reason))
        return out

    def _dead_letter(self, m: Message, reason: str) -> DeadLetter:
        """Its original bytes, but any query in them redacted (docs/events.md)."""
        return dead_letter(m, reason, redact=self.config.redactor.record)

    def _click(self, m: Message, now_ms: int) -> Click | None:
        seq, limits, search = int(m.offset() or 0), self.config.limits, self.config.search
        if self.config.decode is None:
            return parse_event(m.value(), now_ms=now_ms, seq=seq, limits=limits, search=search)
        record = self.config.decode(m.value())
        if record is None:
            return None
        return event_from_record(record, now_ms=now_ms, seq=seq, limits=limits, search=search)

    def _apply_clicks(self, parsed: _Parsed, reading: Reading) -> _Written:
        """Write the batch's clicks and its partitions' high marks; the clicks it rejects or
        the graph refuses become dead letters (returned, with their reasons), the rest is
        written (with the at-risk changes it announces); also how many were skipped as
        events of forgotten customers."""
        sink, assist = self.sinks.paths, self.sinks.assist
        # Rejections name the Click objects of `parsed`; their records are found by identity.
        source = {id(c): m for c, m in zip(parsed.clicks, parsed.sources, strict=True)}
        origins: dict[str, Source] = {
            c.customer_id: (m.topic() or "", int(m.partition() or 0))
            for c, m in zip(parsed.clicks, parsed.sources, strict=True)
        }
        out = _Written()

        def apply(part: Sequence[Click]) -> BatchOutcome:
            # The scorer reads the latest analysis: inside the retry, as the write.
            assess = assist.assessor.for_batch(origins) if assist is not None else None
            return apply_batch(sink, part, assess, reading)

        def write(part: Sequence[Click]) -> None:
            outcome = self._outages.retry(lambda: apply(part))
            out.created += outcome.result.clicks_created
            out.compacted += outcome.result.clicks_compacted
            out.forgotten += outcome.forgotten
            out.announced.extend(outcome.result.announcements)
            for r in outcome.rejected:
                out.letters.append((self._dead_letter(source[id(r.click)], r.reason), r.reason))

        if not parsed.clicks:  # its records were all invalid: the marks move all the same
            write([])
            return out
        refused = isolate(parsed.clicks, write, refused_reason)
        if refused:
            log.warning(
                "%d click(s) refused by the graph, sent to the dead-letter topic (%s)",
                len(refused),
                refused[0][1],
            )
        out.letters.extend((self._dead_letter(source[id(c)], why), why) for c, why in refused)
        return out

    def _send_dead(
        self, writer: DeadLetterWriter, letters: list[DeadLetter], stats: IngestStats
    ) -> None:
        """Send, and wait out the acknowledgements: a batch commits only after them."""
        if not letters:
            return
        delivery = writer.deliver(letters)
        self._outages.retry(delivery.wait)
        stats.dead_letters += delivery.count
