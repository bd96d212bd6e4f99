"""The dead-letter topic: rejected records with the original bytes and why.

Each DLQ record keeps the original key and value untouched; the reason and the source
position travel as headers (`dlq.reason`, `dlq.source.topic`, `dlq.source.partition`,
`dlq.source.offset`), so a fixed record can be replayed by producing its value again.

A record too large for the dead-letter topic (over `WHOLE_LIMIT` bytes of key and value, or
refused by the topic as too large) goes there truncated instead: the first `KEPT_PREFIX`
bytes of its value (and of its key), with `dlq.truncated: true` and its original sizes.
Without that, the record could never be dead-lettered and its batch would wait for ever.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from ingest.errors import DeadLetterError, KafkaRefusedError, describe, is_transient
from ingest.topics import DLQ_MAX_MESSAGE_BYTES, dlq_topic

# Key + value kept whole up to librdkafka's default message size; headers and the record's
# framing stay well inside the topic's DLQ_MAX_MESSAGE_BYTES.
WHOLE_LIMIT: Final = 1_000_000
KEPT_PREFIX: Final = 64 * 1024


@dataclass(frozen=True, slots=True)
class DeadLetter:
    topic: str  # the DLQ topic
    key: bytes | None
    value: bytes | None
    reason: str
    source_topic: str
    source_partition: int
    source_offset: int
    # Set when truncated: the original value's and key's sizes in bytes.
    original_sizes: tuple[int, int] | None = None

    @property
    def size(self) -> int:
        return len(self.key or b"") + len(self.value or b"")

    def bounded(self) -> DeadLetter:
        """Whole when the DLQ takes it whole (key + value up to WHOLE_LIMIT), else truncated."""
        return self.truncated() if self.size > WHOLE_LIMIT else self

    def truncated(self) -> DeadLetter:
        """The same letter with a bounded prefix of its value and key."""
        if self.original_sizes is not None:
            return self
        value, key = self.value or b"", self.key or b""
        return replace(
            self,
            value=value[:KEPT_PREFIX],
            key=key[:KEPT_PREFIX] if self.key is not None else None,
            original_sizes=(len(value), len(key)),
        )

    def headers(self) -> list[tuple[str, str | bytes | None]]:
        headers: list[tuple[str, str | bytes | None]] = [
            ("dlq.reason", self.reason.encode()),
            ("dlq.source.topic", self.source_topic.encode()),
            ("dlq.source.partition", str(self.source_partition).encode()),
            ("dlq.source.offset", str(self.source_offset).encode()),
        ]
        if self.original_sizes is not None:
            value_size, key_size = self.original_sizes
            headers += [
                ("dlq.truncated", b"true"),
                ("dlq.original.size", str(value_size).encode()),
                ("dlq.original.key.size", str(key_size).encode()),
            ]
        return headers


def dead_letter(
    record: Message, reason: str, redact: Callable[[bytes | None], bytes | None] | None = None
) -> DeadLetter:
    """The dead letter of a consumed record, kept whole when the DLQ can take it; `redact`
    takes the query text out of its value (ingest.search)."""
    topic = record.topic() or ""
    key, value = record.key(), record.value()
    if redact is not None and isinstance(value, bytes):
        value = redact(value)
    letter = DeadLetter(
        topic=dlq_topic(topic),
        key=key if isinstance(key, bytes) else None,
        value=value if isinstance(value, bytes) else None,
        reason=reason,
        source_topic=topic,
        source_partition=int(record.partition() or 0),
        source_offset=int(record.offset() or 0),
    )
    return letter.bounded()


@dataclass(slots=True)
class _Send:
    letter: DeadLetter
    in_flight: bool = False
    acknowledged: bool = False
    error: KafkaError | None = None


@dataclass(slots=True)
class Delivery:
    """Dead letters on their way; `wait` until Kafka acknowledged every one of them.

    A wait that times out leaves the letters in flight: the next wait does not send them
    again, so waiting out an outage does not duplicate them.
    """

    producer: Producer
    sends: list[_Send] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.sends)

    def wait(self, timeout_s: float = 10.0) -> None:
        """Raises DeadLetterError while some are not acknowledged (retry the wait),
        KafkaRefusedError when Kafka refuses one for good."""
        for _round in range(2):  # a second round only for letters truncated in the first
            for send in self.sends:
                if not (send.in_flight or send.acknowledged):
                    self._produce(send)
            self.producer.flush(timeout_s)
            if not self._sort_failures():
                break
        missing = [s for s in self.sends if not s.acknowledged]
        if missing:
            errors = [s.error for s in missing if s.error is not None]
            cause = describe(errors[-1]) if errors else f"no acknowledgement in {timeout_s:.0f}s"
            raise DeadLetterError(
                f"dead-letter topic {missing[0].letter.topic}: {len(missing)} of "
                f"{len(self.sends)} records not acknowledged ({cause})"
            )

    def _produce(self, send: _Send) -> None:
        letter = send.letter
        try:
            self.producer.produce(
                letter.topic,
                key=letter.key,
                value=letter.value,
                headers=letter.headers(),
                on_delivery=lambda err, _msg: _delivered(send, err),
            )
        except BufferError:  # the local queue is full: flush, then send it next time
            return
        except KafkaException as exc:
            error = exc.args[0]
            if error.code() == KafkaError.MSG_SIZE_TOO_LARGE and letter.original_sizes is None:
                send.letter = letter.truncated()
                self._produce(send)
                return
            if not is_transient(error):
                refusal = f"dead-letter topic {letter.topic}: {describe(error)}"
                raise KafkaRefusedError(refusal) from None
            send.error = error
            return
        send.in_flight = True
        send.error = None

    def _sort_failures(self) -> bool:
        """Failed letters go back to be sent; True when one was truncated to fit."""
        truncated = False
        for send in self.sends:
            error = send.error
            if send.acknowledged or send.in_flight or error is None:
                continue
            if error.code() == KafkaError.MSG_SIZE_TOO_LARGE and send.letter.original_sizes is None:
                # The topic's own limit is lower than ours (a DLQ created by someone else).
                send.letter = send.letter.truncated()
                truncated = True
            elif not is_transient(error):
                raise KafkaRefusedError(f"dead-letter topic {send.letter.topic}: {describe(error)}")
        return truncated


def _delivered(send: _Send, error: KafkaError | None) -> None:
    send.in_flight = False
    if error is None:
        send.acknowledged = True
        send.error = None
    else:
        send.error = error


class DeadLetterWriter:
    def __init__(self, bootstrap: str, client: Mapping[str, Any] | None = None) -> None:
        """`client`: extra librdkafka settings (the worker routes logs and errors with it)."""
        self._producer = Producer(
            {
                "bootstrap.servers": bootstrap,
                "acks": "all",
                "enable.idempotence": True,
                "message.max.bytes": DLQ_MAX_MESSAGE_BYTES,
                **(client or {}),
            }
        )

    def deliver(self, letters: list[DeadLetter]) -> Delivery:
        """Start sending; the caller waits for the acknowledgements with `Delivery.wait`."""
        return Delivery(self._producer, [_Send(letter) for letter in letters])

    def close(self) -> None:
        """Drop what is still queued (its batch is not committed, so it is sent again)."""
        self._producer.purge()
        self._producer.flush(1.0)
