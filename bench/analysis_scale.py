"""Analysis time per step at growing graph sizes (simulated clicks loaded without Kafka),
beside networkx running the same algorithms on the same exported graph.

    .venv/bin/python -m bench.analysis_scale 10000 100000 1000000

Wipes the graph of the Neo4j it talks to (PATHRANK_* settings).
"""

from __future__ import annotations

import math
import multiprocessing
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import networkx as nx

from algorithms.gds.communities import PARAMETERS
from bench.analysed_graph import AnalysedGraph, export_analysed_graph
from bench.report import Section, table
from graph_model.run.record import AnalysisRun
from pathrank.settings import Settings
from pathrank.wiring import Wiring
from simulator import SimulationConfig, simulate

BATCH = 10_000
LOUVAIN_LIMIT_S = 120.0  # networkx Louvain is pure Python; past this it is reported unfinished
GAMMA = PARAMETERS.leiden_gamma  # the resolution our Leiden uses


@dataclass(frozen=True, slots=True)
class NetworkxTimes:
    """Seconds for networkx on the exported graph; each includes building its nx graph."""

    export_s: float
    pagerank_s: float
    routes_s: float  # fewest clicks and most likely, like our routes step
    louvain_s: float | None  # None: did not finish within LOUVAIN_LIMIT_S
    louvain_communities: int | None
    similar_pairs: int


@dataclass(frozen=True, slots=True)
class Measured:
    clicks: int
    load_s: float
    report: AnalysisRun
    networkx: NetworkxTimes | None
    rerun: AnalysisRun | None  # a second analysis, which replaces the first's results


def _timed(work: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    work()
    return time.perf_counter() - t0


def nx_pagerank(g: AnalysedGraph) -> dict[str, float]:
    graph = nx.DiGraph()
    graph.add_weighted_edges_from(g.transitions, weight="count")
    ranks: dict[str, float] = nx.pagerank(graph, alpha=0.85, weight="count", max_iter=100)
    return ranks


def nx_success_routes(g: AnalysedGraph) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """From every page to the nearest resolution page: fewest clicks (unit weights, i.e. BFS)
    and most likely (cost -log p), as multi-source Dijkstra on the reversed transitions."""
    out: dict[str, int] = {}
    for a, _b, count in g.transitions:
        out[a] = out.get(a, 0) + count
    graph = nx.DiGraph()
    graph.add_edges_from(
        (b, a, {"cost": -math.log(count / out[a])}) for a, b, count in g.transitions
    )
    sources = [p for p in g.resolution_pages if p in graph]
    _, fewest = nx.multi_source_dijkstra(graph, sources, weight=lambda _u, _v, _d: 1)
    _, likely = nx.multi_source_dijkstra(graph, sources, weight="cost")
    return fewest, likely


def _louvain_child(similar: list[tuple[int, int, float]], answer: Any) -> None:
    t0 = time.perf_counter()
    graph = nx.Graph()
    graph.add_weighted_edges_from(similar, weight="score")
    found = nx.community.louvain_communities(graph, weight="score", resolution=GAMMA, seed=42)
    answer.send((time.perf_counter() - t0, len(found)))


def nx_louvain(g: AnalysedGraph, limit_s: float) -> tuple[float | None, int | None]:
    """networkx Louvain on our SIMILAR graph (undirected, weight score, same gamma), in a
    forked process so it can be stopped at `limit_s`."""
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_louvain_child, args=(g.similar, send))
    child.start()
    done = receive.poll(limit_s)
    if not done:
        child.terminate()
        child.join()
        return None, None
    seconds, communities = receive.recv()
    child.join()
    return float(seconds), int(communities)


def run_networkx(driver: Any, database: str, louvain_limit_s: float) -> NetworkxTimes:
    t0 = time.perf_counter()
    g = export_analysed_graph(driver, database)
    export_s = time.perf_counter() - t0
    louvain_s, communities = nx_louvain(g, louvain_limit_s)
    return NetworkxTimes(
        export_s=export_s,
        pagerank_s=_timed(lambda: nx_pagerank(g)),
        routes_s=_timed(lambda: nx_success_routes(g)),
        louvain_s=louvain_s,
        louvain_communities=communities,
        similar_pairs=len(g.similar),
    )


def measure(
    settings: Settings, sizes: list[int], with_networkx: bool = False
) -> Iterator[Measured]:
    w = Wiring(settings)
    driver = w.driver()
    admin = w.admin(driver)
    admin.ensure_schema()
    for size in sizes:
        admin.clear()
        sim = simulate(SimulationConfig(seed=1, events=size))
        t0 = time.perf_counter()
        w.load(driver, sim.events, sim.pages, batch_size=BATCH)
        load_s = time.perf_counter() - t0
        report = w.analysis(driver).run()
        theirs = (
            run_networkx(driver, settings.neo4j_database, LOUVAIN_LIMIT_S)
            if with_networkx
            else None
        )
        rerun = w.analysis(driver).run() if with_networkx else None
        yield Measured(size, load_s, report, theirs, rerun)
    driver.close()


def _ratio(theirs: float | None, ours: float) -> str:
    return "—" if theirs is None or ours <= 0 else f"{theirs / ours:.3g}x"


def _steps_table(runs: list[Measured]) -> str:
    steps = list(dict.fromkeys(step for m in runs for step in m.report.steps))
    header = ["step (s)", *(f"{m.clicks:,} clicks" for m in runs)]
    rows: list[list[object]] = [
        [step, *(m.report.steps.get(step, 0.0) for m in runs)] for step in steps
    ]
    rows.append(["**total analysis**", *(f"**{m.report.total_s:.1f}**" for m in runs)])
    rows.append(["(loading the clicks, not analysis)", *(m.load_s for m in runs)])
    if all(m.rerun for m in runs):
        reruns = [m.rerun for m in runs if m.rerun]
        for step in ("communities (GDS)", "stage similar customers", "clean up"):
            rows.append([f"second run: {step}", *(r.steps[step] for r in reruns)])
        rows.append(["**second run: total analysis**", *(f"**{r.total_s:.1f}**" for r in reruns)])
    for key in ("customers", "pages", "paths", "transitions"):
        rows.append([key, *(getattr(m.report, key) for m in runs)])
    rows.append(["SIMILAR pairs written", *(m.report.similar_pairs for m in runs)])
    rows.append(["communities", *(m.report.communities for m in runs)])
    return table(header, rows)


def _networkx_table(runs: list[Measured]) -> str:
    rows: list[list[object]] = []
    for m in runs:
        nxt, steps = m.networkx, m.report.steps
        if nxt is None:
            continue
        clicks = f"{m.clicks:,}"
        pagerank = steps["pageRank (GDS)"]
        routes = steps["shortest success paths (GDS)"]
        communities = steps["communities (GDS)"]
        louvain = (
            f"{nxt.louvain_s:.2f} ({nxt.louvain_communities} communities)"
            if nxt.louvain_s is not None
            else f"did not finish in {LOUVAIN_LIMIT_S:.0f} s"
        )
        rows += [
            [clicks, "export from Neo4j", nxt.export_s, "—", "—"],
            [clicks, "PageRank", nxt.pagerank_s, pagerank, _ratio(nxt.pagerank_s, pagerank)],
            [
                clicks,
                "success routes (both modes)",
                nxt.routes_s,
                routes,
                _ratio(nxt.routes_s, routes),
            ],
            [
                clicks,
                "Louvain vs our Leiden compute",
                louvain,
                m.report.leiden_compute_s,
                _ratio(nxt.louvain_s, m.report.leiden_compute_s),
            ],
            [
                clicks,
                "Louvain vs our whole communities step",
                louvain,
                communities,
                _ratio(nxt.louvain_s, communities),
            ],
        ]
    return table(["clicks", "algorithm", "networkx s", "ours s", "networkx / ours"], rows)


def section(settings: Settings, quick: bool) -> Section:
    """Time per analysis step at 10k, 100k and 1M simulated clicks (quick: 10k), and
    networkx on the same exported graph."""
    sizes = [10_000] if quick else [10_000, 100_000, 1_000_000]
    runs = list(measure(settings, sizes, with_networkx=True))
    body = "\n\n".join(
        [
            "`pathrank analyze` on simulated clicks (seed 1) loaded through the graph store "
            "(no Kafka), `python -m bench.analysis_scale`. Seconds per step; GDS steps "
            "include projecting, computing and streaming the results back; the stage steps "
            "write them (tagged with the run, invisible), the switch makes them current, "
            "publish copies page figures and communities onto Page and Customer. The first "
            "run is on a freshly loaded graph; the second run (after the networkx "
            "comparison) replaces the first: its clean up waits out the 3 s grace period "
            "and deletes the first run's results (SIMILAR relationships above all), as "
            "every later `pathrank analyze` does.",
            _steps_table(runs),
            "networkx 3 on the same graph, exported from Neo4j after the analysis (export "
            "timed apart). Each networkx time includes building its graph from the exported "
            "lists, but writes nothing back. PageRank: TRANSITION weighted by count, damping "
            "0.85. Success routes: from every page to the nearest resolution page, fewest "
            "clicks (unit weights, BFS-equivalent) and most likely (cost -log p), multi-source "
            "Dijkstra on the reversed transitions; ours is the GDS step for both modes. "
            "Louvain: `louvain_communities` (resolution 0.1, seed 42) on the same customer "
            "similarity graph we give Leiden (our SIMILAR relationships, undirected, weight "
            f"score), stopped after {LOUVAIN_LIMIT_S:.0f} s; compared with GDS Leiden's "
            "compute time alone and with our whole communities step (which also computes the "
            "similarity graph with KNN and writes SIMILAR and communities).",
            _networkx_table(runs),
        ]
    )
    largest = runs[-1]
    goals: tuple[tuple[str, bool], ...] = ()
    if largest.clicks >= 1_000_000:
        goals = (("full analysis of 1M clicks < 60 s", largest.report.total_s < 60),)
        if largest.rerun:
            goals += (
                (
                    "second analysis of 1M clicks (replacing results) < 60 s",
                    largest.rerun.total_s < 60,
                ),
            )
    return Section("Analysis", body, goals)


def main(sizes: list[int]) -> None:
    for m in measure(Settings(), sizes):
        report = m.report
        rate = m.clicks / m.load_s
        print(f"\n## {m.clicks} clicks: load {m.load_s:.1f}s ({rate:.0f} clicks/s)")
        print(f"{report.pages} pages, {report.paths} paths, {report.customers} customers")
        for step, seconds in report.steps.items():
            print(f"  {step:32} {seconds:8.2f}s")
        print(f"  {'total':32} {report.total_s:8.2f}s")
        sys.stdout.flush()


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
