"""Typed failures of ingest, so the worker decides by type, never by message text."""

from __future__ import annotations


class IngestError(RuntimeError):
    """Base of ingest's own failures."""


class KafkaUnavailableError(IngestError):
    """Kafka did not acknowledge or accept what was sent in time (broker down, restarting)."""


class DeadLetterError(KafkaUnavailableError):
    """The dead-letter topic did not acknowledge every record: the batch must not commit."""


class CommitError(KafkaUnavailableError):
    """Kafka refused the offset commit of one or more partitions."""
