"""The watermark (docs/paths.md, "The watermark"): event time every partition of the click
topic has reached.

Per partition, its *high mark* is the highest event time read from it, recorded in the graph
with the offset it covers (`(:PartitionMark {topic, partition, high, offset})`), by the
batch that read it. The watermark is the lowest high mark among the partitions that still
have unread records, else the highest of all; it never moves back and never runs ahead of
the clock plus the allowed skew. A partition that holds records nobody read yet has no high
mark: it holds the watermark where it is. So a backlog read partition by partition, or one
worker faster than another, never moves the watermark past events still unread.

Pure functions; the store applies them inside the batch's transaction (after locking the
watermark node, so concurrent workers see each other's marks).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PartitionMark:
    """How far one partition of the click topic was read: the highest event time read from
    it (None: no valid event yet) and the offset after the last record that covers."""

    partition: int
    high_ms: int | None
    offset: int

    def merged(self, other: PartitionMark | None) -> PartitionMark:
        """This mark and another of the same partition: the further of each."""
        if other is None:
            return self
        return PartitionMark(
            self.partition, _later(self.high_ms, other.high_ms), max(self.offset, other.offset)
        )


@dataclass(frozen=True, slots=True)
class PartitionEnds:
    """What Kafka said about one partition: its first and end offsets, and the offset the
    consumer group committed (None: none)."""

    low: int
    high: int
    committed: int | None = None


@dataclass(frozen=True, slots=True)
class Reading:
    """What one batch read of the click topic, for the watermark.

    `marks`: the batch's partitions, each with the highest event time of its valid records
    in the batch and the offset after them. `ends`: every partition of the topic as the
    worker saw it after consuming the batch (a partition missing: unknown, so counted as
    unread); None outside Kafka (a load from memory: everything given is read).
    `ceiling_ms`: the ingesting machine's clock plus the allowed skew.
    """

    topic: str
    marks: tuple[PartitionMark, ...]
    ends: Mapping[int, PartitionEnds] | None
    ceiling_ms: int | None = None

    @staticmethod
    def unpartitioned(high_ms: int | None) -> Reading:
        """A batch that does not come from Kafka: all of it is read."""
        return Reading("", (PartitionMark(0, high_ms, 0),), None)

    @property
    def partitioned(self) -> bool:
        return self.ends is not None


def merge_marks(
    stored: Iterable[PartitionMark], read: Iterable[PartitionMark]
) -> dict[int, PartitionMark]:
    """The marks after a batch: the stored ones moved by what it read."""
    out = {m.partition: m for m in stored}
    for m in read:
        out[m.partition] = m.merged(out.get(m.partition))
    return out


def unread(mark: PartitionMark | None, ends: PartitionEnds | None) -> bool:
    """Whether a partition still holds records nobody read: past its mark's offset and the
    group's committed offset. A partition never read holds some when it is not empty; one
    Kafka said nothing about counts as unread."""
    if ends is None:
        return True
    read_to = max(
        mark.offset if mark is not None else ends.low,
        ends.committed if ends.committed is not None else ends.low,
        ends.low,
    )
    return ends.high > read_to


def next_watermark(
    stored_ms: int | None, marks: Mapping[int, PartitionMark], reading: Reading
) -> int | None:
    """The watermark after a batch (`marks`: every partition's, the batch's included)."""
    if reading.ends is None:
        candidate = max((m.high_ms for m in marks.values() if m.high_ms is not None), default=None)
    else:
        candidate = _candidate(marks, reading.ends)
    if candidate is not None and reading.ceiling_ms is not None:
        candidate = min(candidate, reading.ceiling_ms)
    return _later(stored_ms, candidate)


def _candidate(marks: Mapping[int, PartitionMark], ends: Mapping[int, PartitionEnds]) -> int | None:
    """The lowest high mark of the partitions with unread records, else the highest of all;
    None while an unread partition has no high mark (nothing read from it yet)."""
    behind: list[int] = []
    for partition in ends.keys() | marks.keys():
        mark = marks.get(partition)
        if not unread(mark, ends.get(partition)):
            continue
        if mark is None or mark.high_ms is None:
            return None
        behind.append(mark.high_ms)
    if behind:
        return min(behind)
    return max((m.high_ms for m in marks.values() if m.high_ms is not None), default=None)


def _later(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    return a if b is None else max(a, b)
