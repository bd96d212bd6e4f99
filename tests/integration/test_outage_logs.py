"""Kafka going down under `pathrank serve`: the log gets a line a minute per Kafka client, not
twenty a second, and /healthz says which parts are down, then that they are back.

The Kafka here is a private one (its own ports and data, the assembled server shared), so
stopping it stops nobody else's. The window is scaled: PATHRANK_LOG_repeat_s is the log's
minute, and the outage lasts one of them (60 s in the long tier).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from pathrank.services.kafka_server import KafkaConfig, KafkaServer
from pathrank.services.layout import Layout
from pathrank.services.versions import VERSIONS
from tests.integration.api_server import Served, free_port, serving
from tests.integration.ingest_helpers import fresh_names
from tests.tiers import tiered

MAX_LINES = 10


@pytest.fixture
def kafka(tmp_path: Path, services: dict[str, Any]) -> Iterator[KafkaServer]:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "dist").symlink_to(Path(services["cache_dir"]) / "dist")
    server = KafkaServer(Layout(cache), VERSIONS, KafkaConfig(free_port(), free_port(), "256m"))
    server.start(server.prepare())
    try:
        server.wait_ready(120)
        yield server
    finally:
        server.stop()


def _health(served: Served) -> dict[str, Any]:
    response = httpx.get(f"{served.url}/healthz", timeout=30)
    body: dict[str, Any] = response.json()
    return body


def _until(check: Callable[[], bool], within_s: float, what: str) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.5)


# The log's repeat interval and the outage's length: 5 s in `make test`, a minute in soak.
@pytest.mark.parametrize("repeat_s", tiered(5, 60))
def test_a_kafka_outage_logs_a_line_a_minute_and_health_tells_it(
    repeat_s: int, services: dict[str, Any], kafka: KafkaServer
) -> None:
    names = fresh_names()
    admin = AdminClient({"bootstrap.servers": kafka.bootstrap})
    for future in admin.create_topics([NewTopic(names["PATHRANK_ASSIST_TOPIC"], 1)]).values():
        future.result(30)
    env = {
        **names,
        "PATHRANK_KAFKA_BOOTSTRAP": kafka.bootstrap,
        "PATHRANK_WRITE_KEY": "outage-key",
        "PATHRANK_LOG_repeat_s": str(repeat_s),
    }
    with serving(services, **env) as served:
        up = {"status": "ok", "neo4j": "up", "assist": "live", "collector": "up"}
        _until(lambda: _health(served) == up, 60, "the server never saw Kafka")
        before = len(served.log_lines())
        kafka.stop()
        started = time.monotonic()
        down = {"status": "degraded", "neo4j": "up", "assist": "down", "collector": "down"}
        _until(lambda: _health(served) == down, 60, "/healthz did not tell the outage")
        time.sleep(max(0.0, repeat_s - (time.monotonic() - started)))  # the window measured
        added = served.log_lines()[before:]
        assert len(added) <= MAX_LINES, "\n".join(added)
        assert any("kafka" in line for line in added)  # the outage is said, once
        kafka.start(kafka.prepare())
        kafka.wait_ready(120)
        _until(
            lambda: _health(served)["status"] == "ok",
            120,
            "/healthz did not see Kafka come back",
        )
