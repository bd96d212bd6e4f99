"""Ingest throughput: Kafka to paths end to end, beside the write ceiling and a naive baseline.

    .venv/bin/python -m bench.ingest_throughput 100000 1000000

For each size, on the same simulated events (fixed seed), one after another in this run:

- end to end: the events are produced into a fresh topic first (not timed), then an ingest
  worker (the one `pathrank ingest` runs, in-process) consumes the pre-filled topic; the time
  is from `run()` to the last offset commit (so the idle wait is not counted);
- ceiling: the same batches (same size) fed from memory straight into the store, no Kafka;
- naive: one transaction per event with MERGE (customer, page, click, ON, VISITED, NEXT,
  TRANSITION increment), as tutorials do, on the first events, time-boxed;
- beside analyses (the first size): end to end again, with analyses running back to back in
  another process the whole time, as a share of end to end alone.

Wipes the graph of the Neo4j it talks to (PATHRANK_* settings); creates and deletes its own
topics in the Kafka it talks to.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from confluent_kafka.admin import AdminClient
from neo4j import Driver

from bench.beside import Beside, analyses_beside
from bench.naive_store import NaiveClickWriter
from bench.report import Section, Throughput, table
from graph_model.admin import GraphAdmin, GraphCounts
from ingest.batch import apply_batches
from ingest.catalog import catalog_entry
from ingest.events import event_from_record
from ingest.produce import produce_events, produce_pages
from ingest.topics import dlq_topic, ensure_topics
from ingest.worker import IngestStats
from pathrank.settings import Settings
from pathrank.wiring import Wiring
from simulator import SimulationConfig, simulate

SEED = 3
BATCH = 5000  # `pathrank ingest --batch-size` default
IDLE_S = 2.0
NAIVE_EVENTS = 5000
WARM_UP_EVENTS = 20_000
NAIVE_BUDGET_S = 60.0
GOAL_OF_CEILING = 0.70
GOAL_OVER_NAIVE = 20.0
GOAL_RATE = 20_000.0


@dataclass(frozen=True, slots=True)
class Run(Throughput):
    counts: GraphCounts | None = None


@dataclass(frozen=True, slots=True)
class SizeResult:
    size: int
    e2e: Run
    ceiling: Run
    naive: Run
    beside: tuple[Run, Beside] | None = None  # end to end with analyses running beside it


def end_to_end(w: Wiring, driver: Driver, events: list[dict[str, Any]], pages: list[Any]) -> Run:
    """Produce into fresh topics (untimed), then time a worker from start to its last commit."""
    s = w.s
    run_id = uuid.uuid4().hex[:8]
    topic, pages_topic = f"bench-clicks-{run_id}", f"bench-pages-{run_id}"
    ensure_topics(s.kafka_bootstrap, topic, pages_topic, s.topic_partitions)
    try:
        produce_pages(pages, s.kafka_bootstrap, pages_topic)
        produce_events(events, s.kafka_bootstrap, topic)
        config = replace(
            w.ingest_config(
                topic=topic, group=f"bench-{run_id}", until_idle_s=IDLE_S, batch_size=BATCH
            ),
            pages_topic=pages_topic,
        )
        last_commit: list[float] = []

        def on_batch(_stats: IngestStats) -> None:
            last_commit.append(time.perf_counter())

        started = time.perf_counter()
        stats = w.ingest_worker(driver, config, on_batch=on_batch).run()
        if stats.clicks != len(events):
            raise RuntimeError(f"consumed {stats.clicks} clicks of {len(events)}")
        return Run(len(events), last_commit[-1] - started, w.admin(driver).counts())
    finally:
        _delete_topics(s.kafka_bootstrap, [topic, pages_topic, dlq_topic(topic)])


def ceiling(w: Wiring, driver: Driver, events: list[dict[str, Any]], pages: list[Any]) -> Run:
    """The same batches straight from memory into the store: no Kafka, no JSON."""
    now_ms = int(time.time() * 1000)
    parsed = [event_from_record(e, now_ms=now_ms, seq=i) for i, e in enumerate(events)]
    w.catalog_store(driver).upsert([catalog_entry(p) for p in pages])
    started = time.perf_counter()
    apply_batches(w.path_store(driver), parsed, BATCH)
    return Run(len(events), time.perf_counter() - started, w.admin(driver).counts())


def naive(driver: Driver, s: Settings, events: list[dict[str, Any]]) -> Run:
    """One MERGE transaction per event on the first events, stopped after the time box."""
    writer = NaiveClickWriter(driver, s.neo4j_database)
    now_ms = int(time.time() * 1000)
    sample = [
        event_from_record(e, now_ms=now_ms, seq=i) for i, e in enumerate(events[:NAIVE_EVENTS])
    ]
    started = time.perf_counter()
    done = 0
    for click in sample:
        writer.write(click)
        done += 1
        if time.perf_counter() - started > NAIVE_BUDGET_S:
            break
    return Run(done, time.perf_counter() - started)


def _delete_topics(bootstrap: str, topics: list[str]) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.delete_topics(topics, operation_timeout=30).values():
        try:
            future.result(timeout=60)
        except Exception as exc:  # a leftover bench topic is not a failure
            print(f"could not delete a bench topic: {exc}", file=sys.stderr)


def cli_start_s() -> float:
    """What `pathrank ingest` pays before its first poll: interpreter and imports."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import pathrank.cli"], check=True, capture_output=True)
    return time.perf_counter() - started


def measure(s: Settings, sizes: Sequence[int]) -> list[SizeResult]:
    w = Wiring(s)
    driver = w.driver()
    admin: GraphAdmin = w.admin(driver)
    admin.ensure_schema()
    results: list[SizeResult] = []
    try:
        # A fresh server plans the statements and JIT-compiles on its first batches: warm it
        # once here so that neither the first end to end nor the first ceiling pays for it.
        admin.clear()
        warm = simulate(SimulationConfig(seed=SEED + 1, events=WARM_UP_EVENTS))
        ceiling(w, driver, warm.events, warm.pages)
        for size in sizes:
            sim = simulate(SimulationConfig(seed=SEED, events=size))
            admin.clear()
            e2e = end_to_end(w, driver, sim.events, sim.pages)
            _progress(size, "end to end", e2e)
            admin.clear()
            top = ceiling(w, driver, sim.events, sim.pages)
            _progress(size, "ceiling", top)
            admin.clear()
            base = naive(driver, s, sim.events)
            _progress(size, "naive", base)
            admin.clear()
            if e2e.counts != top.counts:
                raise RuntimeError(f"end to end and ceiling differ: {e2e.counts} {top.counts}")
            beside = None
            if not results:  # the first size: analyses beside ingest
                with analyses_beside(s) as analyses:
                    busy = end_to_end(w, driver, sim.events, sim.pages)
                _progress(size, "beside", busy)
                admin.clear()
                if busy.counts != e2e.counts:
                    raise RuntimeError(f"ingest beside analyses differs: {busy.counts}")
                beside = (busy, analyses)
            results.append(SizeResult(size, e2e, top, base, beside))
    finally:
        driver.close()
    return results


def _progress(size: int, what: str, run: Run) -> None:
    print(
        f"{size:>9,} {what:>10}: {run.events:,} events in {run.seconds:.1f}s, {run.rate:,.0f}/s",
        file=sys.stderr,
        flush=True,
    )


PROFILE_NOTE = """\
Profile and fix (numbers from runs on this shared machine, load average 5-9; details in
docs/ingest.md, "Throughput"). Per 5,000-event batch of the ceiling: Neo4j's commit ~38 % of
the wall time, the main write statement ~28 %, Python (compute + plan) ~14 %, the other
statements ~8 %. CPU per 100k events: Neo4j 6.3-7.5 s, almost all (92 % of JFR samples) on the
one Bolt thread running the batch's transaction, spread flat over index, record and
transaction-state work; Python 3.3-3.7 s. Batches are written one after another (batch N+1
reads the clicks N wrote), so the server side is bounded by one core: ~14k events/s at 100 % of
a free core, before Python. Changes: the worker now writes batch N while it consumes and parses
N+1 (explicit per-batch offset commits); `pathrank ingest` no longer imports the analysis stack
(`import pathrank.cli` 3.75 s -> 1.16 s); clear() deletes in server-side batches (100k-event
graph: 38 s -> 11 s). Before (same bench, sequential worker), 100k: end to end 8,128/s, ceiling
9,171/s (89 %), naive 265/s (31x); after, in runs minutes apart while other benchmarks shared
the machine, end to end 5,300-7,200/s at 86-102 % of the ceiling measured beside it (the table
above is a quieter run). Absolute rates follow the machine's load, hence the side-by-side
ceiling; the pipelined worker's gain is the share of the ceiling it reaches. Batches of 20,000
were not faster than 5,000 (6,719 vs 7,984/s and 4,539 vs 4,939/s side by side)."""


def section(settings: Settings, quick: bool) -> Section:
    sizes = [20_000] if quick else [100_000, 1_000_000]
    results = measure(settings, sizes)
    start_s = cli_start_s()
    rows = [
        (
            f"{r.size:,}",
            round(r.e2e.rate),
            round(r.ceiling.rate),
            f"{round(r.naive.rate)} ({r.naive.events:,} events)",
            f"{r.e2e.rate / r.ceiling.rate:.0%}",
            f"{r.e2e.rate / r.naive.rate:.0f}x",
            f"{r.e2e.seconds:.1f}",
        )
        for r in results
    ]
    body = "\n\n".join(
        [
            f"Simulated events (seed {SEED}), batches of {BATCH:,}; end to end = a pre-filled "
            "topic consumed by the ingest worker, from start to its last offset commit (idle "
            f"wait excluded); ceiling = the same batches from memory into the store; naive = one "
            f"MERGE transaction per event on the first {NAIVE_EVENTS:,} events (time-boxed to "
            f"{NAIVE_BUDGET_S:.0f} s). The graph is cleared before each run; end to end and "
            "ceiling are checked to write identical graphs. The server is warmed up first "
            f"with {WARM_UP_EVENTS:,} other events.",
            table(
                [
                    "events",
                    "end to end ev/s",
                    "ceiling ev/s",
                    "naive ev/s",
                    "e2e / ceiling",
                    "e2e / naive",
                    "e2e s",
                ],
                rows,
            ),
            f"`pathrank ingest` start-up (interpreter + imports) adds {start_s:.1f} s per run.",
            _beside_table(results),
            PROFILE_NOTE,
        ]
    )
    worst = min(results, key=lambda r: r.e2e.rate)
    beside = [b for r in results if r.beside for b in (r.beside[1],)]
    goals = (
        (
            "every analysis run beside ingest succeeded "
            f"({sum(b.runs for b in beside)} runs, {sum(len(b.failures) for b in beside)} failed)",
            bool(beside) and all(b.runs > 0 and not b.failures for b in beside),
        ),
        (
            f"end to end >= {GOAL_OF_CEILING:.0%} of the ceiling (worst: "
            f"{min(r.e2e.rate / r.ceiling.rate for r in results):.0%})",
            all(r.e2e.rate >= GOAL_OF_CEILING * r.ceiling.rate for r in results),
        ),
        (
            f"end to end >= {GOAL_OVER_NAIVE:.0f}x the naive baseline (worst: "
            f"{min(r.e2e.rate / r.naive.rate for r in results):.0f}x)",
            all(r.e2e.rate >= GOAL_OVER_NAIVE * r.naive.rate for r in results),
        ),
        (
            f"end to end >= {GOAL_RATE:,.0f} events/s (worst: {worst.e2e.rate:,.0f}/s)",
            all(r.e2e.rate >= GOAL_RATE for r in results),
        ),
    )
    return Section("Ingest", body, goals)


def _beside_table(results: Sequence[SizeResult]) -> str:
    rows = [
        (
            f"{r.size:,}",
            round(r.e2e.rate),
            round(busy.rate),
            f"{busy.rate / r.e2e.rate:.0%}",
            analyses.runs,
            len(analyses.failures),
            f"{max(analyses.seconds, default=0.0):.1f}",
        )
        for r in results
        if r.beside is not None
        for busy, analyses in (r.beside,)
    ]
    failures = [f for r in results if r.beside for f in r.beside[1].failures]
    return "\n\n".join(
        [
            "With analyses beside it: end to end again on the same events, while another "
            "process runs `pathrank analyze` back to back from the first batch to the last "
            "commit (each analysis on the graph as ingest has it by then), measured right "
            "after end to end alone in this run. The ratio is what an analysis running "
            "costs ingest on this machine (they share its CPUs).",
            table(
                [
                    "events",
                    "e2e alone ev/s",
                    "e2e beside analyses ev/s",
                    "beside / alone",
                    "analyses done",
                    "analyses failed",
                    "longest analysis s",
                ],
                rows,
            ),
            *([f"Failures: {'; '.join(failures)}"] if failures else []),
        ]
    )


def main(sizes: list[int]) -> None:
    print(section(Settings(), quick=False).markdown() if not sizes else "", end="")
    if sizes:
        for r in measure(Settings(), sizes):
            print(
                f"{r.size:,}: e2e {r.e2e.rate:,.0f}/s, ceiling {r.ceiling.rate:,.0f}/s, "
                f"naive {r.naive.rate:,.0f}/s, e2e/ceiling {r.e2e.rate / r.ceiling.rate:.0%}, "
                f"e2e/naive {r.e2e.rate / r.naive.rate:.0f}x"
            )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]])
