"""Logging under hostile conditions: a source that repeats is throttled to a line per
interval (with the count held back), librdkafka's lines reach Python's logging instead of
stderr, and the WebSocket message checks name what is wrong."""

from __future__ import annotations

import itertools
import logging
import socket
import time
from pathlib import Path

import pytest
from confluent_kafka import Producer
from hypothesis import given, settings
from hypothesis import strategies as st

from graphql_api.ws import legacy_problem, transport_problem
from ingest.kafka_client import Liveness, load_properties, logged, routed, use_properties
from pathrank.logs import OncePerInterval
from tests.tiers import examples


def _record(name: str, message: str = "down") -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, message, (), None)


def test_a_repeating_source_logs_once_per_interval_with_the_count_held_back() -> None:
    now = [0.0]
    throttle = OncePerInterval(interval_s=60, clock=lambda: now[0])
    passed = []
    for second in range(0, 180):  # twenty lines a second for three minutes
        now[0] = float(second)
        for _ in range(20):
            record = _record("kafka.collector")
            if throttle.filter(record):
                passed.append(record.getMessage())
    assert len(passed) == 3
    assert passed[0] == "down"
    assert passed[1] == "down (and 1199 more lines like it in the last 60s)"


def test_other_loggers_and_other_sources_are_not_held_back() -> None:
    throttle = OncePerInterval(interval_s=60, clock=lambda: 0.0)
    assert throttle.filter(_record("kafka.collector"))
    assert throttle.filter(_record("kafka.assist-feed"))  # its own source, its own line
    assert not throttle.filter(_record("kafka.collector"))
    assert all(throttle.filter(_record("ingest")) for _ in range(100))


@settings(max_examples=examples(200))
@given(st.lists(st.floats(min_value=0, max_value=600), min_size=1, max_size=200))
def test_never_more_than_a_line_per_interval_whatever_the_times(times: list[float]) -> None:
    now = [0.0]
    throttle = OncePerInterval(interval_s=60, clock=lambda: now[0])
    passed = []
    for t in sorted(times):
        now[0] = t
        if throttle.filter(_record("neo4j")):
            passed.append(t)
    assert all(b - a >= 60 for a, b in itertools.pairwise(passed))
    assert passed[0] == min(times)


def test_librdkafka_lines_go_to_logging_not_stderr(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """A producer whose broker is not there: its complaints are log records."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed again: nobody listens there
    liveness = Liveness(interval_ms=200)
    producer = Producer(
        {
            "bootstrap.servers": f"127.0.0.1:{port}",
            "reconnect.backoff.ms": 50,
            **routed("unit"),
            **liveness.settings(),
        }
    )
    with caplog.at_level(logging.DEBUG, logger="kafka"):
        deadline = time.monotonic() + 30
        while not any(r.name == "kafka.unit" for r in caplog.records) or liveness.up is None:
            assert time.monotonic() < deadline
            producer.poll(0.1)
    assert liveness.up is False
    assert "Connect to" in " ".join(r.getMessage() for r in caplog.records)
    assert "rdkafka" not in capfd.readouterr().err


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        ({"type": "subscribe", "id": "1", "payload": "hello"}, "`payload` must be an object"),
        ({"type": "subscribe", "id": "1", "payload": {"query": 42}}, "`payload.query`"),
        ({"type": "subscribe", "id": 1, "payload": {"query": "{ a }"}}, "`id` must be"),
        (
            {"type": "subscribe", "id": "1", "payload": {"query": "q", "variables": []}},
            "`payload.variables`",
        ),
        ({"type": "complete"}, "`id` must be"),
        ({"type": "connection_init", "payload": "x"}, "`payload` must be an object or null"),
        ("hello", "a message is an object"),
        ({"type": 3}, "a message is an object"),
    ],
)
def test_malformed_transport_messages_are_named(message: object, problem: str) -> None:
    found = transport_problem(message)
    assert found is not None
    assert problem in found


def test_well_formed_messages_pass() -> None:
    subscribe = {"type": "subscribe", "id": "1", "payload": {"query": "subscription { a }"}}
    assert transport_problem(subscribe) is None
    assert transport_problem({"type": "ping"}) is None
    start = {"type": "start", "id": "1", "payload": {"query": "subscription { a }"}}
    assert legacy_problem(start) is None
    assert legacy_problem({"type": "stop", "id": "1"}) is None


def test_malformed_legacy_messages_are_named() -> None:
    found = legacy_problem({"type": "start", "id": "1", "payload": None})
    assert found is not None
    assert "`payload` must be an object" in found
    assert legacy_problem({"type": "bogus"}) == "unknown message type 'bogus'"


def test_the_clusters_properties_reach_every_client(tmp_path: Path) -> None:
    path = tmp_path / "kafka.properties"
    path.write_text("# TLS and SASL\nsecurity.protocol=SASL_SSL\n\nsasl.username = ingest\n")
    try:
        use_properties(load_properties(path))
        settings = routed("collector")
        assert settings["security.protocol"] == "SASL_SSL"
        assert settings["sasl.username"] == "ingest"
        assert "security.protocol" not in logged("services")  # the local servers: plain
    finally:
        use_properties({})
    path.write_text("security.protocol\n")
    with pytest.raises(ValueError, match=r"kafka\.properties:1: expected key=value"):
        load_properties(path)
