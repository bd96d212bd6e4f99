"""Live assist in `pathrank ingest` (docs/assist.md): real Kafka, real Neo4j.

The simulated traffic is dense (2.4 hours of it), so that every change of an at-risk state
is live when its batch is written and must be announced: then the `assist` topic must hold,
for every path, exactly its changes 1..n, each once, alternating between at risk and not,
whatever happened to the worker in between.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from typing import Any

import orjson
from neo4j import Driver

from graph_model.assist.record import announcement_json, parse_announcement
from graph_model.assist.store import Neo4jAssistStore
from ingest.announce import Announcer
from simulator import SimulationConfig, simulate
from tests.integration.analyzed import analyze
from tests.integration.ingest_helpers import (
    TestGraph,
    ingest_until_idle,
    produce_events,
    produce_raw,
    start_ingest,
    wiring,
)
from tests.integration.kafka_read import Landed, read_topics

DENSE = SimulationConfig(seed=21, events=12_000, days=0.1)


def _analysed_first_part(store: TestGraph) -> list[dict[str, Any]]:
    """The first half of the traffic loaded and analysed (the figures paths are scored with);
    the second half, to stream."""
    events = simulate(DENSE).events
    half = len(events) // 2
    wiring().load(store.driver, events[:half], now_ms=DENSE.start_ms + 10**9)
    analyze(store.driver)
    return events[half:]


def _changes_by_path(driver: Driver) -> dict[str, int]:
    records, _, _ = driver.execute_query(
        "MATCH (p:Path) WHERE p.riskChanges > 0 RETURN p.id AS id, p.riskChanges AS n"
    )
    return {r["id"]: r["n"] for r in records}


def _check_exactly_once(landed: list[Landed], changes: dict[str, int]) -> None:
    ids = [orjson.loads(m.value)["id"] for m in landed]
    duplicated = [i for i, n in Counter(ids).items() if n > 1]
    assert duplicated == [], f"{len(duplicated)} announcements twice, e.g. {duplicated[:3]}"
    expected = {f"{path}#{k}" for path, n in changes.items() for k in range(1, n + 1)}
    assert set(ids) == expected, (len(set(ids) - expected), len(expected - set(ids)))
    by_path: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    for m in landed:
        a = parse_announcement(m.value)
        assert m.key == a.customer.encode()  # keyed by customer
        by_path[a.path].append((int(a.id.rsplit("#", 1)[1]), a.at_risk))
    for path, seen in by_path.items():
        states = [at_risk for _, at_risk in sorted(seen)]
        assert states == [k % 2 == 1 for k in range(1, len(states) + 1)], path


def test_a_worker_killed_mid_stream_announces_every_change_exactly_once(
    store: TestGraph, names: dict[str, str], kafka_bootstrap: str
) -> None:
    stream = _analysed_first_part(store)
    produce_events(kafka_bootstrap, names["PATHRANK_TOPIC"], stream)
    before = store.counts().clicks
    worker = start_ingest(names, "--until-idle", "4")
    deadline = time.monotonic() + 120
    while store.counts().clicks < before + len(stream) // 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    worker.kill()
    killed_at = store.counts().clicks - before
    assert 0 < killed_at < len(stream), "the kill must land mid-stream"
    ingest_until_idle(names, "--batch-size", "500")  # batches of ~6 minutes of traffic

    changes = _changes_by_path(store.driver)
    total = sum(changes.values())
    assert total > 100, "the stream must put paths at risk and out of it"
    landed = read_topics(kafka_bootstrap, [names["PATHRANK_ASSIST_TOPIC"]], expect=total)
    _check_exactly_once(landed, changes)
    assert store.driver.execute_query("MATCH (a:AssistOutbox) RETURN count(a) AS n")[0][0]["n"] == 0


def test_what_a_crash_left_in_the_outbox_is_delivered_once(
    store: TestGraph, names: dict[str, str], kafka_bootstrap: str
) -> None:
    """A crash between the graph's commit and Kafka's acknowledgements leaves announcements
    in the outbox, some of them already on the topic: recovery produces only the others."""
    stream = _analysed_first_part(store)
    wiring().load(store.driver, stream, now_ms=DENSE.start_ms + 10**9, batch_size=500, assist=True)
    outbox = Neo4jAssistStore(store.driver, "neo4j")
    pending = outbox.pending("", [-1])  # load() has no Kafka source
    assert len(pending) > 100
    topic = names["PATHRANK_ASSIST_TOPIC"]
    already = [p.announcement for p in pending[::3]]  # acknowledged before the crash
    produce_raw(
        kafka_bootstrap, topic, ((a.customer.encode(), announcement_json(a)) for a in already)
    )

    announcer = Announcer(kafka_bootstrap, topic, outbox)
    produced = announcer.recover("", [-1], lambda action: action())
    announcer.close()

    assert produced == len(pending) - len(already)
    assert outbox.pending("", [-1]) == []
    landed = read_topics(kafka_bootstrap, [topic], expect=len(pending))
    ids = [orjson.loads(m.value)["id"] for m in landed]
    assert sorted(ids) == sorted(p.announcement.id for p in pending)
    # Nothing left: a second recovery produces nothing.
    assert Announcer(kafka_bootstrap, topic, outbox).recover("", [-1], lambda a: a()) == 0
