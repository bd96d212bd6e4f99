"""The dead-letter topic: invalid records with the original bytes and why.

Each DLQ record keeps the original key and value untouched; the reason and the
source position travel as headers (`dlq.reason`, `dlq.source.topic`,
`dlq.source.partition`, `dlq.source.offset`), so a fixed record can be replayed
by producing its value again.
"""

from __future__ import annotations

from dataclasses import dataclass

from confluent_kafka import Producer

from ingest.errors import DeadLetterError


@dataclass(frozen=True, slots=True)
class DeadLetter:
    topic: str  # the DLQ topic
    key: bytes | None
    value: bytes | None
    reason: str
    source_topic: str
    source_partition: int
    source_offset: int

    def headers(self) -> list[tuple[str, str | bytes | None]]:
        return [
            ("dlq.reason", self.reason.encode()),
            ("dlq.source.topic", self.source_topic.encode()),
            ("dlq.source.partition", str(self.source_partition).encode()),
            ("dlq.source.offset", str(self.source_offset).encode()),
        ]


class DeadLetterWriter:
    def __init__(self, bootstrap: str) -> None:
        self._producer = Producer(
            {"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True}
        )

    def write(self, letters: list[DeadLetter], timeout_s: float = 30.0) -> None:
        """Send and wait for every acknowledgement; raises so offsets are not committed."""
        if not letters:
            return
        failures: list[str] = []

        def on_delivery(err: object, _msg: object) -> None:
            if err is not None:
                failures.append(str(err))

        for letter in letters:
            self._producer.produce(
                letter.topic,
                key=letter.key,
                value=letter.value,
                headers=letter.headers(),
                on_delivery=on_delivery,
            )
        remaining = self._producer.flush(timeout_s)
        if remaining or failures:
            raise DeadLetterError(
                f"dead-letter topic did not acknowledge {remaining or len(failures)} records"
            )
