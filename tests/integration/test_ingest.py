"""Ingest against real Kafka and Neo4j: exact paths, DLQ, replays, crashes, restarts, and
outages of either server (a Neo4j outage, a Kafka broker killed mid-batch) ridden out."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from simulator import SimulationConfig, simulate
from tests.conftest import run_cli
from tests.integration.ingest_helpers import (
    TIMEOUT_MS,
    TestGraph,
    headers_of,
    ingest_until_idle,
    live_path_stats,
    produce_events,
    produce_raw,
    read_dead_letters,
    reference,
    service_manager,
    snapshot,
    start_ingest,
)
from tests.integration.tcp_cut import CuttableRelay

SEED_CSV = """TimeStamp,CustomerID,NextPageID,IsResolved
1515764691,1,28,False
1515764752,2,35,False
1515764876,2,42,True
1515764997,1,35,False
1515765000,1,42,True
"""


def test_seed_scenario_end_to_end(store: TestGraph, names: dict[str, str], tmp_path: Path) -> None:
    seed = tmp_path / "seed.csv"
    seed.write_text(SEED_CSV)
    produced = run_cli("produce", str(seed), env=names)
    assert produced.returncode == 0, produced.stderr
    assert "produced 5 events" in produced.stdout
    ingest_until_idle(names)
    paths = sorted(store.paths(), key=lambda p: p.customer_id)
    assert [(p.customer_id, p.pages, p.start, p.length, p.outcome) for p in paths] == [
        ("1", ("28", "35", "42"), 1515764691000, 3, "RESOLVED"),
        ("2", ("35", "42"), 1515764752000, 2, "RESOLVED"),
    ]
    assert store.transitions() == {("28", "35"): (1, 0), ("35", "42"): (2, 0)}


def test_produce_reports_bad_lines_with_numbers(names: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "mixed.jsonl"
    data.write_text(
        '{"customer_id": "a", "page_id": "p1", "timestamp": 1700000000}\n'
        "not json\n"
        '{"customer_id": "a", "timestamp": 1700000001}\n'
        '{"customer_id": "a", "page_id": "p2", "timestamp": "2023-11-14T22:13:22Z"}\n'
    )
    result = run_cli("produce", str(data), env=names)
    assert result.returncode == 0, result.stderr
    assert "produced 2 events" in result.stdout
    assert "skipped 2 bad lines" in result.stdout
    assert f"{data}:2:" in result.stderr
    assert f"{data}:3:" in result.stderr


def test_timeout_boundary(store: TestGraph, names: dict[str, str], kafka_bootstrap: str) -> None:
    t0 = 1_700_000_000_000
    events = [
        # equal gap: one path of 2 clicks
        {"customer_id": "eq", "page_id": "a", "timestamp": t0},
        {"customer_id": "eq", "page_id": "b", "timestamp": t0 + TIMEOUT_MS},
        # one millisecond more: two paths, the first ABANDONED
        {"customer_id": "gt", "page_id": "a", "timestamp": t0},
        {"customer_id": "gt", "page_id": "b", "timestamp": t0 + TIMEOUT_MS + 1},
        # the watermark (latest event) ends up exactly one timeout after "eq"'s last click
        {"customer_id": "wm", "page_id": "z", "timestamp": t0 + 2 * TIMEOUT_MS},
    ]
    produce_events(kafka_bootstrap, names["PATHRANK_TOPIC"], events)
    ingest_until_idle(names)
    got = {(p.customer_id, p.pages, p.outcome) for p in store.paths()}
    assert got == {
        ("eq", ("a", "b"), "OPEN"),  # watermark - last == timeout: still open
        ("gt", ("a",), "ABANDONED"),
        ("gt", ("b",), "OPEN"),
        ("wm", ("z",), "OPEN"),
    }
    # One more event a millisecond later closes "eq" but not "gt"'s second path.
    produce_events(
        kafka_bootstrap,
        names["PATHRANK_TOPIC"],
        [{"customer_id": "wm", "page_id": "y", "timestamp": t0 + 2 * TIMEOUT_MS + 1}],
    )
    ingest_until_idle(names)
    outcomes = {(p.customer_id, p.pages): p.outcome for p in store.paths()}
    assert outcomes[("eq", ("a", "b"))] == "ABANDONED"
    assert outcomes[("gt", ("b",))] == "OPEN"


def test_outcome_markers_end_paths_count_orphans_and_a_replay_changes_nothing(
    store: TestGraph, names: dict[str, str], kafka_bootstrap: str
) -> None:
    t0, m = 1_700_000_000_000, 60_000
    ios, web = {"platform": "ios"}, {"platform": "web", "locale": "de"}
    events: list[dict[str, Any]] = [
        # a vote ends the path as RESOLVED; its page adds nothing
        {"customer_id": "r", "page_id": "a", "timestamp": t0, "attributes": ios},
        {"customer_id": "r", "page_id": "b", "timestamp": t0 + m, "attributes": web},
        {"customer_id": "r", "page_id": "b", "timestamp": t0 + 2 * m, "event_type": "resolution"},
        # a ticket ends it as ESCALATED, and needs no page
        {"customer_id": "e", "page_id": "a", "timestamp": t0},
        {"customer_id": "e", "page_id": "c", "timestamp": t0 + m},
        {"customer_id": "e", "type": "escalation", "timestamp": t0 + 3 * m},
        # before any click, and after the timeout: two orphans
        {"customer_id": "o", "event_type": "escalation", "timestamp": t0},
        {"customer_id": "o", "page_id": "a", "timestamp": t0 + m},
        {"customer_id": "o", "event_type": "resolution", "timestamp": t0 + m + TIMEOUT_MS + 1},
        # closes every path left open
        {"customer_id": "w", "page_id": "z", "timestamp": t0 + 3 * TIMEOUT_MS},
    ]
    # Delivered newest first, each twice.
    produce_events(kafka_bootstrap, names["PATHRANK_TOPIC"], events[::-1] + events)
    ingest_until_idle(names)
    got = {(p.customer_id, p.pages, p.outcome, p.segments) for p in store.paths()}
    assert got == {
        ("r", ("a", "b"), "RESOLVED", ("locale=de", "platform=ios")),
        ("e", ("a", "c"), "ESCALATED", ()),
        ("o", ("a",), "ABANDONED", ()),
        ("w", ("z",), "OPEN", ()),
    }
    counts = store.counts()
    assert (counts.clicks, counts.markers, counts.escalated_paths) == (6, 4, 1)
    assert store.transitions() == {("a", "b"): (1, 0), ("a", "c"): (1, 0)}
    records, _, _ = store.driver.execute_query(
        "MATCH (s:Segment) RETURN s.id AS id, s.key AS key, s.value AS value ORDER BY id"
    )
    assert [tuple(r.values()) for r in records] == [
        ("locale=de", "locale", "de"),
        ("platform=ios", "platform", "ios"),
    ]
    stats = live_path_stats()
    assert (stats.completed, stats.resolved, stats.abandoned, stats.escalated) == (3, 1, 1, 1)
    assert (stats.escalation_rate, stats.orphan_markers) == (1 / 3, 2)
    assert snapshot(store.driver) == reference(events)

    first = snapshot(store.driver)
    replay = ingest_until_idle({**names, "PATHRANK_GROUP": names["PATHRANK_GROUP"] + "-replay"})
    assert "0 new" in replay.stdout
    assert snapshot(store.driver) == first
    assert store.counts() == counts


INVALID: list[tuple[bytes | None, str]] = [
    (b"not json at all", "JSON"),
    (b"\xff\xfe\x00garbage", "UTF-8"),
    (b"[1, 2, 3]", "JSON object"),
    (b'{"page_id": "p1", "timestamp": 1700000000}', "customer_id"),
    (b'{"customer_id": "c", "timestamp": 1700000000}', "page_id"),
    (b'{"customer_id": "c", "page_id": "p"}', "timestamp"),
    (b'{"customer_id": "c", "page_id": "p", "timestamp": "yesterday"}', "timestamp"),
    (b'{"customer_id": "c", "page_id": "p", "timestamp": 4102444800}', "ahead of the clock"),
    (b'{"customer_id": "c", "page_id": "' + b"p" * 513 + b'", "timestamp": 1700000000}', "512"),
    (b'{"customer_id": "c", "page_id": "p", "timestamp": "2024-01-01T10:00:00"}', "zone"),
    (
        b'{"customer_id": "c", "page_id": "p", "timestamp": 1700000000, "is_resolved": "maybe"}',
        "is_resolved",
    ),
    (b'{"customer_id": true, "page_id": "p", "timestamp": 1700000000}', "customer_id"),
    (
        b'{"customer_id": "c", "page_id": "p", "timestamp": 1700000000, "x": "'
        + b"a" * 70_000
        + b'"}',
        "64",
    ),
    (None, "empty"),
]


def test_invalid_records_go_to_the_dlq_and_never_to_the_graph(
    store: TestGraph, names: dict[str, str], kafka_bootstrap: str
) -> None:
    topic = names["PATHRANK_TOPIC"]
    valid = {"customer_id": "ok", "page_id": "p1", "timestamp": 1_700_000_000}
    records = [(b"k", value) for value, _ in INVALID] + [(b"ok", orjson.dumps(valid))]
    # Make sure the topic exists with one partition so offsets are predictable.
    run_cli("produce", "/dev/null", env=names)
    produce_raw(kafka_bootstrap, topic, records)
    result = ingest_until_idle(names)
    assert f"{len(INVALID)} dead letters" in result.stdout
    counts = store.counts()
    assert counts.clicks == 1
    assert counts.customers == 1

    letters = read_dead_letters(kafka_bootstrap, f"{topic}.dlq", len(INVALID))
    by_value = {m.value(): headers_of(m) for m in letters}
    for value, expected_reason in INVALID:
        headers = by_value[value]
        reason = headers["dlq.reason"]
        assert expected_reason.lower() in reason.lower(), (value[:60] if value else value, reason)
        assert headers["dlq.source.topic"] == topic
        assert int(headers["dlq.source.offset"]) >= 0
        assert int(headers["dlq.source.partition"]) >= 0
        assert "dlq.truncated" not in headers  # small enough to be kept whole


def test_event_id_reused_by_another_customer_goes_to_the_dlq_and_the_worker_goes_on(
    store: TestGraph, names: dict[str, str], kafka_bootstrap: str
) -> None:
    """The event key is unique (docs/events.md). A second customer's click with a key already
    taken (stored earlier, or earlier in the same batch) is a dead letter, not a crash."""
    topic = names["PATHRANK_TOPIC"]
    t = 1_700_000_000_000
    first = [
        {"customer_id": "a", "page_id": "p1", "timestamp": t, "event_id": "e1"},
        {"customer_id": "a", "page_id": "p2", "timestamp": t + 1000, "event_id": "e2"},
    ]
    produce_events(kafka_bootstrap, topic, first)
    ingest_until_idle(names)
    second = [
        # clashes with a stored click of customer a
        {"customer_id": "b", "page_id": "p3", "timestamp": t + 2000, "event_id": "e1"},
        {"customer_id": "b", "page_id": "p4", "timestamp": t + 3000, "event_id": "e3"},
        # clashes inside the batch: c uses e4 first, d second
        {"customer_id": "c", "page_id": "p1", "timestamp": t + 4000, "event_id": "e4"},
        {"customer_id": "d", "page_id": "p2", "timestamp": t + 5000, "event_id": "e4"},
        # a replay of a's own click is a duplicate, not a clash
        {"customer_id": "a", "page_id": "p1", "timestamp": t, "event_id": "e1"},
    ]
    produce_raw(kafka_bootstrap, topic, [(b"one-partition", orjson.dumps(e)) for e in second])
    result = ingest_until_idle(names)
    # Every dead letter written is counted: 5 records, 3 clicks (one a replay), 2 dead letters.
    assert "ingested 5 records (3 events, 2 new, 0 pages, 2 dead letters)" in result.stdout
    owners = store.click_owners(["e1", "e2", "e3", "e4"])
    assert owners == {"e1": "a", "e2": "a", "e3": "b", "e4": "c"}
    assert store.counts().clicks == 4
    letters = read_dead_letters(kafka_bootstrap, f"{topic}.dlq", 2)
    assert sorted(orjson.loads(m.value())["customer_id"] for m in letters) == ["b", "d"]
    for m in letters:
        assert "already used by another customer" in headers_of(m)["dlq.reason"]


def _simulated(events: int, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """With every planted effect: outcome markers and attributes go through ingest too."""
    sim = simulate(SimulationConfig.full(seed=seed, events=events))
    return sim.events, sim.pages


def test_simulated_stream_matches_the_definitions_and_replay_changes_nothing(
    store: TestGraph, names: dict[str, str], kafka_bootstrap: str
) -> None:
    events, pages = _simulated(6000, seed=11)
    # Deliver out of order and with duplicates: reverse half, repeat a tenth.
    shuffled = events[::2] + events[1::2][::-1] + events[::10]
    produce_events(kafka_bootstrap, names["PATHRANK_TOPIC"], shuffled)
    produce_raw(
        kafka_bootstrap,
        names["PATHRANK_PAGES_TOPIC"],
        ((p["page_id"].encode(), orjson.dumps(p)) for p in pages),
    )
    ingest_until_idle(names)
    first = snapshot(store.driver)
    assert first == reference(events)
    assert first.markers > 0
    assert {p[2] for p in first.paths} == {"RESOLVED", "ABANDONED", "ESCALATED", "OPEN"}
    # The catalog set titles, urls and exactly the declared links.
    records, _, _ = store.driver.execute_query(
        "MATCH (p:Page) WHERE p.title IS NOT NULL "
        "RETURN p.id AS id, p.title AS title, p.url AS url, "
        "[(p)-[:LINKS_TO]->(t) | t.id] AS links"
    )
    stored = {r["id"]: (r["title"], r["url"], sorted(r["links"])) for r in records}
    assert stored == {p["page_id"]: (p["title"], p["url"], sorted(p["links"])) for p in pages}

    replay = ingest_until_idle({**names, "PATHRANK_GROUP": names["PATHRANK_GROUP"] + "-replay"})
    assert "0 new" in replay.stdout
    assert snapshot(store.driver) == first


def test_sigkill_mid_stream_then_restart_gives_the_uninterrupted_graph(
    store: TestGraph, names: dict[str, str], kafka_bootstrap: str
) -> None:
    events, _ = _simulated(8000, seed=5)
    produce_events(kafka_bootstrap, names["PATHRANK_TOPIC"], events)
    worker = start_ingest(names, "--until-idle", "4")
    deadline = time.monotonic() + 120
    while store.counts().clicks < 1500 and time.monotonic() < deadline:
        time.sleep(0.2)
    worker.kill()
    interrupted_at = store.counts().clicks
    assert 0 < interrupted_at < len(events), "kill must land mid-stream"
    ingest_until_idle(names)
    assert snapshot(store.driver) == reference(events)


def test_neo4j_cut_off_during_ingest_loses_nothing(
    store: TestGraph, names: dict[str, str], kafka_bootstrap: str, services: dict[str, Any]
) -> None:
    """make test's sibling of the restart below: Neo4j unreachable mid-stream (a relay cut:
    connections reset, new ones refused) until the worker says it retries, then back."""
    events, _ = _simulated(4000, seed=9)
    produce_events(kafka_bootstrap, names["PATHRANK_TOPIC"], events)
    relay = CuttableRelay(int(services["neo4j"]["bolt_uri"].rsplit(":", 1)[1]))
    through_relay = {**names, "PATHRANK_NEO4J_URI": f"bolt://127.0.0.1:{relay.port}"}
    worker = start_ingest(through_relay, "--until-idle", "3")
    try:
        deadline = time.monotonic() + 120
        while store.counts().clicks < 1000 and time.monotonic() < deadline:
            time.sleep(0.2)
        relay.cut()
        assert worker.wait_for_log("retrying the same batch", 120), worker.stderr[-2000:]
        relay.restore()
        code, _ = worker.finish(timeout=600)
    finally:
        worker.kill()
        relay.close()
    assert code == 0, worker.stderr[-2000:]
    assert "Traceback" not in worker.stderr
    assert snapshot(store.driver) == reference(events)


@pytest.mark.soak
def test_neo4j_restart_during_ingest_loses_nothing(
    store: TestGraph,
    names: dict[str, str],
    kafka_bootstrap: str,
    services: dict[str, Any],
) -> None:
    events, _ = _simulated(8000, seed=9)
    produce_events(kafka_bootstrap, names["PATHRANK_TOPIC"], events)
    manager = service_manager(services)
    worker = start_ingest(names, "--until-idle", "8")
    deadline = time.monotonic() + 120
    while store.counts().clicks < 1500 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert manager.neo4j.stop()
    time.sleep(3)
    manager.up(timeout=180)
    code, _ = worker.finish(timeout=600)
    assert code == 0, worker.stderr[-2000:]
    assert "retrying the same batch" in worker.stderr
    assert snapshot(store.driver) == reference(events)


def test_sigterm_during_a_neo4j_outage_stops_within_30s_and_a_restart_loses_nothing(
    store: TestGraph, names: dict[str, str], kafka_bootstrap: str, services: dict[str, Any]
) -> None:
    events, _ = _simulated(3000, seed=13)
    half = len(events) // 2
    produce_events(kafka_bootstrap, names["PATHRANK_TOPIC"], events[:half])
    bolt_port = int(services["neo4j"]["bolt_uri"].rsplit(":", 1)[1])
    relay = CuttableRelay(bolt_port)
    through_relay = {**names, "PATHRANK_NEO4J_URI": f"bolt://127.0.0.1:{relay.port}"}
    worker = start_ingest(through_relay)
    try:
        first = reference(events[:half]).clicks
        deadline = time.monotonic() + 60
        while store.counts().clicks < first and time.monotonic() < deadline:
            time.sleep(0.2)
        assert store.counts().clicks == first
        relay.cut()
        produce_events(kafka_bootstrap, names["PATHRANK_TOPIC"], events[half:])
        assert worker.wait_for_log("unreachable", timeout=60), worker.stderr[-2000:]
        seconds = worker.terminate(timeout=90)
        code, _ = worker.finish(timeout=30)
    finally:
        worker.kill()
        relay.close()
    assert seconds < 30
    assert code == 0, worker.stderr[-2000:]
    assert "Traceback" not in worker.stderr
    assert "will be retried" not in worker.stderr  # the driver's own retry lines
    assert store.counts().clicks == first  # the batch in hand was not written...
    restart = ingest_until_idle(names)  # ...nor committed: a restart writes it, and only it
    assert f"ingested {len(events) - half} records" in restart.stdout
    assert snapshot(store.driver) == reference(events)


def test_kafka_frozen_mid_batch_the_worker_carries_on(
    store: TestGraph, names: dict[str, str], kafka_bootstrap: str, services: dict[str, Any]
) -> None:
    """make test's sibling of the kill below: the broker stops answering mid-stream
    (SIGSTOP) and comes back (SIGCONT); nothing is lost or doubled."""
    events, _ = _simulated(3000, seed=21)
    produce_events(kafka_bootstrap, names["PATHRANK_TOPIC"], events)
    manager = service_manager(services)
    pid = manager.kafka.pid()
    assert pid is not None
    worker = start_ingest(names, "--until-idle", "3")
    try:
        deadline = time.monotonic() + 120
        while store.counts().clicks < 1000 and time.monotonic() < deadline:
            time.sleep(0.1)
        os.kill(pid, signal.SIGSTOP)
        frozen_at = store.counts().clicks
        time.sleep(5)  # the outage's length: ten times what a fetch waits for records
    finally:
        os.kill(pid, signal.SIGCONT)
    try:
        code, _ = worker.finish(timeout=600)
    finally:
        worker.kill()
    assert 0 < frozen_at < reference(events).clicks, "the freeze must land mid-stream"
    assert code == 0, worker.stderr[-3000:]
    assert snapshot(store.driver) == reference(events)
    assert [line for line in worker.stderr.splitlines() if "rdkafka" in line] == []
    assert "Traceback" not in worker.stderr


@pytest.mark.soak
def test_kafka_killed_mid_batch_and_restarted_the_worker_carries_on(
    store: TestGraph, names: dict[str, str], kafka_bootstrap: str, services: dict[str, Any]
) -> None:
    events, _ = _simulated(5000, seed=21)
    produce_events(kafka_bootstrap, names["PATHRANK_TOPIC"], events)
    manager = service_manager(services)
    worker = start_ingest(names, "--until-idle", "8")
    try:
        deadline = time.monotonic() + 120
        while store.counts().clicks < 1500 and time.monotonic() < deadline:
            time.sleep(0.1)
        pid = manager.kafka.pid()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        while manager.kafka.pid() is not None:
            time.sleep(0.1)
        killed_at = store.counts().clicks
        time.sleep(2)
        manager.up(timeout=180)
        code, _ = worker.finish(timeout=600)
    finally:
        worker.kill()
        manager.up(timeout=180)  # the later tests need Kafka whatever happened here
    assert 0 < killed_at < reference(events).clicks, "the kill must land mid-stream"
    assert code == 0, worker.stderr[-3000:]
    assert snapshot(store.driver) == reference(events)
    # One line per retry naming the outage, not librdkafka's own log.
    assert [line for line in worker.stderr.splitlines() if "rdkafka" in line] == []
    assert "Traceback" not in worker.stderr


def test_ingest_with_kafka_down_is_one_line(names: dict[str, str]) -> None:
    result = run_cli(
        "ingest", "--until-idle", "1", env={**names, "PATHRANK_KAFKA_BOOTSTRAP": "127.0.0.1:1"}
    )
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert "Kafka is not reachable" in result.stderr


def test_status_json_is_parseable_for_scripts() -> None:
    status = json.loads(run_cli("services", "status", "--json").stdout)
    assert status["neo4j"]["up"] is True


def test_schema_is_created_idempotently(store: TestGraph) -> None:
    store.ensure_schema()  # a second time: no error, nothing duplicated
    records, _, _ = store.driver.execute_query(
        "SHOW CONSTRAINTS YIELD name RETURN collect(name) AS n"
    )
    names = set(records[0]["n"])
    assert {"page_id", "customer_id", "path_id", "click_key"} <= names
    records, _, _ = store.driver.execute_query("SHOW INDEXES YIELD name RETURN collect(name) AS n")
    assert {"click_customer_ts", "path_outcome_end"} <= set(records[0]["n"])


def test_simulate_cli_is_deterministic_and_writes_truth(tmp_path: Path) -> None:
    runs = []
    for name in ("a", "b"):
        result = run_cli(
            "simulate",
            "--seed",
            "3",
            "--events",
            "2000",
            "--out",
            str(tmp_path / f"{name}.jsonl"),
            "--truth",
            str(tmp_path / f"{name}.json"),
        )
        assert result.returncode == 0, result.stderr
        runs.append(
            ((tmp_path / f"{name}.jsonl").read_bytes(), (tmp_path / f"{name}.json").read_bytes())
        )
    assert runs[0] == runs[1]
    truth = json.loads(runs[0][1])
    assert truth["hotspots"]
    assert truth["seed"] == 3
    lines = runs[0][0].splitlines()
    assert 2000 <= len(lines) < 2100
    other = run_cli(
        "simulate", "--seed", "4", "--events", "2000", "--out", str(tmp_path / "c.jsonl")
    )
    assert other.returncode == 0
    assert (tmp_path / "c.jsonl").read_bytes() != runs[0][0]
    assert b"event_type" not in runs[0][0]  # page views only unless --full


def test_simulate_full_plants_outcome_events_and_attributes(tmp_path: Path) -> None:
    out, truth_file = tmp_path / "full.jsonl", tmp_path / "full.json"
    args = ("--seed", "3", "--events", "3000", "--out", str(out), "--truth", str(truth_file))
    result = run_cli("simulate", "--full", *args)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in out.read_text().splitlines()]
    kinds = {e.get("event_type", "page_view") for e in events}
    assert kinds == {"page_view", "resolution", "escalation"}
    assert all(set(e["attributes"]) == {"platform", "locale"} for e in events)
    truth = json.loads(truth_file.read_text())
    assert set(truth["escalation_articles"]) < set(truth["escalation_hotspots"])
    assert truth["summary"]["escalated"] > 0


def test_simulate_without_output_is_one_line_error() -> None:
    result = run_cli("simulate", "--seed", "1")
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert "nothing to do" in result.stderr
