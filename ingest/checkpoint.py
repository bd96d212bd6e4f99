"""The order that makes ingest exactly-once in effect: write the batch, then commit its offsets.

One batch is written in the background while the next is consumed and parsed. Offsets are
committed explicitly, per batch, only once that batch's write (dead letters, catalog, clicks)
returned; the consumer's position is already past the next batch by then, so committing the
position would lose it. Every partition's commit result is checked.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from confluent_kafka import Consumer, Message, TopicPartition

from ingest.errors import CommitError


class Checkpoint:
    def __init__(self, consumer: Consumer, on_committed: Callable[[], None]) -> None:
        self._consumer = consumer
        self._on_committed = on_committed
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-write")
        self._pending: tuple[Future[None], list[TopicPartition]] | None = None

    def submit(self, write: Callable[[], None], offsets: list[TopicPartition]) -> None:
        if self._pending is not None:
            raise RuntimeError("drain() before submitting the next batch")
        self._pending = (self._executor.submit(write), offsets)

    def drain(self) -> None:
        """Wait for the batch in flight; commit its offsets only if its write succeeded."""
        if self._pending is None:
            return
        future, offsets = self._pending
        self._pending = None
        future.result()  # re-raises the write's error: no commit
        committed = self._consumer.commit(offsets=offsets, asynchronous=False) or []
        failed = [tp for tp in committed if tp.error is not None]
        if failed:
            raise CommitError(
                "offset commit refused for "
                + ", ".join(f"{tp.topic}[{tp.partition}]: {tp.error}" for tp in failed)
            )
        self._on_committed()

    def close(self) -> None:
        self._executor.shutdown(wait=True)


def next_offsets(records: list[Message]) -> list[TopicPartition]:
    """Per partition, the offset after the batch's last record: what to commit for it."""
    last: dict[tuple[str, int], int] = {}
    for m in records:
        tp = (m.topic() or "", int(m.partition() or 0))
        last[tp] = max(last.get(tp, -1), int(m.offset() or 0))
    return [TopicPartition(topic, part, offset + 1) for (topic, part), offset in last.items()]
