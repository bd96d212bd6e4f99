"""Second order and time to resolution inside a real analysis run: simulated clicks with
planted misleading links, loaded without Kafka, analysed by `pathrank analyze`'s code; the
seconds of the steps they add, from the run record.

    .venv/bin/python -m bench.second_order 1000000

Wipes the graph of the Neo4j it talks to (PATHRANK_* settings).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any

from bench.report import Section, table
from graph_model.run.record import AnalysisRun
from pathrank.settings import Settings
from pathrank.wiring import Wiring
from simulator import SimulationConfig, simulate

BATCH = 10_000
PLANTED = 4
GOAL_S = 10.0
# The steps this adds to a run: computing in memory, then staging with the run.
STEPS = ("second order", "time to resolution", "stage second order")


@dataclass(frozen=True, slots=True)
class Measured:
    clicks: int
    load_s: float
    run: AnalysisRun
    planted: set[tuple[str, str]]
    found: set[tuple[str, str]]
    stored: dict[str, int]

    @property
    def seconds(self) -> float:
        return sum(self.run.steps[s] for s in STEPS)


def measure(settings: Settings, size: int) -> Measured:
    w = Wiring(settings)
    driver = w.driver()
    try:
        admin = w.admin(driver)
        admin.ensure_schema()
        admin.clear()
        sim = simulate(SimulationConfig(seed=1, events=size, misleading_links=PLANTED))
        t0 = time.perf_counter()
        w.load(driver, sim.events, sim.pages, batch_size=BATCH)
        load_s = time.perf_counter() - t0
        run = w.analysis(driver).run()
        records, _, _ = driver.execute_query(
            "MATCH (m:Meta {id: 'analysis'}) "
            "CALL (m) { MATCH (a)-[l:MISLEADING_LINK {run: m.run}]->(b) "
            "  RETURN collect([a.id, b.id]) AS links } "
            "CALL (m) { MATCH ()-[s:LINK_SUCCESS {run: m.run}]->() RETURN count(s) AS pairs } "
            "CALL (m) { MATCH (c:ResolutionCurve {run: m.run}) "
            "  RETURN count(c) AS curves, sum(size(c.at)) AS points } "
            "RETURN links, pairs, curves, points",
            database_=settings.neo4j_database,
        )
        r: Any = records[0]
        return Measured(
            clicks=size,
            load_s=load_s,
            run=run,
            planted={(a, b) for a, b in sim.truth["misleading_links"]},
            found={(a, b) for a, b in r["links"]},
            stored={"pairs": r["pairs"], "curves": r["curves"], "points": r["points"]},
        )
    finally:
        driver.close()


def section(settings: Settings, quick: bool) -> Section:
    """At 1M simulated clicks (quick: 10k)."""
    m = measure(settings, 10_000 if quick else 1_000_000)
    run = m.run
    rows: list[list[object]] = [[step, run.steps[step]] for step in STEPS]
    rows.append(["**these steps together**", f"**{m.seconds:.2f}**"])
    rows.append(["(read paths, shared with every figure)", run.steps["read paths"]])
    rows.append(["(whole analysis)", run.total_s])
    rows.append(["(loading the clicks, not analysis)", m.load_s])
    found = len(m.found & m.planted)
    facts = table(
        ["what", "value"],
        [
            ["clicks", run.clicks],
            ["paths", run.paths],
            ["pages", run.pages],
            ["misleading links planted / found / flagged", f"{PLANTED} / {found} / {len(m.found)}"],
            ["links with a second-order success probability", m.stored["pairs"]],
            ["resolution curves (site and entry pages, two axes)", m.stored["curves"]],
            ["curve points stored", m.stored["points"]],
            [
                "order test: statistic, degrees of freedom, p-value",
                f"{run.markov_order_statistic or 0:,.0f}, "
                f"{run.markov_order_degrees_of_freedom or 0:,}, {run.markov_order_p_value}",
            ],
        ],
    )
    body = "\n\n".join(
        [
            f"`pathrank analyze` on {m.clicks:,} simulated clicks (seed 1, {PLANTED} planted "
            "misleading links) loaded through the graph store (no Kafka), `python -m "
            "bench.second_order`. Seconds of the steps that second order and time to "
            "resolution add to the run: the U-turn tests of every link, the order test and "
            "the chain on page pairs (`second order`), the cumulative-incidence curves of "
            "the site and of every entry page (`time to resolution`), and writing them "
            "tagged with the run (`stage second order`). The whole analysis's time beside "
            "them tells how loaded the shared machine was during the run (compare the "
            "Analysis section).",
            table(["step (s)", f"{m.clicks:,} clicks"], rows),
            facts,
        ]
    )
    goals: tuple[tuple[str, bool], ...] = ()
    if m.clicks >= 1_000_000:
        goals = (
            (
                f"second order and time to resolution at 1M clicks < {GOAL_S:.0f} s",
                m.seconds < GOAL_S,
            ),
        )
    return Section("Second order", body, goals)


def main(sizes: list[int]) -> None:
    for size in sizes:
        m = measure(Settings(), size)
        print(f"{size} clicks: load {m.load_s:.1f}s")
        for step in STEPS:
            print(f"  {step:24} {m.run.steps[step]:7.2f}s")
        print(f"  {'together':24} {m.seconds:7.2f}s; found {len(m.found & m.planted)}/{PLANTED}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000])
