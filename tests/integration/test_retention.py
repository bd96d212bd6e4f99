"""Retention against real Neo4j (docs/paths.md, "Retention"): compaction removes exactly the
Click nodes of the paths that ended more than the retention (plus the inactivity timeout)
before the watermark and more than the allowed lateness (plus the timeout) before their
customer's latest event, and leaves every path's properties (pages, timestamps, ...) and
every aggregate as it was; ingest compacts a bounded amount per batch; ingest goes on
correctly after compaction."""

from __future__ import annotations

from typing import Any

from neo4j import Driver

from graph_model.path.record import Path
from graph_model.properties import from_properties, properties_of
from ingest.batch import apply_batch
from ingest.events import event_from_record
from simulator import SimulationConfig, simulate
from tests.conftest import run_cli
from tests.integration.ingest_helpers import (
    NOW_MS,
    TIMEOUT_MS,
    TestGraph,
    clean_graph,
    live_path_stats,
    reference,
    snapshot,
    wiring,
)

DAY = 86_400_000
# A lateness of an hour: customers who come back more than that later have paths no late
# event can reach any more (with days of lateness, this small help center's would all stay).
LATENESS_MS = 3_600_000
RETENTION = {"click_retention_days": 2, "allowed_lateness_s": LATENESS_MS / 1000}
ENV = {"PATHRANK_CLICK_RETENTION_DAYS": "2", "PATHRANK_ALLOWED_LATENESS_S": "3600"}

PATHS = f"MATCH (p:Path) RETURN p {properties_of(Path).projection()} AS p"
CHAINS = """
MATCH (p:Path)
RETURN p.id AS id, p.keys IS NULL AS compacted, EXISTS { (p)-[:FIRST]->() } AS first,
       EXISTS { (p)-[:LAST]->() } AS last
"""
AGGREGATES = """
RETURN COLLECT { MATCH (p:Path)-[:IN_SEGMENT]->(s:Segment) RETURN [p.id, s.id] } AS segments,
       COLLECT { MATCH (p:Path)-[:ENDED_BY]->(m:Marker) RETURN [p.id, m.key] } AS endings,
       COLLECT { MATCH (m:Marker) RETURN m.key } AS markers,
       COLLECT { MATCH (c:Customer) RETURN c.id } AS customers,
       COLLECT { MATCH (g:Page) RETURN g.id } AS pages
"""


AGGREGATE_KEYS = ("segments", "endings", "markers", "customers", "pages")


def _events() -> list[dict[str, Any]]:
    """Ten days of a small help center, outcome markers and attributes included."""
    return list(simulate(SimulationConfig.full(seed=5, events=3000, days=10)).events)


def _paths(driver: Driver) -> dict[str, Path]:
    """Every path by id, as its node says, without the click keys (which compaction drops)."""
    records = driver.execute_query(PATHS).records
    out = {}
    for r in records:
        p = from_properties(Path, r["p"])
        out[p.id] = Path(**{**{f: getattr(p, f) for f in Path.__slots__}, "keys": ()})
    return out


def _state(graph: TestGraph) -> tuple[Any, ...]:
    """Paths, and every aggregate ingest keeps or the API reads live."""
    [row] = graph.driver.execute_query(AGGREGATES).records
    return (
        _paths(graph.driver),
        graph.transitions(),
        graph.visited(),
        {k: sorted(tuple(v) if isinstance(v, list) else v for v in row[k]) for k in AGGREGATE_KEYS},
        live_path_stats(),
    )


def _expected_compacted(events: list[dict[str, Any]]) -> tuple[int, int]:
    """From the reference's paths (not the product's): the paths whose last click is more
    than 2 days plus the timeout before the watermark and more than the lateness plus the
    timeout before their customer's latest event, and their clicks."""
    ref = reference(events)
    watermark = max(int(e["timestamp"]) for e in events)
    cutoff = watermark - 2 * DAY - TIMEOUT_MS
    latest: dict[str, int] = {}
    for e in events:
        latest[e["customer_id"]] = max(latest.get(e["customer_id"], 0), int(e["timestamp"]))
    # The reference's summary: (customer, pages, outcome, start, length, ...); a path's last
    # click time is not in it, so take it from the events.
    times: dict[tuple[str, int], list[int]] = {}
    for e in events:
        if "event_type" not in e:
            times.setdefault((e["customer_id"], 0), []).append(int(e["timestamp"]))
    ends = []
    for customer, _pages, _outcome, start, length, *_ in ref.paths:
        clicks = sorted(times[(customer, 0)])
        first = clicks.index(start)
        ends.append((customer, clicks[first + length - 1], length))
    reach = LATENESS_MS + TIMEOUT_MS
    old = [(end, n) for c, end, n in ends if end < cutoff and end < latest[c] - reach]
    return len(old), sum(n for _, n in old)


def test_compaction_keeps_every_path_and_aggregate_and_drops_exactly_the_old_clicks(
    store: TestGraph,
) -> None:
    events = _events()
    # Loaded without compaction first, then `pathrank compact`.
    wiring(**RETENTION, compact_per_batch=0).load(store.driver, events, now_ms=NOW_MS)
    assert snapshot(store.driver) == reference(events)  # chains and all
    before = _state(store)
    clicks_before = store.counts().clicks

    result = run_cli("compact", env=ENV)
    assert result.returncode == 0, result.stderr
    paths, clicks = _expected_compacted(events)
    assert 0 < paths < len(before[0])
    assert f"compacted {paths} paths ({clicks} clicks)" in result.stdout, result.stdout
    assert _state(store) == before
    assert store.counts().clicks == clicks_before - clicks
    chains = store.driver.execute_query(CHAINS).records
    assert sum(r["compacted"] for r in chains) == paths
    assert all(r["first"] == r["last"] == (not r["compacted"]) for r in chains)
    again = run_cli("compact", env=ENV)
    assert "compacted 0 paths (0 clicks)" in again.stdout

    # Ingest goes on: a customer's late click within the lateness, and a new customer.
    last = max(events, key=lambda e: int(e["timestamp"]))
    t = int(last["timestamp"])
    more = [
        {**last, "event_id": "late-1", "page_id": "p003", "timestamp": t - 60_000},
        {"customer_id": "newcomer", "page_id": "p000", "timestamp": t - DAY + 1},
    ]
    wiring(**RETENTION).load(store.driver, more, now_ms=NOW_MS)
    want = reference(events + more)
    got = {
        (p.customer_id, p.pages, p.outcome.value, p.start, p.length, p.turnarounds)
        for p in _paths(store.driver).values()
    }
    assert got == {s[:6] for s in want.paths}
    assert store.transitions() == want.transitions
    assert store.visited() == want.visited


def test_ingest_compacts_a_bounded_amount_per_batch(store: TestGraph) -> None:
    events = _events()
    w = wiring(**RETENTION, compact_per_batch=200)
    path_store = w.path_store(store.driver)
    compacted = []
    for start in range(0, len(events), 250):
        clicks = [
            event_from_record(e, now_ms=NOW_MS, seq=start + i)
            for i, e in enumerate(events[start : start + 250])
        ]
        outcome = apply_batch(path_store, clicks)
        assert outcome.rejected == []
        compacted.append(outcome.result.clicks_compacted)
    # Each batch reports the step the batch before it started (run beside it); the last
    # batch's step is settled here.
    last = path_store.settle()
    compacted.append(last.clicks)
    assert compacted[0] == 0
    assert sum(compacted) > 0
    # At most the budget, but a whole path: 200 unless one path alone is longer.
    longest = max(p[4] for p in reference(events).paths)
    assert max(compacted) <= max(200, longest)
    kept = store.counts().clicks
    during = _state(store)
    while not path_store.compact(1000).done:
        pass
    assert _state(store) == during
    # The same graph as a load without compaction, compacted afterwards.
    by_ingest = (_state(store), store.counts().clicks)
    clean_graph(store.driver)
    wiring(**RETENTION, compact_per_batch=0).load(store.driver, events, now_ms=NOW_MS)
    # What the batches reported is what went: every Click node but the ones they kept.
    assert sum(compacted) == store.counts().clicks - kept
    while not w.path_store(store.driver).compact(1000).done:
        pass
    assert (_state(store), store.counts().clicks) == by_ingest
