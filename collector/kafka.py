"""A Kafka producer for the event loop: `send` returns once Kafka acknowledged every record
(acks=all, idempotent), without blocking the loop.

librdkafka reports deliveries from `poll`, which a thread of ours calls; each report settles
an asyncio future through `call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from confluent_kafka import KafkaError, Message, Producer

from ingest.kafka_client import Liveness, routed

_Report = Callable[[KafkaError | None, Message], None]
_POLL_S: Final = 0.05
_QUEUE_FULL_WAIT_S: Final = 0.005


@dataclass(frozen=True, slots=True)
class Outgoing:
    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


class DeliveryError(RuntimeError):
    """Kafka did not acknowledge some records (down, or the delivery timed out)."""


class AsyncProducer:
    def __init__(self, bootstrap: str, *, delivery_timeout_s: float = 30.0) -> None:
        self.liveness = Liveness()
        self._producer = Producer(
            {
                "bootstrap.servers": bootstrap,
                "acks": "all",
                "enable.idempotence": True,
                # Requests wait for their acknowledgements: batch briefly, never for long.
                "linger.ms": 5,
                "compression.type": "lz4",
                # A request answers 503 within this, so its sender retries, rather than hang.
                "message.timeout.ms": int(delivery_timeout_s * 1000),
                **routed("collector"),
                **self.liveness.settings(),
            }
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="collector-kafka", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            self._producer.poll(_POLL_S)

    async def send(self, records: Sequence[Outgoing]) -> None:
        """Produce every record and wait for every acknowledgement; DeliveryError if any failed."""
        if not records:
            return
        loop = asyncio.get_running_loop()
        pending: list[asyncio.Future[KafkaError | None]] = []
        for record in records:
            future: asyncio.Future[KafkaError | None] = loop.create_future()
            pending.append(future)
            await self._produce(record, _reporter(loop, future))
        errors = [e for e in await asyncio.gather(*pending) if e is not None]
        if errors:
            raise DeliveryError(f"Kafka did not acknowledge {len(errors)} records: {errors[0]}")

    async def _produce(self, record: Outgoing, report: _Report) -> None:
        while True:
            try:
                self._producer.produce(
                    record.topic,
                    key=record.key,
                    value=record.value,
                    headers=list(record.headers),
                    on_delivery=report,
                )
                return
            except BufferError:  # the local queue is full: let deliveries drain
                await asyncio.sleep(_QUEUE_FULL_WAIT_S)

    def close(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        self._thread.join()
        self._producer.flush(timeout_s)


def _reporter(
    loop: asyncio.AbstractEventLoop, future: asyncio.Future[KafkaError | None]
) -> _Report:
    def report(err: KafkaError | None, _msg: Message) -> None:
        loop.call_soon_threadsafe(_settle, future, err)

    return report


def _settle(future: asyncio.Future[KafkaError | None], err: KafkaError | None) -> None:
    if not future.done():  # a request cancelled meanwhile (its client went away)
        future.set_result(err)
