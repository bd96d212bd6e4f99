"""Foreign records on a Kafka topic (`pathrank ingest --format`): Segment's or RudderStack's
JSON, one message per record, and Snowplow's enriched stream, one TSV event per record."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Final

from ingest.events import InvalidEvent
from ingest.sources import segment, snowplow
from ingest.sources.common import Invalid, Mapped, Skipped, SourceConfig
from ingest.text import NotJson, loads

# Enriched events carry their contexts; Snowplow's own collector takes up to 1 MB.
MAX_FOREIGN_BYTES: Final = 1024 * 1024

Decoder = Callable[[bytes | None], Mapping[str, object] | None]


class TopicFormat(StrEnum):
    JSONL = "jsonl"
    SEGMENT = "segment"
    SNOWPLOW = "snowplow"


def decoder(fmt: TopicFormat, config: SourceConfig) -> Decoder | None:
    """The worker's decode hook: a raw value to our event record, None for a record with
    nothing for us (skipped, not a dead letter); raises InvalidEvent. None for our own JSON,
    which the worker validates as it always has."""
    if fmt is TopicFormat.JSONL:
        return None
    mapper = _segment if fmt is TopicFormat.SEGMENT else _snowplow

    def decode(value: bytes | None) -> Mapping[str, object] | None:
        if not value:
            raise InvalidEvent("empty value")
        if len(value) > MAX_FOREIGN_BYTES:
            raise InvalidEvent("value over 1 MiB")
        mapped = mapper(value, config)
        if isinstance(mapped, Invalid):
            raise InvalidEvent(mapped.reason)
        return None if isinstance(mapped, Skipped) else mapped

    return decode


def _segment(value: bytes, config: SourceConfig) -> Mapped:
    try:
        message = loads(value)
    except NotJson:
        return Invalid("not valid JSON")
    if isinstance(message, dict) and "batch" in message:
        return Invalid("a batch: one message per record")
    return segment.map_message(message, config)


def _snowplow(value: bytes, config: SourceConfig) -> Mapped:
    return snowplow.map_enriched(value, config)
