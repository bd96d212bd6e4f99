"""The `assist` topic as a feed for GraphQL subscriptions: one Kafka consumer per server,
its announcements fanned out to every subscriber on the server's event loop.

The consumer is assigned every partition of the topic at its end (no consumer group: each
server sees every announcement once, from the moment it started); a topic that does not
exist yet is looked for again every few seconds. A subscriber that does not keep up loses
its oldest undelivered announcements, never the server's memory.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Final

from confluent_kafka import OFFSET_END, Consumer, KafkaException, TopicPartition

from graph_model.assist.record import Announcement, BadAnnouncementError, parse_announcement
from ingest.kafka_client import Liveness, routed

log = logging.getLogger(__name__)

QUEUE_SIZE: Final = 1000  # undelivered announcements kept per subscriber
TOPIC_RETRY_S: Final = 2.0
POLL_S: Final = 0.1


@dataclass(eq=False)
class _Subscriber:
    customer: str | None
    queue: asyncio.Queue[Announcement]
    dropped: int = 0


@dataclass
class AssistFeed:
    bootstrap: str
    topic: str
    queue_size: int = QUEUE_SIZE
    client: dict[str, Any] = field(default_factory=dict)  # extra librdkafka settings
    _subscribers: set[_Subscriber] = field(default_factory=set)
    _loop: asyncio.AbstractEventLoop | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _assigned: threading.Event = field(default_factory=threading.Event)
    liveness: Liveness = field(default_factory=Liveness)

    @property
    def state(self) -> str:
        """What /healthz says: `live`, `waiting` (for the topic to exist) or `down` (Kafka
        does not answer)."""
        if self.liveness.up is False:
            return "down"
        return "live" if self._assigned.is_set() else "waiting"

    @asynccontextmanager
    async def running(self) -> AsyncIterator[AssistFeed]:
        """The consumer runs while the context is open (the app's lifespan)."""
        self._loop = asyncio.get_running_loop()
        self._stop.clear()
        thread = threading.Thread(target=self._consume, name="assist-feed", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            await asyncio.to_thread(thread.join, 5.0)

    async def subscribe(self, customer: str | None = None) -> AsyncIterator[Announcement]:
        """Announcements from now on, of one customer or of all."""
        with self._subscribed(customer) as me:
            while True:
                yield await me.queue.get()

    @contextmanager
    def _subscribed(self, customer: str | None) -> Iterator[_Subscriber]:
        me = _Subscriber(customer, asyncio.Queue(self.queue_size))
        self._subscribers.add(me)
        try:
            yield me
        finally:
            self._subscribers.discard(me)

    def _publish(self, announcement: Announcement) -> None:
        """On the event loop: hand the announcement to every subscriber that wants it."""
        for s in list(self._subscribers):
            if s.customer is not None and s.customer != announcement.customer:
                continue
            if s.queue.full():  # the oldest goes: the newest state matters most
                s.queue.get_nowait()
                s.dropped += 1
            s.queue.put_nowait(announcement)

    def _consume(self) -> None:
        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": f"pathrank-serve-{uuid.uuid4().hex[:8]}",  # never joined: assign()
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 50,  # an announcement is worth little late
                **routed("assist-feed"),
                **self.liveness.settings(),
                **self.client,
            }
        )
        try:
            while not self._stop.is_set() and not self._assign(consumer):
                consumer.poll(TOPIC_RETRY_S)  # serves its logs and statistics meanwhile
            while not self._stop.is_set():
                m = consumer.poll(POLL_S)
                if m is None or m.error() is not None:
                    continue
                try:
                    announcement = parse_announcement(m.value())
                except BadAnnouncementError as exc:
                    log.debug("assist topic %s: skipped a record: %s", self.topic, exc)
                    continue
                if self._loop is not None:
                    self._loop.call_soon_threadsafe(self._publish, announcement)
        finally:
            consumer.close()

    def _assign(self, consumer: Consumer) -> bool:
        try:
            metadata = consumer.list_topics(self.topic, timeout=5).topics.get(self.topic)
        except KafkaException as exc:
            log.debug("assist topic %s: %s", self.topic, exc)
            return False
        if metadata is None or metadata.error is not None or not metadata.partitions:
            return False
        consumer.assign([TopicPartition(self.topic, p, OFFSET_END) for p in metadata.partitions])
        self._assigned.set()
        log.info("assist feed: reading %s (%d partitions)", self.topic, len(metadata.partitions))
        return True
