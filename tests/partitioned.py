"""Small histories of a few customers over a few days, and the partition each customer's
events go to: for the properties that read partitions in any interleaving (the unit one on
the pure batch logic, the integration one against Neo4j)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

from graph_model.path.record import Click
from graph_model.path.watermark import PartitionEnds, PartitionMark, Reading
from ingest.events import event_from_record

T = 1_700_000_000_000
HOUR = 3_600_000
DAY = 24 * HOUR

PAGES = ["a", "b", "c"]
PARTITIONS = 3


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A few customers' events over four days: sessions of clicks a few minutes apart, with
    resolving clicks and outcome markers, each customer's in time order (at most a day out
    of order, within the lateness)."""
    events: list[dict[str, Any]] = []
    for customer in range(draw(st.integers(1, 5))):
        t = T + draw(st.integers(0, 3 * DAY))
        for n in range(draw(st.integers(1, 8))):
            t += draw(st.sampled_from([1, 2, 5, 40, 60 * 24 * 2])) * 60_000  # minutes
            event: dict[str, Any] = {
                "customer_id": f"c{customer}",
                "page_id": draw(st.sampled_from(PAGES)),
                "timestamp": t - draw(st.sampled_from([0, 0, 0, HOUR, DAY])),
                "event_id": f"c{customer}-{n}",
                "is_resolved": draw(st.booleans()) and draw(st.booleans()),
            }
            kind = draw(st.sampled_from(["page_view"] * 5 + ["resolution", "escalation"]))
            if kind != "page_view":
                event |= {"event_type": kind, "is_resolved": False}
            events.append(event)
    return events


def partition_of(event: dict[str, Any]) -> int:
    return int(event["customer_id"][1:]) % PARTITIONS


def partitions_of(events: list[dict[str, Any]], time_order: bool) -> list[list[dict[str, Any]]]:
    """Each partition's events in offset order: as `events` come (customer by customer, an
    export sorted by customer), or sorted by time (a backlog as it was produced)."""
    logs: list[list[dict[str, Any]]] = [[] for _ in range(PARTITIONS)]
    for e in events:
        logs[partition_of(e)].append(e)
    if time_order:
        for log in logs:
            log.sort(key=lambda e: int(e["timestamp"]))  # stable: ties keep their order
    return logs


def batches(
    logs: list[list[dict[str, Any]]], order: list[int], cuts: list[int], now_ms: int
) -> Iterator[tuple[list[Click], Reading]]:
    """The partitions read record by record in `order` (a partition number per record), cut
    into batches at `cuts`: each batch's clicks (seq: their offsets) and what it read of each
    partition, with every partition's offsets as Kafka would report them (the group having
    committed the batches before)."""
    positions = [0] * PARTITIONS
    for a, b in itertools.pairwise(sorted({0, len(order), *cuts})):
        committed = list(positions)
        clicks: list[Click] = []
        marks: dict[int, PartitionMark] = {}
        for p in order[a:b]:
            click = event_from_record(logs[p][positions[p]], now_ms=now_ms, seq=positions[p])
            clicks.append(click)
            known = marks.get(p)
            high = click.ts_ms if known is None else max(known.high_ms or 0, click.ts_ms)
            marks[p] = PartitionMark(p, high, positions[p] + 1)
            positions[p] += 1
        ends = {p: PartitionEnds(0, len(log), committed[p]) for p, log in enumerate(logs)}
        yield clicks, Reading("clicks", tuple(marks.values()), ends)
