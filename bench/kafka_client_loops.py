"""Each Kafka client's produce and consume loops, timed and checked, for
`bench.kafka_clients`: the same work in each client's spelling.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from confluent_kafka import Consumer, Message, Producer, TopicPartition
from kafka import KafkaConsumer, KafkaProducer
from kafka import TopicPartition as KpTopicPartition
from kafka.structs import OffsetAndMetadata

from bench.report import Throughput
from ingest.checkpoint import next_offsets

PARTITIONS = 3  # like the click topic (ingest.topics)
BATCH = 5000  # the worker's poll size (`pathrank ingest --batch-size` default)
POLL_S = 0.5  # the worker's batch wait
LINGER_MS = 20  # ingest.produce
BATCH_BYTES = 1_000_000  # librdkafka's batch.size default; kafka-python's is 16 KB
STALL_S = 30.0  # no record for this long while events are missing: a lost event
CONFLUENT, KAFKA_PYTHON = "confluent-kafka", "kafka-python"

Records = Sequence[tuple[bytes, bytes]]  # (key, value), serialized before the clock starts


class BenchmarkError(RuntimeError):
    """A client lost, duplicated or failed to acknowledge events."""


@dataclass(frozen=True, slots=True)
class Sample(Throughput):
    cpu_s: float
    polls: int = 0  # consume: non-empty polls (= synchronous commits)


class _Clock:
    """Wall and process CPU time since construction."""

    def __init__(self) -> None:
        self._wall = time.perf_counter()
        self._cpu = time.process_time()

    def sample(self, events: int, polls: int = 0) -> Sample:
        return Sample(
            events, time.perf_counter() - self._wall, time.process_time() - self._cpu, polls
        )


class _Deliveries:
    """Delivery reports: successes counted, failures kept (kafka-python reports on its
    sender thread, confluent-kafka on ours inside poll/flush; only one thread writes)."""

    def __init__(self) -> None:
        self.ok = 0
        self.errors: list[str] = []

    def success(self, *_: object) -> None:
        self.ok += 1

    def failure(self, error: object) -> None:
        self.errors.append(str(error))

    def check(self, client: str, expected: int) -> None:
        if self.errors or self.ok != expected:
            raise BenchmarkError(
                f"{client} producer: {self.ok:,} of {expected:,} deliveries acknowledged, "
                f"{len(self.errors):,} failed (first: {self.errors[:1]})"
            )


def _produce_settings(client: str) -> dict[str, Any]:
    """The same delivery and batching semantics in each client's spelling."""
    if client == CONFLUENT:
        return {
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": LINGER_MS,
            "compression.type": "lz4",
            "batch.size": BATCH_BYTES,
            "queue.buffering.max.messages": 500_000,  # ingest.produce
        }
    return {
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": LINGER_MS,
        "compression_type": "lz4",
        "batch_size": BATCH_BYTES,
        # Off like librdkafka's statistics (statistics.interval.ms = 0 by default).
        "metrics_enabled": False,
    }


def produce_confluent(bootstrap: str, topic: str, records: Records) -> Sample:
    deliveries = _Deliveries()

    def on_delivery(err: object, _msg: Message) -> None:
        if err is None:
            deliveries.success()
        else:
            deliveries.failure(err)

    producer = Producer(
        {"bootstrap.servers": bootstrap, "on_delivery": on_delivery} | _produce_settings(CONFLUENT)
    )
    clock = _Clock()
    for count, (key, value) in enumerate(records, start=1):
        while True:
            try:
                producer.produce(topic, key=key, value=value)
                break
            except BufferError:  # the local queue is full: let deliveries drain
                producer.poll(0.05)
        if count % BATCH == 0:
            producer.poll(0)  # serve delivery reports as ingest.produce does
    remaining = producer.flush(120)
    sample = clock.sample(len(records))
    if remaining:
        raise BenchmarkError(f"{CONFLUENT} producer: {remaining:,} records still unacknowledged")
    deliveries.check(CONFLUENT, len(records))
    return sample


def produce_kafka_python(bootstrap: str, topic: str, records: Records) -> Sample:
    deliveries = _Deliveries()
    # kafka-python has no type hints: its objects are Any, kept inside this function.
    producer: Any = KafkaProducer(bootstrap_servers=bootstrap, **_produce_settings(KAFKA_PYTHON))
    try:
        clock = _Clock()
        for key, value in records:
            future: Any = producer.send(topic, value=value, key=key)
            future.add_callback(deliveries.success).add_errback(deliveries.failure)
        producer.flush(timeout=120)  # raises KafkaTimeoutError if records stay unacknowledged
        sample = clock.sample(len(records))
    finally:
        producer.close(timeout=10)
    deliveries.check(KAFKA_PYTHON, len(records))
    return sample


def _consumer_settings(group: str) -> dict[str, Any]:
    return {
        "group.id": group,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
    }


def consume_confluent(bootstrap: str, topic: str, expected: int) -> tuple[Sample, list[str]]:
    """The worker's loop: consume up to BATCH, decode, commit the batch's offsets, repeat."""
    consumer = Consumer({"bootstrap.servers": bootstrap} | _consumer_settings(group()))
    partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    consumer.assign(partitions)

    def batch() -> list[str]:
        messages = consumer.consume(num_messages=BATCH, timeout=POLL_S)
        records = [m for m in messages if m.error() is None]
        for m in messages:
            if m.error() is not None:
                print(f"{CONFLUENT}: {m.error()}", file=sys.stderr)
        ids = [orjson.loads(m.value() or b"")["event_id"] for m in records]
        if records:
            consumer.commit(offsets=next_offsets(records), asynchronous=False)
        return ids

    try:
        sample, ids = _consume(CONFLUENT, expected, batch)
        committed = sum(tp.offset for tp in consumer.committed(partitions, timeout=30))
    finally:
        consumer.close()
    _check_committed(CONFLUENT, committed, expected)
    return sample, ids


class _KpRecord(Protocol):
    """What the loop reads of kafka-python's ConsumerRecord."""

    offset: int
    value: bytes


def consume_kafka_python(bootstrap: str, topic: str, expected: int) -> tuple[Sample, list[str]]:
    """The same loop with kafka-python: poll(max_records=BATCH), decode, commit, repeat."""
    consumer: Any = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group(),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        metrics_enabled=False,
        check_crcs=False,  # librdkafka's check.crcs default, which the worker runs with
    )
    partitions = [KpTopicPartition(topic, p) for p in range(PARTITIONS)]
    consumer.assign(partitions)

    def batch() -> list[str]:
        polled: dict[KpTopicPartition, list[_KpRecord]] = consumer.poll(
            timeout_ms=int(POLL_S * 1000), max_records=BATCH
        )
        ids: list[str] = []
        offsets: dict[KpTopicPartition, OffsetAndMetadata] = {}
        for tp, records in polled.items():
            ids.extend(orjson.loads(r.value)["event_id"] for r in records)
            offsets[tp] = OffsetAndMetadata(records[-1].offset + 1, "", -1)
        if offsets:
            consumer.commit(offsets)  # synchronous
        return ids

    try:
        sample, ids = _consume(KAFKA_PYTHON, expected, batch)
        committed = sum(int(consumer.committed(tp) or 0) for tp in partitions)
    finally:
        consumer.close()
    _check_committed(KAFKA_PYTHON, committed, expected)
    return sample, ids


def _consume(
    client: str, expected: int, batch: Callable[[], list[str]]
) -> tuple[Sample, list[str]]:
    """Batches (each polled, decoded and committed) until `expected` events: the timed loop
    both clients share; a batch with no event is a poll that found nothing."""
    ids: list[str] = []
    polls = 0
    clock = _Clock()
    last_record = time.monotonic()
    while len(ids) < expected:
        got = batch()
        if not got:
            _check_stall(client, last_record, len(ids), expected)
            continue
        last_record = time.monotonic()
        ids.extend(got)
        polls += 1
    return clock.sample(len(ids), polls), ids


PRODUCERS: dict[str, Callable[[str, str, Records], Sample]] = {
    CONFLUENT: produce_confluent,
    KAFKA_PYTHON: produce_kafka_python,
}
CONSUMERS: dict[str, Callable[[str, str, int], tuple[Sample, list[str]]]] = {
    CONFLUENT: consume_confluent,
    KAFKA_PYTHON: consume_kafka_python,
}


def group() -> str:
    return f"bench-kafka-clients-{uuid.uuid4().hex[:8]}"


def _check_stall(client: str, last_record: float, consumed: int, expected: int) -> None:
    if time.monotonic() - last_record > STALL_S:
        raise BenchmarkError(
            f"{client} consumer: {consumed:,} of {expected:,} events, none for {STALL_S:.0f} s"
        )


def _check_committed(client: str, committed: int, expected: int) -> None:
    if committed != expected:
        raise BenchmarkError(
            f"{client} consumer: committed offsets add up to {committed:,}, not {expected:,}"
        )


def check_ids(consumer: str, producer: str, ids: list[str], expected: set[str]) -> None:
    """Each produced event id consumed exactly once."""
    seen = set(ids)
    missing, duplicated, foreign = len(expected - seen), len(ids) - len(seen), len(seen - expected)
    if missing or duplicated or foreign:
        raise BenchmarkError(
            f"{consumer} consumer on {producer}'s topic: {missing:,} events missing, "
            f"{duplicated:,} duplicated, {foreign:,} never produced"
        )
