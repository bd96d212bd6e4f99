"""Kafka topics ingest reads and writes, created when missing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from ingest.kafka_client import routed

# A dead-letter topic's own record size limit, set when ingest creates it (the broker's
# default is about the same, but a DLQ must not depend on how the broker happens to be set).
DLQ_MAX_MESSAGE_BYTES = 1024 * 1024


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


def _dlq(topic: str) -> NewTopic:
    return NewTopic(
        dlq_topic(topic),
        num_partitions=1,
        replication_factor=1,
        config={"max.message.bytes": str(DLQ_MAX_MESSAGE_BYTES)},
    )


def ensure_topics(
    bootstrap: str,
    clicks: str,
    pages: str | None,
    partitions: int = 3,
    client: Mapping[str, Any] | None = None,
) -> None:
    """Clicks (keyed by customer), its DLQ, and the compacted site catalog. `client`: extra
    librdkafka settings (the worker routes the client's logs with it)."""
    wanted = [
        NewTopic(clicks, num_partitions=partitions, replication_factor=1),
        _dlq(clicks),
    ]
    if pages:
        wanted += [
            NewTopic(
                pages,
                num_partitions=1,
                replication_factor=1,
                config={"cleanup.policy": "compact"},
            ),
            _dlq(pages),
        ]
    _create_missing(bootstrap, wanted, client)


def ensure_topic(
    bootstrap: str, name: str, partitions: int, client: Mapping[str, Any] | None = None
) -> None:
    """One plain topic (e.g. `assist`), created when missing."""
    _create_missing(
        bootstrap, [NewTopic(name, num_partitions=partitions, replication_factor=1)], client
    )


def _create_missing(
    bootstrap: str, wanted: list[NewTopic], client: Mapping[str, Any] | None
) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap, **routed("topics"), **(client or {})})
    existing = set(admin.list_topics(timeout=15).topics)
    missing = [t for t in wanted if t.topic not in existing]
    if not missing:
        return
    for future in admin.create_topics(missing, operation_timeout=15).values():
        try:
            future.result(timeout=30)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise
