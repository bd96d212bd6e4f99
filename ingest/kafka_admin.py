"""Removing what ingest keeps in Kafka: topics and a consumer group's committed offsets."""

from __future__ import annotations

from collections.abc import Sequence

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

from ingest.errors import IngestError
from ingest.kafka_client import routed

TIMEOUT_S = 30.0


class GroupInUseError(IngestError):
    """The consumer group has live members: a worker still runs."""


def existing_topics(bootstrap: str, names: Sequence[str]) -> list[str]:
    admin = AdminClient({"bootstrap.servers": bootstrap, **routed("admin")})
    topics = admin.list_topics(timeout=TIMEOUT_S).topics
    return [n for n in names if n in topics]


def delete_topics(bootstrap: str, names: Sequence[str]) -> list[str]:
    """Delete the topics of `names` that exist; the ones deleted."""
    present = existing_topics(bootstrap, names)
    if not present:
        return []
    admin = AdminClient({"bootstrap.servers": bootstrap, **routed("admin")})
    for future in admin.delete_topics(present, operation_timeout=TIMEOUT_S).values():
        future.result(timeout=TIMEOUT_S)
    return present


def delete_group(bootstrap: str, group: str) -> bool:
    """Forget a consumer group's committed offsets; False if it had none."""
    admin = AdminClient({"bootstrap.servers": bootstrap, **routed("admin")})
    future = admin.delete_consumer_groups([group], request_timeout=TIMEOUT_S)[group]
    try:
        future.result(timeout=TIMEOUT_S)
    except KafkaException as exc:
        code = exc.args[0].code()
        if code in (KafkaError.GROUP_ID_NOT_FOUND, KafkaError._UNKNOWN_GROUP):
            return False
        if code == KafkaError.NON_EMPTY_GROUP:
            raise GroupInUseError(
                f"consumer group {group!r} has running members: stop `pathrank ingest` first"
            ) from exc
        raise
    return True
