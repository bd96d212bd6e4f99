"""Does being flagged at risk mean trouble? On the simulator: the figures of an analysis of
the first half of the traffic score the paths of the second half, and flagged paths must end
unresolved at least twice as often as paths never flagged (docs/assist.md, "How well it
predicts"). The rates are printed (`pytest -s`)."""

from __future__ import annotations

from neo4j import Driver

from simulator import SimulationConfig, simulate
from tests.integration.analyzed import analyze
from tests.integration.ingest_helpers import NOW_MS, TestGraph, wiring

EVENTS = 40_000

# Completed paths that started in the scored half, by whether they were ever at risk.
RATES = """
MATCH (p:Path)
WHERE p.start >= $since AND p.outcome <> 'OPEN'
WITH coalesce(p.wasAtRisk, false) AS flagged, count(*) AS paths,
     count(CASE WHEN p.outcome <> 'RESOLVED' THEN 1 END) AS unresolved
RETURN flagged, paths, unresolved
"""


def flagged_outcomes(driver: Driver, since_ms: int) -> dict[bool, tuple[int, int]]:
    """flagged -> (completed paths, unresolved among them)."""
    records, _, _ = driver.execute_query(RATES, since=since_ms)
    return {r["flagged"]: (r["paths"], r["unresolved"]) for r in records}


def test_paths_flagged_at_risk_end_unresolved_at_least_twice_as_often(store: TestGraph) -> None:
    sim = simulate(SimulationConfig(seed=7, events=EVENTS))
    events = sorted(sim.events, key=lambda e: int(e["timestamp"]))
    half = len(events) // 2
    split_ms = int(events[half]["timestamp"])
    w = wiring()
    w.load(store.driver, events[:half], sim.pages, now_ms=NOW_MS)
    analyze(store.driver)  # what the second half is scored with: nothing of its own outcomes
    w.load(store.driver, events[half:], now_ms=NOW_MS, assist=True)

    by = flagged_outcomes(store.driver, split_ms)
    (flagged, flagged_unresolved), (never, never_unresolved) = by[True], by[False]
    flagged_rate, never_rate = flagged_unresolved / flagged, never_unresolved / never
    print(
        f"\nflagged at risk: {flagged_unresolved}/{flagged} unresolved ({flagged_rate:.1%}); "
        f"never flagged: {never_unresolved}/{never} ({never_rate:.1%}); "
        f"ratio {flagged_rate / never_rate:.2f}"
    )
    assert flagged >= 200
    assert never >= 200
    assert flagged_rate >= 2 * never_rate
