"""Reading back what landed on a topic, for the source and collector tests."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from confluent_kafka import Consumer


@dataclass(frozen=True)
class Landed:
    topic: str
    key: bytes | None
    value: bytes
    headers: dict[str, str]

    @property
    def event(self) -> dict[str, Any]:
        loaded: dict[str, Any] = orjson.loads(self.value)
        return loaded


def read_topics(
    bootstrap: str, topics: list[str], *, expect: int | None = None, quiet_s: float = 3.0
) -> list[Landed]:
    """Everything on `topics` from the start: until `expect` records arrived and then
    `quiet_s` more without any (so that extra records would be seen), or 60 s."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"read-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe(topics)
    landed: list[Landed] = []
    deadline = time.monotonic() + 60
    last = time.monotonic()
    try:
        while time.monotonic() < deadline:
            m = consumer.poll(0.5)
            if m is None or m.error() is not None:
                enough = expect is None or len(landed) >= expect
                if enough and time.monotonic() - last > quiet_s:
                    break
                continue
            last = time.monotonic()
            headers = {k: (v or b"").decode() for k, v in m.headers() or []}
            landed.append(Landed(m.topic() or "", m.key(), m.value() or b"", headers))
    finally:
        consumer.close()
    return landed
