"""Typed failures of ingest, so the worker decides by type and error code, never by message
text. Kafka's errors arrive as codes (KafkaError); they are sorted here once."""

from __future__ import annotations

from typing import Final

from confluent_kafka import KafkaError


class IngestError(RuntimeError):
    """Base of ingest's own failures."""


class KafkaUnavailableError(IngestError):
    """Kafka did not answer or acknowledge in time (broker down, restarting, no coordinator):
    wait and retry the same work."""


class DeadLetterError(KafkaUnavailableError):
    """The dead-letter topic did not acknowledge every record: the batch must not commit."""


class CommitError(KafkaUnavailableError):
    """Kafka could not take the offset commit now."""


class KafkaRefusedError(IngestError):
    """Kafka refused a request for a reason no retry fixes (authorisation, configuration):
    the worker stops without committing."""


class StopRequested(IngestError):  # noqa: N818 -- a request, not a failure
    """SIGTERM/SIGINT while the worker waited out an outage: the batch in hand is abandoned
    uncommitted (a restart replays it)."""


# Codes that mean "not now": the broker or coordinator is away, starting, or moving.
_TRANSIENT: Final = frozenset(
    {
        KafkaError._TRANSPORT,
        KafkaError._ALL_BROKERS_DOWN,
        KafkaError._WAIT_COORD,
        KafkaError._TIMED_OUT,
        KafkaError._MSG_TIMED_OUT,
        KafkaError._TIMED_OUT_QUEUE,
        KafkaError._RESOLVE,
        KafkaError._QUEUE_FULL,
        KafkaError._UNKNOWN_PARTITION,
        KafkaError._UNKNOWN_TOPIC,
        KafkaError.NETWORK_EXCEPTION,
        KafkaError.REQUEST_TIMED_OUT,
        KafkaError.COORDINATOR_NOT_AVAILABLE,
        KafkaError.NOT_COORDINATOR,
        KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
        KafkaError.LEADER_NOT_AVAILABLE,
        KafkaError.NOT_LEADER_FOR_PARTITION,
        KafkaError.NOT_ENOUGH_REPLICAS,
        KafkaError.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        KafkaError.BROKER_NOT_AVAILABLE,
        KafkaError.UNKNOWN_TOPIC_OR_PART,
        KafkaError.KAFKA_STORAGE_ERROR,
        # Not polled for max.poll.interval.ms (a very long Neo4j outage): it rejoins.
        KafkaError._MAX_POLL_EXCEEDED,
    }
)

# Commit refusals that mean the group moved on without this member (a session that timed
# out during an outage, a rebalance): the partitions' next owner replays the batch, which
# changes nothing, so the commit is dropped rather than retried.
_MEMBERSHIP_LOST: Final = frozenset(
    {
        KafkaError.ILLEGAL_GENERATION,
        KafkaError.UNKNOWN_MEMBER_ID,
        KafkaError.REBALANCE_IN_PROGRESS,
        KafkaError.FENCED_INSTANCE_ID,
        KafkaError._ASSIGNMENT_LOST,
    }
)


# What the consumer may report beside the records that no waiting fixes. Everything else it
# reports (a broker down, all brokers down, no coordinator) is an outage to wait out.
_CONSUMER_REFUSALS: Final = frozenset(
    {
        KafkaError.TOPIC_AUTHORIZATION_FAILED,
        KafkaError.GROUP_AUTHORIZATION_FAILED,
        KafkaError.CLUSTER_AUTHORIZATION_FAILED,
        KafkaError.SASL_AUTHENTICATION_FAILED,
        KafkaError._AUTHENTICATION,
        KafkaError._SSL,
        KafkaError._FATAL,
    }
)


def refuses_consumer(error: KafkaError) -> bool:
    return error.fatal() or error.code() in _CONSUMER_REFUSALS


def is_transient(error: KafkaError) -> bool:
    return not error.fatal() and (error.retriable() or error.code() in _TRANSIENT)


def membership_lost(error: KafkaError) -> bool:
    return error.code() in _MEMBERSHIP_LOST


def describe(error: KafkaError) -> str:
    """`CODE: message`, one line."""
    text = " ".join(str(error.str() or "").split())
    return f"{error.name()}: {text}" if text else str(error.name())


def kafka_failure(
    error: KafkaError,
    doing: str,
    unavailable: type[KafkaUnavailableError] = KafkaUnavailableError,
) -> IngestError:
    """The typed failure of `doing` (e.g. "offset commit") that failed with `error`."""
    message = f"{doing}: {describe(error)}"
    if is_transient(error):
        return unavailable(message)
    return KafkaRefusedError(message)
