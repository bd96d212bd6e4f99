"""Analysis time per step at growing graph sizes (simulated clicks loaded without Kafka).

    .venv/bin/python -m bench.analysis_scale 10000 100000 1000000

Wipes the graph of the Neo4j it talks to (PATHRANK_* settings).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from typing import Any

from graphdatascience import GraphDataScience
from neo4j import GraphDatabase

from algorithms.analyze import Analysis
from bench.report import Section, table
from graph_model.analysis_store import Neo4jAnalysisStore
from graph_model.records import PageCatalogEntry
from graph_model.store import Neo4jPathGraphStore
from ingest.batch import IncomingClick, PathRules, compute_batch, new_clicks_by_customer
from ingest.events import event_from_record
from ingest.simulator import SimulationConfig, simulate
from pathrank.settings import Settings

BATCH = 10_000


def load(store: Neo4jPathGraphStore, events: list[dict[str, object]], rules: PathRules) -> float:
    t0 = time.perf_counter()
    now = int(time.time() * 1000)
    for start in range(0, len(events), BATCH):
        incoming = [
            IncomingClick(event_from_record(e, now_ms=now), start + i)
            for i, e in enumerate(events[start : start + BATCH])
        ]
        by_customer = new_clicks_by_customer(incoming)
        store.apply_clicks(
            list(by_customer),
            max(i.event.ts_ms for i in incoming),
            lambda stored, wm, b=by_customer: compute_batch(b, stored, wm, rules),
        )
    return time.perf_counter() - t0


def section(settings: Settings, quick: bool) -> Section:
    """Placeholder until issue 4/7 work replaces it: time per step at each size."""
    sizes = [10_000] if quick else [10_000, 100_000, 1_000_000]
    rows = []
    for size, load_s, report in measure(settings, sizes):
        rows.append((f"{size:,}", f"{load_s:.1f}", f"{report.total_s:.1f}"))
    return Section("Analysis", table(["clicks", "load s", "analysis s"], rows))


def measure(settings: Settings, sizes: list[int]) -> Iterator[tuple[int, float, Any]]:
    s = settings
    driver = GraphDatabase.driver(
        s.neo4j_uri, auth=(s.neo4j_user, s.neo4j_password), notifications_min_severity="OFF"
    )
    timeout_ms = int(s.inactivity_timeout_s * 1000)
    rules = PathRules(timeout_ms=timeout_ms, quick_ms=int(s.quick_turnaround_s * 1000))
    store = Neo4jPathGraphStore(driver, s.neo4j_database, timeout_ms)
    store.ensure_schema()
    for size in sizes:
        store.clear()
        sim = simulate(SimulationConfig(seed=1, events=size))
        store.upsert_pages(
            [
                PageCatalogEntry(p["page_id"], p["title"], p["url"], tuple(p["links"]))
                for p in sim.pages
            ]
        )
        load_s = load(store, sim.events, rules)
        gds = GraphDataScience(driver, database=s.neo4j_database, show_progress=False)
        report = Analysis(Neo4jAnalysisStore(driver, s.neo4j_database), gds).run()
        yield size, load_s, report
    driver.close()


def main(sizes: list[int]) -> None:
    for size, load_s, report in measure(Settings(), sizes):
        rate = size / load_s
        print(f"\n## {size} clicks: load {load_s:.1f}s ({rate:.0f} clicks/s), size {report.size}")
        for step, seconds in report.steps_s.items():
            print(f"  {step:32} {seconds:8.2f}s")
        print(f"  {'total':32} {report.total_s:8.2f}s")
        sys.stdout.flush()


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
