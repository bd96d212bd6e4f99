"""A topic as the consumer group sees it: each partition's first and end offsets and the
group's committed offset. The watermark needs them for every partition of the click topic
(graph_model/path/watermark.py), `--until-idle` for the partitions the worker was assigned
(ingest/idle.py), and the summary and the progress display for the group's lag.

Kafka's answers are read fresh from the brokers (not the consumer's cached fetch state); a
partition Kafka does not answer for (an outage) is left out, which every reader takes as
"unknown, so not read".
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Final

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from graph_model.path.watermark import PartitionEnds, PartitionMark

TIMEOUT_S: Final = 5.0
# Partitions are added rarely: the topic's metadata is read again after this long.
_PARTITIONS_TTL_S: Final = 10.0


class TopicOffsets:
    """Asked through a consumer of their own that never subscribes (so it never joins the
    group): its requests do not wait behind the worker's long-polling fetches (through the
    worker's consumer, each took up to its 500 ms fetch wait, per partition, per batch)."""

    def __init__(self, probe: Consumer, topic: str, timeout_s: float = TIMEOUT_S) -> None:
        """`probe`: a Consumer with the worker's group.id that never subscribes."""
        self.topic = topic
        self._probe = probe
        self._timeout_s = timeout_s
        self._partitions: list[int] = []
        self._read_at: float | None = None
        self.read_to: dict[int, int] = {}  # partition -> the offset after what this worker read

    def read(self, marks: Iterable[PartitionMark]) -> None:
        """A batch read these partitions up to their marks' offsets."""
        for m in marks:
            self.read_to[m.partition] = max(self.read_to.get(m.partition, 0), m.offset)

    def partitions(self) -> list[int]:
        """The topic's partitions (none while Kafka does not answer)."""
        now = time.monotonic()
        stale = self._read_at is None or now - self._read_at >= _PARTITIONS_TTL_S
        if stale or not self._partitions:
            try:
                metadata = self._probe.list_topics(self.topic, timeout=self._timeout_s)
            except KafkaException:
                return self._partitions
            found = metadata.topics.get(self.topic)
            if found is not None and found.error is None:
                self._partitions = sorted(found.partitions)
                self._read_at = now
        return self._partitions

    def ends(self, partitions: Iterable[int] | None = None) -> dict[int, PartitionEnds]:
        """Each partition's offsets now (`partitions`: these only; default all of them)."""
        wanted = list(self.partitions() if partitions is None else partitions)
        if not wanted:
            return {}
        asked = [TopicPartition(self.topic, p) for p in wanted]
        try:
            found = self._probe.committed(asked, timeout=self._timeout_s)
        except KafkaException:
            return {}  # the group's progress is unknown: so is every partition's
        committed = {tp.partition: tp.offset for tp in found if tp.error is None and tp.offset >= 0}
        out: dict[int, PartitionEnds] = {}
        for tp in asked:
            try:
                offsets = self._probe.get_watermark_offsets(tp, self._timeout_s, False)
            except KafkaException:
                continue  # this partition unknown
            if offsets is not None:
                out[tp.partition] = PartitionEnds(
                    offsets[0], offsets[1], committed.get(tp.partition)
                )
        return out


def behind(ends: PartitionEnds, read_to: int = 0) -> int:
    """Records of a partition the group has not committed yet (nor this worker read)."""
    done = ends.committed if ends.committed is not None else ends.low
    return max(0, ends.high - max(done, ends.low, read_to))


def unread(ends: Mapping[int, PartitionEnds], read_to: Mapping[int, int] | None = None) -> int:
    """Records of the topic the group has not committed yet (the group's lag), less what this
    worker read already (`read_to`: by partition, the offset after it)."""
    return sum(behind(e, (read_to or {}).get(p, 0)) for p, e in ends.items())


def batch_marks(records: Iterable[Message], times: Mapping[int, int]) -> tuple[PartitionMark, ...]:
    """Per partition of a batch's records (of one topic): the highest event time among its
    valid events (`times`: by the id() of the record, for the records that gave one) and
    the offset after its last record."""
    high: dict[int, int | None] = {}
    offset: dict[int, int] = {}
    for m in records:
        partition, at = int(m.partition() or 0), int(m.offset() or 0)
        offset[partition] = max(offset.get(partition, 0), at + 1)
        ts = times.get(id(m))
        known = high.get(partition)
        high[partition] = ts if known is None else (known if ts is None else max(known, ts))
    return tuple(PartitionMark(p, high[p], offset[p]) for p in sorted(offset))
