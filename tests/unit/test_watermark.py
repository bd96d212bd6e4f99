"""The watermark per partition and what it is for (docs/paths.md, "The watermark", "Allowed
lateness", "Retention"): pure logic, with oracles written from the rules here; the whole batch
logic over any interleaving of partitions and any batch boundaries, on an in-memory store,
against the independent reference."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from graph_model.path.record import PathRules
from graph_model.path.watermark import (
    PartitionEnds,
    PartitionMark,
    Reading,
    next_watermark,
    unread,
)
from ingest.batch import TOO_LATE, apply_batch
from tests.partitioned import PARTITIONS, batches, histories, partitions_of
from tests.reference import reference
from tests.tiers import examples
from tests.unit.memory_paths import MemoryPathStore

T = 1_700_000_000_000
HOUR = 3_600_000
DAY = 24 * HOUR
NOW = T + 365 * DAY


def mark(partition: int, high: int | None, offset: int) -> PartitionMark:
    return PartitionMark(partition, high, offset)


def test_the_lowest_high_mark_of_the_partitions_with_unread_records() -> None:
    marks = {0: mark(0, T + 9 * DAY, 100), 1: mark(1, T + 2 * DAY, 50), 2: mark(2, T + 5 * DAY, 70)}
    ends = {0: PartitionEnds(0, 100), 1: PartitionEnds(0, 80), 2: PartitionEnds(0, 90)}
    reading = Reading("clicks", (), ends)
    # 1 and 2 have unread records: the lower of their marks, though 0 read far ahead.
    assert next_watermark(None, marks, reading) == T + 2 * DAY
    # Everything read: the highest of all.
    done = {p: PartitionEnds(0, m.offset) for p, m in marks.items()}
    assert next_watermark(None, marks, Reading("clicks", (), done)) == T + 9 * DAY


def test_a_partition_never_read_holds_the_watermark_while_it_holds_records() -> None:
    marks = {0: mark(0, T + 9 * DAY, 100)}
    holding = {0: PartitionEnds(0, 100), 1: PartitionEnds(0, 40)}
    assert next_watermark(T, marks, Reading("clicks", (), holding)) == T
    assert next_watermark(None, marks, Reading("clicks", (), holding)) is None
    empty = {0: PartitionEnds(0, 100), 1: PartitionEnds(40, 40)}  # its records expired
    assert next_watermark(T, marks, Reading("clicks", (), empty)) == T + 9 * DAY


def test_the_group_s_committed_offsets_count_as_read() -> None:
    """A graph written before the marks existed: what the group committed is read."""
    marks = {0: mark(0, T + 3 * DAY, 100)}
    ends = {0: PartitionEnds(0, 100), 1: PartitionEnds(0, 40, committed=40)}
    assert next_watermark(None, marks, Reading("clicks", (), ends)) == T + 3 * DAY


def test_a_partition_kafka_said_nothing_about_counts_as_unread() -> None:
    marks = {0: mark(0, T + 9 * DAY, 100), 1: mark(1, T + 1 * DAY, 10)}
    assert next_watermark(None, marks, Reading("clicks", (), {0: PartitionEnds(0, 100)})) == (
        T + DAY
    )
    assert unread(mark(1, T, 10), None)


def test_never_back_and_never_past_the_clock() -> None:
    marks = {0: mark(0, T + 2 * DAY, 100)}
    done = {0: PartitionEnds(0, 100)}
    assert next_watermark(T + 5 * DAY, marks, Reading("clicks", (), done)) == T + 5 * DAY
    capped = Reading("clicks", (), done, ceiling_ms=T + DAY)
    assert next_watermark(None, marks, capped) == T + DAY


def test_outside_kafka_everything_given_is_read() -> None:
    reading = Reading.unpartitioned(T + 4)
    assert next_watermark(T, {0: reading.marks[0]}, reading) == T + 4
    assert next_watermark(T + 9, {0: reading.marks[0]}, reading) == T + 9


def test_marks_only_move_forward() -> None:
    assert mark(0, T, 10).merged(mark(0, T + 5, 4)) == mark(0, T + 5, 10)
    assert mark(0, None, 12).merged(mark(0, T, 10)) == mark(0, T, 12)


# ---- any interleaving of partitions, any batch boundaries -------------------------------------


@settings(max_examples=examples(300, 60), deadline=None)
@given(events=histories(), data=st.data())
def test_any_interleaving_and_batching_gives_the_in_order_graph_and_nothing_too_late(
    events: list[dict[str, Any]], data: st.DataObject
) -> None:
    """Partitions read in any interleaving (one drained before the next, or a few records of
    each in turn), cut into batches anywhere, with retention as short as the lateness: the
    graph the reference gives for in-order ingestion without retention, no event too late,
    no compacted path ever rewritten, and the watermark at the latest event in the end."""
    rules = PathRules(
        timeout_ms=30 * 60_000, quick_ms=10_000, allowed_lateness_ms=DAY, retention_ms=DAY
    )
    logs = partitions_of(events, data.draw(st.booleans(), label="in time order"))
    order = data.draw(st.permutations([p for p, log in enumerate(logs) for _ in log]))
    cuts = data.draw(st.lists(st.integers(1, len(order)), max_size=6))
    store = MemoryPathStore(rules)
    rejected = []
    watermark: int | None = None
    read = [0] * PARTITIONS
    for clicks, reading in batches(logs, order, cuts, NOW):
        rejected += apply_batch(store, clicks, reading=reading).rejected
        for m in reading.marks:
            read[m.partition] = m.offset
        watermark = rule(watermark, logs, read)
        assert store.watermark == watermark
    assert [r for r in rejected if r.reason == TOO_LATE] == []
    assert rejected == []
    assert graph_of(store) == expected(events)
    assert store.watermark == max(int(e["timestamp"]) for e in events)
    assert all(a is None or b is None or a <= b for a, b in itertools.pairwise(store.watermarks))


def rule(before: int | None, logs: list[list[dict[str, Any]]], positions: list[int]) -> int | None:
    """The watermark as docs/paths.md states it, from what was read of each partition: the
    lowest high mark among partitions with records left (none while one of them was never
    read), else the highest; never back."""
    highs = [
        max((int(e["timestamp"]) for e in log[:n]), default=None)
        for log, n in zip(logs, positions, strict=True)
    ]
    left = [h for h, log, n in zip(highs, logs, positions, strict=True) if n < len(log)]
    if any(h is None for h in left):
        return before
    found = min(left) if left else max((h for h in highs if h is not None), default=None)  # type: ignore[type-var]
    if found is None:
        return before
    return found if before is None else max(before, found)


def graph_of(store: MemoryPathStore) -> tuple[Any, ...]:
    markers = {
        (c, e.key): e.ts_ms for c, es in store.events.items() for e in es.values() if e.kind.marker
    }
    paths = frozenset(
        (
            p.customer_id,
            p.pages,
            p.outcome.value,
            p.start,
            p.length,
            p.turnarounds,
            p.segments,
            None if p.ended_by is None else markers[(p.customer_id, p.ended_by)],
        )
        for p in store.paths.values()
    )
    transitions = {
        k: (n, store.turnarounds[k])
        for k, n in store.transitions.items()
        if n or store.turnarounds[k]
    }
    return paths, transitions, {k: n for k, n in store.visited.items() if n}


def expected(events: Sequence[dict[str, Any]]) -> tuple[Any, ...]:
    want = reference(events)
    return want.paths, want.transitions, want.visited
