"""From the demo to one's own data: `pathrank demo` keeps to its own topics, `pathrank reset`
removes what it left, and a team's own CSV then loads into a graph of its pages alone."""

from __future__ import annotations

import re
from pathlib import Path

from confluent_kafka.admin import AdminClient
from neo4j import Driver

from tests.conftest import run_cli
from tests.integration.ingest_helpers import TestGraph, fresh_names

OWN_CSV = """customer_id,page_id,timestamp,is_resolved
u1,help/start,2026-11-30T10:00:00Z,false
u1,help/billing,2026-11-30T10:00:40Z,false
u1,help/refunds,2026-11-30T10:01:30Z,true
u2,help/start,2026-11-30T11:00:00Z,false
u2,help/refunds,2026-11-30T11:00:20Z,true
"""


def _topics(bootstrap: str) -> set[str]:
    return set(AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=15).topics)


def test_demo_then_reset_then_own_data(
    store: TestGraph, neo4j_driver: Driver, kafka_bootstrap: str, tmp_path: Path
) -> None:
    names = fresh_names()
    demo = run_cli("demo", "--no-serve", "--events", "2000", env=names)
    assert demo.returncode == 0, demo.stderr[-2000:]
    demo_topic = "demo." + names["PATHRANK_TOPIC"]
    assert demo_topic in demo.stdout
    assert demo_topic in _topics(kafka_bootstrap)
    assert names["PATHRANK_TOPIC"] not in _topics(kafka_bootstrap)  # the user's stays untouched
    graph = store
    before = graph.counts()
    assert before.pages >= 30
    # Every event the demo produced is in the graph: the clicks, and the votes and tickets
    # (the demo's resolution votes stand in for some resolving clicks).
    demo_events = re.search(r"produced (\d+) events", demo.stdout)
    assert demo_events is not None, demo.stdout[-2000:]
    assert before.clicks + before.markers == int(demo_events[1])
    assert before.clicks >= 1500

    refused = run_cli("reset", env=names)  # no terminal, no --yes: nothing happens
    assert refused.returncode != 0
    assert graph.counts() == before

    reset = run_cli("reset", "--yes", "--topics", env=names)
    assert reset.returncode == 0, reset.stderr
    assert "removed" in reset.stdout
    assert "demo." + names["PATHRANK_GROUP"] in reset.stdout
    counts = graph.counts()
    assert (counts.pages, counts.customers, counts.paths, counts.clicks) == (0, 0, 0, 0)
    assert demo_topic not in _topics(kafka_bootstrap)

    own = tmp_path / "own.csv"
    own.write_text(OWN_CSV)
    produced = run_cli("produce", str(own), env=names)
    assert produced.returncode == 0, produced.stderr
    ingested = run_cli("ingest", "--until-idle", "3", env=names)
    assert ingested.returncode == 0, ingested.stderr[-2000:]
    records, _, _ = neo4j_driver.execute_query("MATCH (p:Page) RETURN collect(p.id) AS ids")
    assert sorted(records[0]["ids"]) == ["help/billing", "help/refunds", "help/start"]
    assert {tuple(p.pages) for p in graph.paths()} == {
        ("help/start", "help/billing", "help/refunds"),
        ("help/start", "help/refunds"),
    }
