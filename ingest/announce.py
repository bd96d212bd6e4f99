"""The `assist` topic: announcements of at-risk changes, each delivered exactly once.

A batch's announcements are in the graph's outbox once its transaction commits. The worker
then produces them (idempotent producer, keyed by customer), waits until Kafka acknowledged
every one, removes them from the outbox, and only then commits the batch's offsets. A crash
anywhere in between leaves them in the outbox; the worker that next takes the click
partition they came from reads back the `assist` topic from shortly before they were
written, produces the ones it does not find there, and removes them all
(docs/assist.md, "Exactly once").
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol, TypeVar

import orjson
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from graph_model.assist.record import Announcement, announcement_json
from graph_model.assist.store import Pending
from ingest.assist import Assessor
from ingest.errors import KafkaRefusedError, KafkaUnavailableError, describe, is_transient

log = logging.getLogger("ingest.assist")

_T = TypeVar("_T")
Retry = Callable[[Callable[[], _T]], _T]

# How far before an outbox entry was written its record may carry a timestamp (the graph's
# clock against the worker's, and the producer's own timestamp).
READ_BACK_MARGIN_MS: Final = 60_000


class Outbox(Protocol):
    def pending(self, topic: str, partitions: Sequence[int]) -> list[Pending]: ...

    def delivered(self, ids: Sequence[str]) -> None: ...


@dataclass(slots=True)
class _Send:
    announcement: Announcement
    in_flight: bool = False
    acknowledged: bool = False
    error: KafkaError | None = None


@dataclass(slots=True)
class AnnouncementDelivery:
    """Announcements on their way; `wait` until Kafka acknowledged every one. A wait that
    times out leaves the records in flight and does not send them again."""

    producer: Producer
    topic: str
    sends: list[_Send] = field(default_factory=list)

    def wait(self, timeout_s: float = 10.0) -> None:
        for send in self.sends:
            if not (send.in_flight or send.acknowledged):
                self._produce(send)
        self.producer.flush(timeout_s)
        missing = [s for s in self.sends if not s.acknowledged]
        for send in missing:
            if send.error is not None and not is_transient(send.error):
                raise KafkaRefusedError(f"assist topic {self.topic}: {describe(send.error)}")
        if missing:
            errors = [s.error for s in missing if s.error is not None]
            cause = describe(errors[-1]) if errors else f"no acknowledgement in {timeout_s:.0f}s"
            raise KafkaUnavailableError(
                f"assist topic {self.topic}: {len(missing)} of {len(self.sends)} records not "
                f"acknowledged ({cause})"
            )

    def _produce(self, send: _Send) -> None:
        a = send.announcement
        try:
            self.producer.produce(
                self.topic,
                key=a.customer.encode(),
                value=announcement_json(a),
                on_delivery=lambda err, _msg: _delivered(send, err),
            )
        except BufferError:  # the local queue is full: flush, then send it next time
            return
        except KafkaException as exc:
            error = exc.args[0]
            if not is_transient(error):
                raise KafkaRefusedError(f"assist topic {self.topic}: {describe(error)}") from None
            send.error = error
            return
        send.in_flight = True
        send.error = None


def _delivered(send: _Send, error: KafkaError | None) -> None:
    send.in_flight = False
    send.acknowledged = error is None
    send.error = error


class Announcer:
    def __init__(
        self,
        bootstrap: str,
        topic: str,
        outbox: Outbox,
        client: Mapping[str, Any] | None = None,
    ) -> None:
        """`client`: extra librdkafka settings (the worker routes logs and errors with it)."""
        self.bootstrap = bootstrap
        self.topic = topic
        self.outbox = outbox
        self._client = dict(client or {})
        self._producer = Producer(
            {
                "bootstrap.servers": bootstrap,
                "acks": "all",
                "enable.idempotence": True,
                "linger.ms": 2,  # latency matters more than batching here
                **self._client,
            }
        )
        self._acknowledged: queue.Queue[list[str] | None] = queue.Queue()
        self._cleaner = threading.Thread(
            target=self._remove_acknowledged, name="assist-outbox", daemon=True
        )
        self._cleaner.start()

    def deliver(self, announcements: Sequence[Announcement], retry: Retry[None]) -> None:
        """Produce and wait out every acknowledgement; they leave the outbox in the
        background (an acknowledged entry a crash leaves there is found on the topic by
        `recover`, so it is never sent twice)."""
        if not announcements:
            return
        delivery = AnnouncementDelivery(
            self._producer, self.topic, [_Send(a) for a in announcements]
        )
        retry(delivery.wait)
        self._acknowledged.put([a.id for a in announcements])

    def _remove_acknowledged(self) -> None:
        """The outbox cleaner's loop: acknowledged ids out of the graph, several batches at
        a time; a failure leaves them for `recover` (they are on the topic)."""
        while True:
            ids = self._acknowledged.get()
            if ids is None:
                return
            done = False
            while len(ids) < 10_000 and not done:
                try:
                    more = self._acknowledged.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    done = True
                else:
                    ids += more
            try:
                self.outbox.delivered(ids)
            except Exception as exc:  # left for recovery, which reads them back
                log.warning("assist: %d acknowledged outbox entries kept (%s)", len(ids), exc)
            if done:
                return

    def recover(self, topic: str, partitions: Sequence[int], retry: Retry[Any]) -> int:
        """Deliver what a previous owner of these click partitions left in the outbox, unless
        the `assist` topic already has it; the number produced now."""
        pending: list[Pending] = retry(lambda: self.outbox.pending(topic, partitions))
        if not pending:
            return 0
        since = min(p.created for p in pending) - READ_BACK_MARGIN_MS
        present: set[str] = retry(lambda: self._ids_since(since))
        missing = [p.announcement for p in pending if p.announcement.id not in present]
        if missing:
            delivery = AnnouncementDelivery(self._producer, self.topic, [_Send(a) for a in missing])
            retry(delivery.wait)
        retry(lambda: self.outbox.delivered([p.announcement.id for p in pending]))
        log.info(
            "assist: %d announcement(s) left undelivered by an earlier worker; %d already in "
            "%s, %d produced now",
            len(pending),
            len(pending) - len(missing),
            self.topic,
            len(missing),
        )
        return len(missing)

    def _ids_since(self, since_ms: int) -> set[str]:
        """The ids of the `assist` records timestamped from `since_ms` on."""
        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": f"pathrank-assist-read-back-{uuid.uuid4().hex[:8]}",
                "enable.auto.commit": False,
                "enable.partition.eof": True,
                **self._client,
            }
        )
        try:
            topic = consumer.list_topics(self.topic, timeout=10).topics.get(self.topic)
            if topic is None or topic.error is not None:
                return set()
            wanted = [TopicPartition(self.topic, p, since_ms) for p in topic.partitions]
            starts = [tp for tp in consumer.offsets_for_times(wanted, timeout=10) if tp.offset >= 0]
            if not starts:
                return set()
            consumer.assign(starts)
            open_partitions = {tp.partition for tp in starts}
            ids: set[str] = set()
            while open_partitions:
                m = consumer.poll(10.0)
                if m is None:
                    raise KafkaUnavailableError(f"assist topic {self.topic}: read-back timed out")
                error = m.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        open_partitions.discard(int(m.partition() or 0))
                        continue
                    raise KafkaUnavailableError(f"assist topic {self.topic}: {describe(error)}")
                try:
                    ids.add(str(orjson.loads(m.value() or b"")["id"]))
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    continue  # not one of ours: it cannot be a pending one either
            return ids
        except KafkaException as exc:
            raise KafkaUnavailableError(
                f"assist topic {self.topic}: {describe(exc.args[0])}"
            ) from None
        finally:
            consumer.close()

    def close(self, timeout_s: float = 10.0) -> None:
        """Drop what is still queued (its batch is not committed: it stays in the outbox),
        and let the cleaner finish (bounded)."""
        self._producer.purge()
        self._producer.flush(1.0)
        self._acknowledged.put(None)
        self._cleaner.join(timeout_s)


@dataclass(frozen=True)
class AssistSinks:
    """What the worker needs for live assist: the scorer, the outbox and the topic."""

    assessor: Assessor
    outbox: Outbox
    topic: str
