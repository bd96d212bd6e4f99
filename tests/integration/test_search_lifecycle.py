"""Searches over a customer's erasure and over retention (docs/forget.md, docs/paths.md
"Retention"): `pathrank forget` removes a customer's searches and the queries only they
typed; compaction keeps every query on the compacted paths, so the figures stay exactly."""

from __future__ import annotations

import json
from typing import Any

from neo4j import Driver

from graph_model.search.record import QueryFigures
from simulator import SimulationConfig, simulate
from tests.integration.analyzed import analyze
from tests.integration.ingest_helpers import NOW_MS, clean_graph, wiring
from tests.integration.test_search_figures import stored_figures

T = 1_800_000_000


def search(customer: str, at: int, query: str, results: int | None = 1) -> dict[str, Any]:
    event: dict[str, Any] = {
        "customer_id": customer,
        "event_type": "search",
        "timestamp": T + at,
        "query": query,
    }
    if results is not None:
        event["results"] = results
    return event


def page(customer: str, at: int, page_id: str, resolved: bool = False) -> dict[str, Any]:
    return {
        "customer_id": customer,
        "page_id": page_id,
        "timestamp": T + at,
        "is_resolved": resolved,
    }


EVENTS = [
    page("alice", 0, "home"),
    search("alice", 10, "Refund for Alice Smith 12345678"),
    search("alice", 20, "shared question", 0),
    page("alice", 30, "a1", True),
    page("bob", 0, "home"),
    search("bob", 10, "shared question"),
    page("bob", 20, "a1", True),
    search("carol", 0, "Shared question!"),
    page("carol", 10, "a2", True),
]


def graph_text(driver: Driver) -> str:
    records, _, _ = driver.execute_query(
        "CALL () { MATCH (n) RETURN properties(n) AS p UNION ALL "
        "MATCH ()-[r]->() RETURN properties(r) AS p } RETURN collect(p) AS all"
    )
    return json.dumps(records[0]["all"], default=str)


def test_forget_removes_a_customers_searches_and_their_own_queries(neo4j_driver: Driver) -> None:
    clean_graph(neo4j_driver)
    w = wiring()
    w.load(neo4j_driver, EVENTS, now_ms=NOW_MS)
    analyze(neo4j_driver)
    before = stored_figures(neo4j_driver)
    assert before["shared question"].searches == 3
    assert "refund for alice smith <number>" in graph_text(neo4j_driver)

    [forgotten] = w.forget(["alice"])
    assert forgotten.paths == 1
    text = graph_text(neo4j_driver)
    assert "refund for alice smith" not in text  # no Query node, no run's figures of it
    records, _, _ = neo4j_driver.execute_query(
        "MATCH (q:Query) RETURN q.text AS text, COUNT { (q)<-[:SEARCHED]-() } AS paths"
    )
    assert {r["text"]: r["paths"] for r in records} == {"shared question": 2}

    analyze(neo4j_driver)
    after = stored_figures(neo4j_driver)
    assert set(after) == {"shared question"}
    shared = after["shared question"]
    assert (shared.searches, shared.customers, shared.no_results, shared.paths) == (2, 2, 0, 2)


def figures_of(driver: Driver, retention_days: float | None) -> tuple[dict[str, QueryFigures], int]:
    """The search figures of a simulation loaded with or without retention, and how many
    paths were compacted."""
    clean_graph(driver)
    sim = simulate(
        SimulationConfig(seed=5, events=6_000, days=12.0, search_share=0.3, content_gaps=2)
    )
    # An hour of lateness: retention compacts only paths no accepted event can still change
    # (docs/paths.md, "Retention"), and with the default 3 days the simulated customers, most
    # of whom never come back, would keep every path of their last 3 days.
    settings: dict[str, float] = {"allowed_lateness_s": 3_600}
    if retention_days is not None:
        settings["click_retention_days"] = retention_days
    wiring(**settings).load(driver, sim.events, sim.pages, now_ms=NOW_MS, batch_size=500)
    records, _, _ = driver.execute_query(
        "MATCH (p:Path) WHERE p.keys IS NULL AND p.queries IS NOT NULL RETURN count(p) AS n"
    )
    analyze(driver)
    return stored_figures(driver), int(records[0]["n"])


def test_retention_keeps_the_search_figures(neo4j_driver: Driver) -> None:
    kept, compacted_none = figures_of(neo4j_driver, None)
    compacted, compacted_paths = figures_of(neo4j_driver, 2.0)
    assert compacted_none == 0
    assert compacted_paths > 50  # paths with searches lost their Click nodes
    assert compacted == kept
