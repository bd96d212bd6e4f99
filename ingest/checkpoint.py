"""The order that makes ingest exactly-once in effect: write the batch, then commit its offsets.

One batch is written in the background while the next is consumed and parsed. Offsets are
committed explicitly, per batch, only once that batch's write (dead letters, catalog, clicks)
returned; the consumer's position is already past the next batch by then, so committing the
position would lose it. Every partition's commit result is checked: a commit Kafka cannot
take now (broker down, no coordinator) is retried like any outage; one refused because the
group moved the partitions away is dropped, since their next owner replays the batch and a
replay changes nothing.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Final

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from ingest.errors import CommitError, StopRequested, describe, kafka_failure, membership_lost
from ingest.outages import Outages

log = logging.getLogger("ingest")

# After a stop request, how long a write in progress may take to finish (it is committed if
# it does); past that the worker leaves without it, and a restart replays the batch.
STOP_GRACE_S: Final = 20.0


class Checkpoint:
    def __init__(
        self, consumer: Consumer, outages: Outages, on_committed: Callable[[], None]
    ) -> None:
        self._consumer = consumer
        self._outages = outages
        self._on_committed = on_committed
        self._pending: tuple[Future[None], list[TopicPartition]] | None = None

    def submit(self, write: Callable[[], None], offsets: list[TopicPartition]) -> None:
        if self._pending is not None:
            raise RuntimeError("drain() before submitting the next batch")
        future: Future[None] = Future()

        def run() -> None:
            future.set_running_or_notify_cancel()
            try:
                write()
            except BaseException as exc:  # handed to drain(), which re-raises it
                future.set_exception(exc)
            else:
                future.set_result(None)

        # A daemon thread: a write stuck in a call that never returns cannot hold the
        # process after a stop (its batch is not committed, so nothing is lost).
        threading.Thread(target=run, name="ingest-write", daemon=True).start()
        self._pending = (future, offsets)

    def drain(self) -> None:
        """Wait for the batch in flight; commit its offsets only if its write succeeded."""
        if self._pending is None:
            return
        future, offsets = self._pending
        self._pending = None
        _wait(future, self._outages)  # re-raises the write's error: no commit
        self._outages.retry(lambda: self._commit(offsets), "the offset commit")
        self._on_committed()

    def close(self) -> None:
        """Let a write still in flight finish (bounded), without committing it."""
        if self._pending is not None:
            future, _ = self._pending
            self._pending = None
            with contextlib.suppress(BaseException):  # abandoned either way
                future.result(timeout=STOP_GRACE_S)

    def _commit(self, offsets: list[TopicPartition]) -> None:
        try:
            committed = self._consumer.commit(offsets=offsets, asynchronous=False) or []
        except KafkaException as exc:
            _check(exc.args[0])
            return
        for tp in committed:
            if tp.error is not None:
                _check(tp.error)


def _check(error: KafkaError) -> None:
    """Raise the typed failure of a commit, unless the group moved the partitions."""
    if membership_lost(error):
        log.warning(
            "offset commit dropped (%s): the group moved the partitions; their next owner "
            "replays the batch, which changes nothing",
            describe(error),
        )
        return
    raise kafka_failure(error, "offset commit", CommitError)


def _wait(future: Future[None], outages: Outages) -> None:
    """The write's result; after a stop request, at most STOP_GRACE_S more."""
    deadline: float | None = None
    while True:
        try:
            future.result(timeout=0.5)
            return
        except TimeoutError:
            pass
        if outages.stop_requested():
            now = time.monotonic()
            deadline = deadline or now + STOP_GRACE_S
            if now >= deadline:
                raise StopRequested("the write in flight did not finish in time")


def next_offsets(records: list[Message]) -> list[TopicPartition]:
    """Per partition, the offset after the batch's last record: what to commit for it."""
    last: dict[tuple[str, int], int] = {}
    for m in records:
        tp = (m.topic() or "", int(m.partition() or 0))
        last[tp] = max(last.get(tp, -1), int(m.offset() or 0))
    return [TopicPartition(topic, part, offset + 1) for (topic, part), offset in last.items()]
