"""`pathrank ingest --until-idle S` exits only when nothing is left (docs/ingest.md,
"Stopping"): every partition it was assigned is read to its end and committed, and a single
worker waits for partitions a dead member still holds. Slow batches and dead members come
from the fault hooks (pathrank.faults): real processes, real Kafka and Neo4j."""

from __future__ import annotations

import os
import pty
import subprocess
import time
import uuid

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from tests.conftest import PATHRANK, REPO
from tests.integration.backlog import produce_backlog
from tests.integration.ingest_helpers import (
    RunningIngest,
    TestGraph,
    ingest_until_idle,
    reference,
    snapshot,
    valid_clicks,
)


def test_a_batch_slower_than_the_idle_limit_is_no_idle_time(
    store: TestGraph, names: dict[str, str], kafka_bootstrap: str
) -> None:
    """The first batch's write takes four times the limit: the worker still reads every
    partition to its end before it exits."""
    topic = f"slow-{uuid.uuid4().hex[:8]}"
    events = valid_clicks(30, 8)
    produce_backlog(kafka_bootstrap, topic, events, by_customer=False)
    env = {**names, "PATHRANK_TOPIC": topic, "PATHRANK_INGEST_FAULT": "write@1:sleep:4"}
    result = ingest_until_idle(env, "--batch-size", "40", idle="1")
    assert f"; 0 events of {topic} left unread by the group" in result.stdout
    assert f"ingested {len(events)} records" in result.stdout
    assert snapshot(store.driver) == reference(events)


def test_a_single_worker_waits_for_the_partitions_a_dead_member_holds(
    store: TestGraph, names: dict[str, str], kafka_bootstrap: str
) -> None:
    """Worker B reads alone, then A joins, takes some partitions and dies in its first batch,
    holding them (uncommitted) until its session times out. B, done with its own, does not
    exit: it takes A's partitions over and reads them before it exits."""
    topic = f"dead-{uuid.uuid4().hex[:8]}"
    events = valid_clicks(45, 8)
    produce_backlog(kafka_bootstrap, topic, events, by_customer=False)
    env = {**names, "PATHRANK_TOPIC": topic}
    # B's first batch takes 8 s to write: A joins meanwhile, while every partition still
    # has records left, so A's partitions have some.
    slow = {"PATHRANK_INGEST_FAULT": "write@1:sleep:8"}
    b = RunningIngest(env | slow, "--batch-size", "20", "--until-idle", "2")
    a: RunningIngest | None = None
    try:
        assert holders(kafka_bootstrap, names["PATHRANK_GROUP"], 1), b.stderr[-2000:]
        a = RunningIngest(env | {"PATHRANK_INGEST_FAULT": "written@1:kill"}, "--batch-size", "20")
        a_code, _ = a.finish(timeout=120)
        b_code, b_out = b.finish(timeout=300)
    finally:
        b.kill()
        if a is not None:
            a.kill()
    assert a_code == -9, a.stderr[-2000:]
    assert b_code == 0, b.stderr[-2000:]
    assert f"; 0 events of {topic} left unread by the group" in b_out
    assert snapshot(store.driver) == reference(events)


def test_on_a_terminal_it_shows_its_progress_with_the_group_s_lag(
    store: TestGraph, names: dict[str, str], kafka_bootstrap: str
) -> None:
    """On a terminal (a pseudo-terminal here), `--until-idle` shows the records written
    against the group's lag; in a pipe (every other test) it logs a line per batch."""
    topic = f"tty-{uuid.uuid4().hex[:8]}"
    events = valid_clicks(10, 6)
    produce_backlog(kafka_bootstrap, topic, events, by_customer=False)
    env = {**os.environ, **names, "PATHRANK_TOPIC": topic, "COLUMNS": "200"}
    main, terminal = pty.openpty()
    args = [PATHRANK, "ingest", "--until-idle", "1", "--batch-size", "20"]
    proc = subprocess.Popen(args, env=env, cwd=REPO, stdout=terminal, stderr=terminal)
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the terminal closed: the process exited
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    assert proc.wait(60) == 0, shown[-2000:]
    text = shown.decode(errors="replace")
    assert f"ingesting {topic}" in text
    assert "60/60" in text  # records written of written + lag
    assert "lag 0" in text
    assert "batch 1:" not in text  # no log line per batch
    assert f"; 0 events of {topic} left unread by the group" in text
    assert store.counts().clicks == len(events)


def holders(bootstrap: str, group: str, members: int) -> bool:
    """Whether `members` members of the group hold partitions, within a minute."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            found = admin.describe_consumer_groups([group])[group].result(timeout=10)
        except KafkaException:
            found = None
        if found is not None:
            holding = [m for m in found.members if m.assignment.topic_partitions]
            if len(holding) >= members:
                return True
        time.sleep(0.2)
    return False
