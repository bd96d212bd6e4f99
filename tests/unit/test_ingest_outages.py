"""Outages and dead letters, the pure parts: Kafka error codes sorted, the backoff, the one
log line per retry, stop requests, and the truncation of records too large for the DLQ."""

from __future__ import annotations

import logging
import threading

import pytest
from confluent_kafka import KafkaError
from hypothesis import given
from hypothesis import strategies as st
from neo4j.exceptions import ServiceUnavailable

from ingest.dead_letters import KEPT_PREFIX, WHOLE_LIMIT, DeadLetter
from ingest.errors import (
    CommitError,
    KafkaRefusedError,
    KafkaUnavailableError,
    StopRequested,
    is_transient,
    kafka_failure,
    membership_lost,
    refuses_consumer,
)
from ingest.outages import Outages, backoff_delays, outage_line

# --- Kafka's error codes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        KafkaError._WAIT_COORD,  # the commit while the broker was killed
        KafkaError._TRANSPORT,
        KafkaError._ALL_BROKERS_DOWN,
        KafkaError._MSG_TIMED_OUT,  # a dead letter never acknowledged
        KafkaError.COORDINATOR_LOAD_IN_PROGRESS,  # the broker just restarted
        KafkaError.NOT_COORDINATOR,
    ],
)
def test_outage_codes_are_transient(code: int) -> None:
    error = KafkaError(code)
    assert is_transient(error)
    assert isinstance(kafka_failure(error, "offset commit", CommitError), CommitError)
    assert not refuses_consumer(error)


@pytest.mark.parametrize(
    "code",
    [KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError._INVALID_ARG],
)
def test_refusals_are_not_retried(code: int) -> None:
    failure = kafka_failure(KafkaError(code), "dead-letter write")
    assert isinstance(failure, KafkaRefusedError)
    assert str(failure).startswith("dead-letter write: ")


def test_a_fatal_error_is_never_transient() -> None:
    fatal = KafkaError(KafkaError._TRANSPORT, fatal=True)
    assert not is_transient(fatal)
    assert refuses_consumer(fatal)


@pytest.mark.parametrize("code", [KafkaError.UNKNOWN_MEMBER_ID, KafkaError.ILLEGAL_GENERATION])
def test_a_group_that_moved_on_drops_the_commit(code: int) -> None:
    assert membership_lost(KafkaError(code))
    assert not membership_lost(KafkaError(KafkaError._WAIT_COORD))


# --- backoff and the log line -----------------------------------------------------------------


def test_backoff_is_one_second_doubling_to_thirty() -> None:
    delays = backoff_delays()
    assert [next(delays) for _ in range(8)] == [1, 2, 4, 8, 16, 30, 30, 30]


@given(st.floats(0.001, 100), st.floats(0.001, 100))
def test_backoff_never_shrinks_nor_exceeds_its_cap(first: float, cap: float) -> None:
    delays = backoff_delays(first, cap)
    seen = [next(delays) for _ in range(30)]
    assert all(0 < d <= cap for d in seen)
    assert seen == sorted(seen)
    assert seen[-1] == cap


def test_the_line_names_the_outage_for_both_systems() -> None:
    kafka = outage_line(KafkaUnavailableError("offset commit: _WAIT_COORD: no"), "the commit", 4)
    assert kafka == (
        "Kafka unreachable (offset commit: _WAIT_COORD: no); retrying the commit in 4s, "
        "nothing is skipped"
    )
    neo4j = outage_line(ServiceUnavailable("Couldn't connect\nto x"), "the same batch", 1)
    assert neo4j == (
        "Neo4j unreachable (ServiceUnavailable: Couldn't connect to x); retrying the same "
        "batch in 1s, nothing is skipped"
    )


def _outages() -> tuple[Outages, list[str]]:
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    log = logging.getLogger(f"test-outages-{id(lines)}")
    log.addHandler(Collect())
    log.propagate = False
    return Outages(log, max_backoff_s=0.01), lines


def test_retry_waits_out_either_outage_with_one_line_per_retry() -> None:
    outages, lines = _outages()
    failures = [KafkaUnavailableError("commit: _WAIT_COORD"), ServiceUnavailable("down")]

    def action() -> str:
        if failures:
            raise failures.pop(0)
        return "done"

    assert outages.retry(action) == "done"
    assert [line.split(" (")[0] for line in lines] == ["Kafka unreachable", "Neo4j unreachable"]


def test_retry_raises_what_is_not_an_outage() -> None:
    outages, lines = _outages()

    def action() -> None:
        raise KafkaRefusedError("dead-letter topic: MSG_SIZE_TOO_LARGE")

    with pytest.raises(KafkaRefusedError):
        outages.retry(action)
    assert lines == []


def test_a_stop_request_ends_the_wait_but_not_a_first_attempt() -> None:
    outages = Outages(logging.getLogger("test-stop"), max_backoff_s=60)
    outages.stop()
    assert outages.retry(lambda: "committed") == "committed"  # written work still commits

    def down() -> None:
        raise ServiceUnavailable("down")

    with pytest.raises(StopRequested):
        outages.retry(down)  # would wait 1 s, 2 s ... for ever


def test_a_stop_from_another_thread_interrupts_a_long_wait() -> None:
    outages = Outages(logging.getLogger("test-stop-thread"), max_backoff_s=60)
    timer = threading.Timer(0.2, outages.stop)
    timer.start()
    with pytest.raises(StopRequested):
        outages.wait(ServiceUnavailable("down"), "the same batch", 60)
    timer.join()


# --- dead letters too large for the DLQ -------------------------------------------------------


def letter(value: bytes | None, key: bytes | None = b"c1") -> DeadLetter:
    return DeadLetter("clicks.dlq", key, value, "value over 64 KiB", "clicks", 2, 41)


def test_a_letter_the_dlq_takes_whole_is_unchanged() -> None:
    whole = letter(b"x" * (WHOLE_LIMIT - 2), key=b"c1")
    assert whole.bounded() == whole
    assert "dlq.truncated" not in dict(whole.headers())


def test_a_letter_too_large_keeps_a_prefix_and_says_so() -> None:
    value = bytes(range(256)) * 4000  # 1,024,000 bytes
    cut = letter(value).bounded()
    assert cut.value == value[:KEPT_PREFIX]
    assert cut.key == b"c1"
    assert dict(cut.headers()) == {
        "dlq.reason": b"value over 64 KiB",
        "dlq.source.topic": b"clicks",
        "dlq.source.partition": b"2",
        "dlq.source.offset": b"41",
        "dlq.truncated": b"true",
        "dlq.original.size": b"1024000",
        "dlq.original.key.size": b"2",
    }
    assert cut.truncated() == cut  # truncated once


@given(value_size=st.integers(0, 3 * WHOLE_LIMIT), key_size=st.integers(0, 2 * WHOLE_LIMIT))
def test_what_goes_to_the_dlq_is_bounded(value_size: int, key_size: int) -> None:
    original = letter(b"v" * value_size, b"k" * key_size)
    sent = original.bounded()
    if value_size + key_size <= WHOLE_LIMIT:
        assert sent == original
    else:
        assert len(sent.value or b"") == min(value_size, KEPT_PREFIX)
        assert len(sent.key or b"") == min(key_size, KEPT_PREFIX)
        assert sent.original_sizes == (value_size, key_size)
    assert sent.size <= WHOLE_LIMIT
