"""Kafka clients side by side: confluent-kafka (what ingest uses) against kafka-python.

    .venv/bin/python -m bench --only kafka [--quick]

Both clients do the same work in the same run, one after the other, in rounds whose order
alternates (so that the machine's noise hits both):

- produce: the simulator's events (fixed seed; the JSON the simulator writes, key = customer
  id) into a fresh 3-partition topic, acks=all, idempotent, linger 20 ms, lz4 (ingest's
  producer settings), batches up to 1 MB; timed from the first send to the last delivery
  report (every one a success);
- consume: the worker's batch loop (ingest/worker.py) on each of the round's two topics, so
  both consumers read identical input: polls of up to 5,000 records, each value decoded with
  orjson, the batch's offsets committed synchronously after it, record CRCs unchecked (the
  worker's librdkafka default); timed from the first poll to the commit of the last event.
  Partitions are assigned, not subscribed: the group join is a broker-side delay
  (group.initial.rebalance.delay.ms) that would swamp the clients' costs.

CPU = time.process_time() of this process (every thread, so librdkafka's and kafka-python's
background threads count), not the broker's. Fails if a client loses or duplicates an event:
every topic must hold exactly the events produced (end offsets) and every consumer must return
each event id once. Creates and deletes its own topics in the Kafka it talks to.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version

import orjson
from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from bench.kafka_client_loops import (
    BATCH,
    CONFLUENT,
    CONSUMERS,
    KAFKA_PYTHON,
    LINGER_MS,
    PARTITIONS,
    PRODUCERS,
    BenchmarkError,
    Records,
    Sample,
    check_ids,
    group,
)
from bench.report import Section, table
from pathrank.settings import Settings
from simulator import SimulationConfig, simulate

SEED = 11
WARM_UP_EVENTS = 5000
CLIENTS = (CONFLUENT, KAFKA_PYTHON)
PHASES = ("produce", "consume")


@dataclass(frozen=True, slots=True)
class Round:
    number: int
    order: tuple[str, ...]
    produce: dict[str, Sample]  # by producing client
    consume: dict[tuple[str, str], Sample]  # by (consuming client, producing client)


class _Topics:
    """Fresh 3-partition topics, deleted afterwards; the broker's count of their records."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.admin = AdminClient({"bootstrap.servers": bootstrap})

    def create(self) -> str:
        name = f"bench-kafka-clients-{uuid.uuid4().hex[:8]}"
        futures = self.admin.create_topics(
            [NewTopic(name, num_partitions=PARTITIONS, replication_factor=1)],
            operation_timeout=15,
        )
        futures[name].result(timeout=30)
        # Untimed: wait until every partition has a leader, so neither client's clock pays
        # for the new topic's metadata settling.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            meta = self.admin.list_topics(name, timeout=10).topics[name]
            if len(meta.partitions) == PARTITIONS and all(
                p.leader >= 0 for p in meta.partitions.values()
            ):
                return name
            time.sleep(0.1)
        raise BenchmarkError(f"topic {name} has no leader for every partition after 30 s")

    def records(self, topic: str) -> int:
        """Records in the topic (end minus start offsets): what the broker actually stored."""
        probe = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group()})
        try:
            total = 0
            for p in range(PARTITIONS):
                low, high = probe.get_watermark_offsets(TopicPartition(topic, p), timeout=30)
                total += high - low
            return total
        finally:
            probe.close()

    def delete(self, topics: Sequence[str]) -> None:
        if not topics:
            return
        for future in self.admin.delete_topics(list(topics), operation_timeout=30).values():
            try:
                future.result(timeout=60)
            except KafkaException as exc:  # a leftover bench topic is not a failure
                print(f"could not delete a bench topic: {exc}", file=sys.stderr)


def _events(count: int) -> tuple[list[tuple[bytes, bytes]], set[str]]:
    """The simulator's first `count` events as (customer id, JSON), and their event ids."""
    sim = simulate(SimulationConfig(seed=SEED, events=count))
    events = sim.events[:count]
    if len(events) != count:
        raise BenchmarkError(f"the simulator made {len(events):,} events, not {count:,}")
    records = [(str(e["customer_id"]).encode(), orjson.dumps(e)) for e in events]
    return records, {str(e["event_id"]) for e in events}


def _check_kafka_python_helpers() -> None:
    """Without them kafka-python computes record CRCs in pure Python or cannot do lz4: a
    measurement of a crippled install, not of the client."""
    missing = [m for m in ("crc32c", "lz4") if importlib.util.find_spec(m) is None]
    if missing:
        raise BenchmarkError(
            f"kafka-python's C helpers {missing} are not installed: `make install` (dev extras)"
        )


def measure(s: Settings, events: int, rounds: int) -> list[Round]:
    _check_kafka_python_helpers()
    records, ids = _events(events)
    if len(ids) != events:
        raise BenchmarkError(f"the simulator's event ids are not unique ({len(ids):,})")
    topics = _Topics(s.kafka_bootstrap)
    _warm_up(s.kafka_bootstrap, topics, records[:WARM_UP_EVENTS])
    results = []
    for number in range(1, rounds + 1):
        order = CLIENTS if number % 2 else CLIENTS[::-1]
        made: dict[str, str] = {}
        try:
            produced: dict[str, Sample] = {}
            for client in order:
                made[client] = topics.create()
                produced[client] = PRODUCERS[client](s.kafka_bootstrap, made[client], records)
                stored = topics.records(made[client])
                if stored != events:
                    raise BenchmarkError(
                        f"{client} producer: the topic holds {stored:,} records, not {events:,}"
                    )
                _progress(number, client, "produce", produced[client])
            consumed: dict[tuple[str, str], Sample] = {}
            for client in order:
                for source in order:
                    sample, got = CONSUMERS[client](s.kafka_bootstrap, made[source], events)
                    check_ids(client, source, got, ids)
                    consumed[client, source] = sample
                    _progress(number, client, f"consume ({source}'s)", sample)
        finally:
            topics.delete(list(made.values()))
        results.append(Round(number, order, produced, consumed))
    return results


def _warm_up(bootstrap: str, topics: _Topics, records: Records) -> None:
    """Untimed: a fresh broker creates the offsets topic on the first commit and loads the
    producer-id coordinator on the first idempotent producer; no client's clock pays that."""
    topic = topics.create()
    try:
        for client in CLIENTS:
            PRODUCERS[client](bootstrap, topic, records)
        for client in CLIENTS:
            CONSUMERS[client](bootstrap, topic, 2 * len(records))
    finally:
        topics.delete([topic])


def _progress(number: int, client: str, what: str, sample: Sample) -> None:
    print(
        f"round {number} {client:>15} {what:<28} {sample.rate:>9,.0f} ev/s "
        f"({sample.seconds:.2f} s, CPU {sample.cpu_s:.2f} s)",
        file=sys.stderr,
        flush=True,
    )


def _samples(results: Sequence[Round], phase: str, client: str) -> list[Sample]:
    if phase == "produce":
        return [r.produce[client] for r in results]
    return [r.consume[client, source] for r in results for source in CLIENTS]


def _round_rate(r: Round, phase: str, client: str) -> float:
    """A client's rate in one round (consume: over both topics of the round)."""
    if phase == "produce":
        return r.produce[client].rate
    parts = [r.consume[client, source] for source in CLIENTS]
    return sum(p.events for p in parts) / sum(p.seconds for p in parts)


def _paired(r: Round, phase: str) -> float:
    """confluent-kafka / kafka-python events/s in one round."""
    return _round_rate(r, phase, CONFLUENT) / _round_rate(r, phase, KAFKA_PYTHON)


def ratio(results: Sequence[Round], phase: str) -> float:
    """confluent-kafka / kafka-python events/s: the median of the rounds' paired ratios."""
    return statistics.median(_paired(r, phase) for r in results)


def cpu_ratio(results: Sequence[Round], phase: str) -> float:
    """kafka-python / confluent-kafka CPU seconds for the same work (median of the samples)."""
    kp = statistics.median(x.cpu_s for x in _samples(results, phase, KAFKA_PYTHON))
    return kp / statistics.median(x.cpu_s for x in _samples(results, phase, CONFLUENT))


def _summary_rows(results: Sequence[Round], events: int) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for phase in PHASES:
        for client in CLIENTS:
            samples = _samples(results, phase, client)
            rates = [x.rate for x in samples]
            polls = [x.polls for x in samples]
            rows.append(
                (
                    phase,
                    client,
                    round(statistics.median(rates)),
                    round(min(rates)),
                    round(max(rates)),
                    statistics.median(x.seconds for x in samples),
                    statistics.median(x.cpu_s for x in samples),
                    f"{events / statistics.median(polls):,.0f}" if phase == "consume" else "",
                )
            )
    return rows


def _round_rows(results: Sequence[Round]) -> list[tuple[object, ...]]:
    return [
        (
            r.number,
            r.order[0],
            round(r.produce[CONFLUENT].rate),
            round(r.produce[KAFKA_PYTHON].rate),
            " / ".join(f"{r.consume[CONFLUENT, s].rate:,.0f}" for s in CLIENTS),
            " / ".join(f"{r.consume[KAFKA_PYTHON, s].rate:,.0f}" for s in CLIENTS),
            *(f"{_paired(r, phase):.1f}x" for phase in PHASES),
        )
        for r in results
    ]


def _faster(x: float) -> str:
    """'confluent-kafka 3.1x faster' or 'kafka-python 1.2x faster' from a cf/kp rate ratio."""
    return f"{CONFLUENT} {x:.1f}x faster" if x >= 1 else f"{KAFKA_PYTHON} {1 / x:.1f}x faster"


def _cpu(produce: float, consume: float) -> str:
    """From kp/cf CPU ratios."""
    parts = [
        f"{KAFKA_PYTHON} {x:.1f}x {CONFLUENT}'s"
        if x >= 1
        else f"{CONFLUENT} {1 / x:.1f}x {KAFKA_PYTHON}'s"
        for x in (produce, consume)
    ]
    return f"CPU for the same work: producing {parts[0]}, consuming {parts[1]}"


def choice(results: Sequence[Round]) -> str:
    """The paragraph that states the choice: measured numbers first, then the rest."""
    produce, consume = ratio(results, "produce"), ratio(results, "consume")
    wins = [p for p, x in (("produce", produce), ("consume", consume)) if x < 1]
    measured = (
        f"Measured (median of the rounds' paired ratios): produce {_faster(produce)}, consume "
        f"{_faster(consume)}; "
        f"{_cpu(cpu_ratio(results, 'produce'), cpu_ratio(results, 'consume'))}."
    )
    verdict = (
        f"{KAFKA_PYTHON} is faster at {' and '.join(wins)} in this run: {CONFLUENT} is kept "
        "there for the reasons that follow, not for speed."
        if wins
        else f"{KAFKA_PYTHON} wins neither phase in this run."
    )
    return (
        f"**Choice: {CONFLUENT} stays the client of `pathrank ingest` and its producers.** "
        f"{measured} {verdict} Beyond speed: {CONFLUENT}'s delivery report arrives per "
        "record on the caller's thread, inside poll()/flush(), with the error in hand (what "
        "the dead-letter writer relies on); kafka-python's future callbacks run on its "
        "background threads, so anything they touch needs locking. Both have an idempotent "
        "producer now (kafka-python since its 2025 releases, on by default in 3.x), so "
        f"idempotence no longer decides it. {CONFLUENT} binds librdkafka, the C client that "
        "Confluent maintains and also builds its Go and .NET clients on; kafka-python is a "
        "pure-Python, community-maintained implementation of the protocol that went without "
        "a release from 2.0.2 (2020) to 2.0.3 (February 2025) and has released often since "
        f"(2.1 in March 2025, 3.0.x now). Typing: {CONFLUENT} ships `py.typed` and stubs for "
        "its C module; kafka-python has no type hints, so under `mypy --strict` its objects "
        "are `Any` (this benchmark keeps them inside its two kafka-python functions). Where "
        "kafka-python would fit better: a platform without a compiled wheel (it is pure "
        "Python), or a need to patch the client in Python."
    )


def section(settings: Settings, quick: bool) -> Section:
    events, rounds = (20_000, 3) if quick else (100_000, 5)
    results = measure(settings, events, rounds)
    versions = f"{CONFLUENT} {version('confluent-kafka')}, {KAFKA_PYTHON} {version('kafka-python')}"
    body = "\n\n".join(
        [
            f"{versions} (with its C helpers crc32c and lz4). {events:,} simulated events "
            f"(seed {SEED}, key = customer id, the simulator's JSON) per run, {rounds} rounds, "
            "the clients' order alternating between rounds, after an untimed warm-up of both.",
            "Produce: a fresh 3-partition topic per client and round; acks=all, idempotent, "
            f"linger {LINGER_MS} ms, lz4 (ingest's producer settings), batches up to 1 MB "
            "(librdkafka's default), kafka-python's metrics off like librdkafka's statistics "
            "(kafka-python's own defaults, 16 KB batches and metrics on, were no different "
            "within the noise in a one-off side-by-side check: 100k events, 3 rounds, "
            "16.8-27.0k against 15.6-26.1k ev/s); timed from the first send to the last "
            "delivery report. Consume: each client reads both topics of the round (identical "
            "input for both consumers) in the worker's loop: polls of up to "
            f"{BATCH:,} records, orjson on each value, a synchronous commit of the batch's "
            "offsets after each poll; record CRCs unchecked (librdkafka's default, which the "
            "worker runs with); timed from the first poll to the last commit; partitions "
            "assigned, not subscribed (no group join). s and CPU s are per run of "
            f"{events:,} events; CPU = this process's CPU seconds (all its threads, so "
            "librdkafka's too), not the broker's. Every delivery report was checked to be a "
            "success, every topic to hold exactly the events produced, and every consumer to "
            "return each event id exactly once and to have committed every offset.",
            table(
                [
                    "phase",
                    "client",
                    "ev/s median",
                    "min",
                    "max",
                    "s median",
                    "CPU s median",
                    "records/poll",
                ],
                _summary_rows(results, events),
            ),
            "Per round (events/s; consume: on confluent-kafka's / kafka-python's topic; "
            "ratio = confluent-kafka / kafka-python in that round):",
            table(
                [
                    "round",
                    "first",
                    "produce cf",
                    "produce kp",
                    "consume cf",
                    "consume kp",
                    "produce ratio",
                    "consume ratio",
                ],
                _round_rows(results),
            ),
            choice(results),
        ]
    )
    produce, consume = ratio(results, "produce"), ratio(results, "consume")
    goals = (
        (
            f"no event lost or duplicated by either client ({rounds} rounds x {events:,} events, "
            "each topic read by both consumers)",
            True,  # measure() raises otherwise
        ),
        (
            f"{CONFLUENT} (ingest's client) produces at least as fast as {KAFKA_PYTHON} "
            f"({produce:.1f}x)",
            produce >= 1,
        ),
        (
            f"{CONFLUENT} consumes at least as fast as {KAFKA_PYTHON} ({consume:.1f}x)",
            consume >= 1,
        ),
    )
    return Section("Kafka clients", body, goals)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 events, 3 rounds")
    args = parser.parse_args(argv)
    try:
        print(section(Settings(), args.quick).markdown())
    except BenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
