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
    def __init__(self, consumer: Consumer, topic: str, timeout_s: float = TIMEOUT_S) -> None:
        self.topic = topic
        self._consumer = consumer
        self._timeout_s = timeout_s
        self._partitions: list[int] = []
        self._read_at: float | None = None

    def partitions(self) -> list[int]:
        """The topic's partitions (none while Kafka does not answer)."""
        now = time.monotonic()
        if (
            self._read_at is None
            or now - self._read_at >= _PARTITIONS_TTL_S
            or not self._partitions
        ):
            try:
                metadata = self._consumer.list_topics(self.topic, timeout=self._timeout_s)
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
        committed: dict[int, int] = {}
        try:
            asked = [TopicPartition(self.topic, p) for p in wanted]
            for tp in self._consumer.committed(asked, timeout=self._timeout_s):
                if tp.error is None and tp.offset >= 0:
                    committed[tp.partition] = tp.offset
        except KafkaException:
            return {}  # the group's progress is unknown: so is every partition's
        out: dict[int, PartitionEnds] = {}
        for p in wanted:
            try:
                found = self._consumer.get_watermark_offsets(
                    TopicPartition(self.topic, p), timeout=self._timeout_s, cached=False
                )
            except KafkaException:
                continue
            if found is not None:
                low, high = found
                out[p] = PartitionEnds(low, high, committed.get(p))
        return out


def behind(ends: PartitionEnds) -> int:
    """Records of a partition the group has not committed yet."""
    done = ends.committed if ends.committed is not None else ends.low
    return max(0, ends.high - max(done, ends.low))


def unread(ends: Mapping[int, PartitionEnds]) -> int:
    """Records of the topic the group has not committed yet (the group's lag)."""
    return sum(behind(e) for e in ends.values())


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
