"""The ingest worker: a consumer-group member that writes click batches into the graph.

Offsets are committed only after the Neo4j transaction of the batch (and the
dead letters of the batch) succeeded, and a batch is idempotent, so a crash at
any point followed by a restart yields exactly the graph of an uninterrupted run.

No record stops it: invalid ones, and valid ones the batch rejects (a reused event id, a
key another customer holds, a click the graph refuses), go to the DLQ and the rest is
written. No outage does either: Kafka and Neo4j outages are waited out alike (outages.py).
SIGTERM/SIGINT stop it in every state.
"""

from __future__ import annotations

import gc
import logging
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import FrameType

from confluent_kafka import (
    TIMESTAMP_NOT_AVAILABLE,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    TopicPartition,
)
from neo4j.exceptions import ConstraintError

from graph_model.assist.record import Announcement
from graph_model.page.record import CatalogEntry
from graph_model.page.store import CatalogSink
from graph_model.path.record import Click
from graph_model.path.store import PathSink
from ingest.announce import Announcer, AssistSinks
from ingest.assist import Source
from ingest.batch import BatchOutcome, PathRules, apply_batch, key_clashes
from ingest.catalog import parse_page
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
from ingest.events import DEFAULT_MAX_CLOCK_SKEW_S, InvalidEvent, event_from_record, parse_event
from ingest.kafka_client import properties
from ingest.outages import Outages
from ingest.poison import isolate, refused_reason
from ingest.search import DEFAULT_SEARCH, Redactor, SearchRules
from ingest.topics import ensure_topic, ensure_topics

log = logging.getLogger("ingest")
# librdkafka's own lines (one per failed connection attempt, dozens per outage) go here at
# DEBUG: the worker reports an outage itself, one line per retry.
_librdkafka_log = logging.getLogger("ingest.librdkafka")

_ASSIGNMENT_GRACE_S = 30.0
# A batch that takes longer than this to write is logged with where its time went.
SLOW_BATCH_S = 1.0


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
    max_clock_skew_ms: int = round(DEFAULT_MAX_CLOCK_SKEW_S * 1000)
    # Foreign records (`ingest --format`): a raw value to our event record, None to skip it
    # (no dead letter); raises InvalidEvent. None: values are our event JSON.
    decode: Callable[[bytes | None], Mapping[str, object] | None] | None = None
    # Searches: their page and stored text, and the queries kept out of dead letters.
    search: SearchRules = DEFAULT_SEARCH
    redactor: Redactor = field(default_factory=Redactor)


@dataclass
class IngestStats:
    consumed: int = 0
    clicks: int = 0  # valid clicks the graph took (new ones and duplicates)
    pages: int = 0
    dead_letters: int = 0  # every dead letter written, whatever its reason
    batches: int = 0
    clicks_created: int = 0
    forgotten: int = 0  # events of forgotten customers, skipped (docs/forget.md)
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
    assist: AssistSinks | None = None  # live assist (docs/assist.md); None: off


class _LibrdkafkaLog:
    """What librdkafka logs, at DEBUG (confluent-kafka calls `log(level, fmt, *args)`)."""

    def log(self, _level: int, fmt: str, *args: object) -> None:
        _librdkafka_log.debug(fmt, *args)


def _quiet() -> dict[str, object]:
    """Client settings for a Kafka client whose own errors and logs the worker does not need."""
    return {**properties(), "error_cb": lambda _error: None, "logger": _LibrdkafkaLog()}


class _ConsumerErrors:
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


class _IdleClock:
    """`--until-idle S`: S seconds without a record while the worker holds partitions. Without
    partitions (not assigned yet, or lost in an outage) it waits S + 30 s: after a crash or
    a broker restart the group may hold them for a dead member until its session times out.
    An outage counts as activity: whether the topic is idle cannot be told meanwhile."""

    def __init__(self) -> None:
        self._since = time.monotonic()
        self._holding = False

    def activity(self) -> None:
        self._since = time.monotonic()

    def holding(self, partitions: bool) -> None:
        self._holding = partitions
        self.activity()

    def idle(self, limit_s: float) -> bool:
        grace = 0.0 if self._holding else _ASSIGNMENT_GRACE_S
        return time.monotonic() - self._since >= limit_s + grace


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
        previous = _install_signal_handlers(self.stop)
        try:
            self._run(stats)
        except StopRequested:
            log.warning(
                "stopped while waiting out an outage: the batch in hand is not committed; "
                "a restart replays it"
            )
        finally:
            _restore_signal_handlers(previous)
        return stats

    def _run(self, stats: IngestStats) -> None:
        c = self.config
        ensure_topics(c.bootstrap, c.topic, c.pages_topic, c.partitions, _quiet())
        self._outages.retry(self.sinks.ensure_schema, "the schema check")
        errors = _ConsumerErrors()
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
                "logger": _LibrdkafkaLog(),
                **properties(),  # the cluster's TLS and SASL (docs/security.md)
            }
        )
        # Its delivery reports carry the errors that matter to it.
        dead_letters = DeadLetterWriter(c.bootstrap, _quiet())
        assist = self.sinks.assist
        if assist is not None:
            ensure_topic(c.bootstrap, assist.topic, c.partitions, _quiet())
            self._announcer = Announcer(c.bootstrap, assist.topic, assist.outbox, _quiet())
        clock = _IdleClock()

        def on_committed() -> None:
            errors.take()  # Kafka answered: what it reported before is over
            self.on_batch(stats)

        pipeline = Checkpoint(consumer, self._outages, on_committed)

        def on_assign(_consumer: Consumer, partitions: list[TopicPartition]) -> None:
            clock.holding(bool(partitions))
            if self._announcer is not None:  # what a previous owner left undelivered
                mine = [tp.partition for tp in partitions if tp.topic == c.topic]
                self._announcer.recover(c.topic, mine, self._outages.retry)

        def on_revoke(_consumer: Consumer, _partitions: list[TopicPartition]) -> None:
            # Partitions leave only with their written batch committed (or, when the group
            # already gave them away, its commit dropped: their next owner replays it).
            clock.holding(False)
            pipeline.drain()

        consumer.subscribe(
            [c.topic] + ([c.pages_topic] if c.pages_topic else []),
            on_assign=on_assign,
            on_revoke=on_revoke,
            on_lost=on_revoke,
        )
        collector = _tune_gc()
        try:
            self._loop(consumer, errors, pipeline, dead_letters, stats, clock)
        finally:
            # On an error or a stop the batch in flight is not committed: a restart replays it.
            pipeline.close()
            # The retention step in flight, briefly: a stop keeps its 30 s (the step rolls
            # back if the process leaves first).
            self.sinks.paths.settle(timeout_s=5.0)
            _restore_gc(collector)
            consumer.close()
            dead_letters.close()
            if self._announcer is not None:
                self._announcer.close()

    def _loop(
        self,
        consumer: Consumer,
        errors: _ConsumerErrors,
        pipeline: Checkpoint,
        dead_letters: DeadLetterWriter,
        stats: IngestStats,
        clock: _IdleClock,
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
                    clock.activity()
                    outage = outage or self._outages.delays()
                    failure = KafkaUnavailableError(f"consumer: {describe(problems[-1])}")
                    self._outages.wait(failure, "the fetch", next(outage))
                elif c.until_idle_s is not None and clock.idle(c.until_idle_s):
                    break
                continue
            outage = None
            clock.activity()
            parsed = self._parse(records)
            # Batch N+1 was consumed and parsed while batch N was written; batches are
            # still written one at a time, in order, so N+1 reads what N wrote.
            pipeline.drain()
            if self._outages.stop_requested():
                break  # consumed, not written, not committed: a restart reads it again
            pipeline.submit(
                partial(self._write, parsed, len(records), dead_letters, stats),
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

    def _write(
        self, parsed: _Parsed, consumed: int, dead_letters: DeadLetterWriter, stats: IngestStats
    ) -> None:
        """One batch into the DLQ and the graph (runs on the pipeline's writer thread)."""
        started = time.perf_counter()
        self._send_dead(dead_letters, parsed.dead, stats)
        if parsed.pages:
            self._outages.retry(lambda: self.sinks.catalog.upsert(parsed.pages))
        graph_started = time.perf_counter()
        created, rejected, announced, forgotten = (
            self._apply_clicks(parsed) if parsed.clicks else (0, [], [], 0)
        )
        graph_s = time.perf_counter() - graph_started
        self._send_dead(dead_letters, rejected, stats)
        announce_started = time.perf_counter()
        if self._announcer is not None:  # before the offset commit: see ingest/announce.py
            self._announcer.deliver(announced, self._outages.retry)
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
        stats.consumed += consumed
        stats.pages += len(parsed.pages)
        stats.clicks += len(parsed.clicks) - len(rejected) - forgotten
        stats.clicks_created += created
        stats.forgotten += forgotten
        stats.batches += 1

    def _parse(self, records: list[Message]) -> _Parsed:
        out = _Parsed()
        now_ms = int(time.time() * 1000)
        for m in records:
            topic = m.topic() or ""
            try:
                if topic == self.config.pages_topic:
                    out.pages.append(parse_page(m.value(), _received_ms(m)))
                else:
                    click = self._click(m, now_ms)
                    if click is not None:
                        out.clicks.append(click)
                        out.sources.append(m)
            except InvalidEvent as exc:
                out.dead.append(self._dead_letter(m, exc.reason))
        return out

    def _dead_letter(self, m: Message, reason: str) -> DeadLetter:
        """Its original bytes, but any query in them redacted (docs/events.md)."""
        return dead_letter(m, reason, redact=self.config.redactor.record)

    def _click(self, m: Message, now_ms: int) -> Click | None:
        seq, skew = int(m.offset() or 0), self.config.max_clock_skew_ms
        search = self.config.search
        if self.config.decode is None:
            return parse_event(m.value(), now_ms=now_ms, seq=seq, max_skew_ms=skew, search=search)
        record = self.config.decode(m.value())
        if record is None:
            return None
        return event_from_record(record, now_ms=now_ms, seq=seq, max_skew_ms=skew, search=search)

    def _apply_clicks(
        self, parsed: _Parsed
    ) -> tuple[int, list[DeadLetter], list[Announcement], int]:
        """Write the batch's clicks; the ones it rejects or the graph refuses become dead
        letters (returned), the rest is written (with the at-risk changes it announces);
        also how many were skipped as events of forgotten customers."""
        rules, sink, assist = self.config.rules, self.sinks.paths, self.sinks.assist
        # Rejections name the Click objects of `parsed`; their records are found by identity.
        source = {id(c): m for c, m in zip(parsed.clicks, parsed.sources, strict=True)}
        origins: dict[str, Source] = {
            c.customer_id: (m.topic() or "", int(m.partition() or 0))
            for c, m in zip(parsed.clicks, parsed.sources, strict=True)
        }
        created = forgotten = 0
        letters: list[DeadLetter] = []
        announced: list[Announcement] = []

        def apply(part: Sequence[Click]) -> BatchOutcome:
            assess = assist.assessor.for_batch(origins) if assist is not None else None
            return apply_batch(sink, part, rules, assess)

        def write(part: Sequence[Click]) -> None:
            nonlocal created, forgotten
            outcome = self._outages.retry(lambda: apply(part))
            created += outcome.result.clicks_created
            forgotten += outcome.forgotten
            announced.extend(outcome.result.announcements)
            letters.extend(
                self._dead_letter(source[id(r.click)], r.reason) for r in outcome.rejected
            )

        def triage(part: Sequence[Click], error: Exception) -> Mapping[int, str]:
            # The common refusal, found in one read: a key another customer's click holds.
            if not isinstance(error, ConstraintError):
                return {}
            keys = [click.key for click in part]
            owners = self._outages.retry(lambda: sink.click_owners(keys))
            return key_clashes(part, owners)

        refused = isolate(parsed.clicks, write, refused_reason, triage)
        if refused:
            log.warning(
                "%d click(s) refused by the graph, sent to the dead-letter topic (%s)",
                len(refused),
                refused[0][1],
            )
        letters.extend(self._dead_letter(source[id(click)], reason) for click, reason in refused)
        return created, letters, announced, forgotten

    def _send_dead(
        self, writer: DeadLetterWriter, letters: list[DeadLetter], stats: IngestStats
    ) -> None:
        """Send, and wait out the acknowledgements: a batch commits only after them."""
        if not letters:
            return
        delivery = writer.deliver(letters)
        self._outages.retry(delivery.wait)
        stats.dead_letters += delivery.count


def _received_ms(m: Message) -> int | None:
    """The record's Kafka timestamp (producer or broker time), if it has one."""
    kind, ms = m.timestamp()
    return ms if kind != TIMESTAMP_NOT_AVAILABLE and ms >= 0 else None


def _tune_gc() -> tuple[int, int, int]:
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
