"""A backlog on the click topic's three partitions, for the tests of the watermark per partition
(docs/paths.md, "The watermark"): produced in time order or sorted by customer (as warehouses
export), each customer's events in one partition; and the graph read back from the Path
nodes, compacted ones included, in the reference's terms."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]
from neo4j import Driver

from simulator import SimulationConfig, simulate
from tests.integration.ingest_helpers import TestGraph
from tests.reference import Snapshot, reference

PARTITIONS = 3
HOUR_MS = 3_600_000
# Retention 3 days; a lateness of 2 hours (each customer's own events are in order), so that
# customers who come back later than that have paths retention compacts while ingest goes on.
ENV = {
    "PATHRANK_CLICK_RETENTION_DAYS": "3",
    "PATHRANK_ALLOWED_LATENESS_S": "7200",
    "PATHRANK_TOPIC_PARTITIONS": str(PARTITIONS),
}


@dataclass(frozen=True)
class Backlog:
    events: list[dict[str, Any]]  # in the order produced
    partitions: list[list[dict[str, Any]]]  # each partition's events, in offset order

    @property
    def watermark(self) -> int:
        return max(int(e["timestamp"]) for e in self.events)


def simulated(events: int, days: float, seed: int = 21) -> list[dict[str, Any]]:
    """Every planted effect (markers, attributes), in time order."""
    sim = simulate(SimulationConfig.full(seed=seed, events=events, days=days))
    return sorted(sim.events, key=lambda e: int(e["timestamp"]))


def partition_of(customer: str) -> int:
    return zlib.crc32(customer.encode()) % PARTITIONS


def produce_backlog(
    bootstrap: str, topic: str, events: Sequence[dict[str, Any]], by_customer: bool
) -> Backlog:
    """`events` onto a new topic of three partitions, keyed by customer; `by_customer`: an
    export sorted by customer (each customer's events in time order)."""
    ordered = list(events)
    if by_customer:
        ordered.sort(key=lambda e: str(e["customer_id"]))  # stable: time order within
    admin = AdminClient({"bootstrap.servers": bootstrap})
    [created] = admin.create_topics([NewTopic(topic, PARTITIONS, 1)]).values()
    created.result(timeout=30)
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True})
    partitions: list[list[dict[str, Any]]] = [[] for _ in range(PARTITIONS)]
    for e in ordered:
        customer = str(e["customer_id"])
        p = partition_of(customer)
        partitions[p].append(e)
        while True:
            try:
                producer.produce(topic, key=customer.encode(), value=orjson.dumps(e), partition=p)
                break
            except BufferError:  # librdkafka's queue holds 100,000: wait for deliveries
                producer.poll(1)
        producer.poll(0)
    assert producer.flush(60) == 0
    return Backlog(ordered, partitions)


READ_PATHS = """
MATCH (p:Path)
RETURN p.customerId AS customer, p.pages AS pages, p.outcome AS outcome, p.start AS start,
       p.length AS length, p.turnarounds AS turnarounds, p.segments AS segments,
       [(p)-[:ENDED_BY]->(m:Marker) | m.ts][0] AS endedAt, p.keys IS NULL AS compacted
"""

READ_MARKS = """
OPTIONAL MATCH (w:Meta {id: 'watermark'})
RETURN w.value AS watermark, COLLECT {
  MATCH (k:PartitionMark {topic: $topic}) RETURN [k.partition, k.high, k.offset]
} AS marks
"""


@dataclass(frozen=True)
class Stored:
    graph: Snapshot  # paths, transitions, visited, markers (clicks: 0, compaction drops them)
    compacted: int  # paths compacted by retention


def stored_graph(driver: Driver) -> Stored:
    """The graph as its Path nodes, aggregates and markers say (compacted paths included)."""
    records = driver.execute_query(READ_PATHS).records
    paths = frozenset(
        (
            r["customer"],
            tuple(r["pages"]),
            r["outcome"],
            r["start"],
            r["length"],
            r["turnarounds"],
            tuple(r["segments"] or ()),
            r["endedAt"],
        )
        for r in records
    )
    graph = TestGraph(driver)
    counts = graph.counts()
    [row] = driver.execute_query(
        "RETURN COUNT { MATCH (m:Marker) } AS markers, "
        "COUNT { MATCH (m:Marker) WHERE NOT EXISTS { (m)<-[:ENDED_BY]-() } } AS orphans"
    ).records
    assert counts.paths == len(records)
    return Stored(
        Snapshot(paths, graph.transitions(), graph.visited(), 0, row["markers"], row["orphans"]),
        sum(r["compacted"] for r in records),
    )


def expected_graph(events: Sequence[dict[str, Any]]) -> Snapshot:
    """What in-order ingestion without retention gives (the independent reference)."""
    want = reference(events)
    return Snapshot(
        want.paths, want.transitions, want.visited, 0, want.markers, want.orphan_markers
    )


def marks(driver: Driver, topic: str) -> tuple[int | None, dict[int, tuple[int | None, int]]]:
    """The stored watermark and each partition's (high mark, offset)."""
    [row] = driver.execute_query(READ_MARKS, topic=topic).records
    return row["watermark"], {p: (high, offset) for p, high, offset in row["marks"]}


def expected_marks(backlog: Backlog) -> dict[int, tuple[int | None, int]]:
    """Every partition read to its end: its highest event time and its record count."""
    return {
        p: (max(int(e["timestamp"]) for e in log), len(log))
        for p, log in enumerate(backlog.partitions)
        if log
    }
