"""Searches: what they cost ingest, and the search reads of the API beside the page reads
(BENCHMARKS.md "Search").

    .venv/bin/python -m bench --only search [--quick]

Ingest: the same simulation (fixed seed) with and without searches, the searching one with
a search in 20% of its events, cut to the same number of events; each consumed end to end
by the ingest worker from a pre-filled topic (bench.ingest_throughput.end_to_end), in pairs
run back to back; the ratio compared is the median of the pairs'.

API: a simulation with searches loaded and analysed; one `pathrank serve` with the response
cache off (every request executed); `contentGaps(limit: 20)`, `searchQueries(first: 50)` and
the pages reads of bench.api_latency, one after the other at 16 concurrent clients.

Wipes the graph of the Neo4j it talks to (PATHRANK_* settings).
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

import httpx
import orjson

from bench.api_latency import PAGE, PAGES
from bench.http_load import Stats, check, http_client, http_load, serve
from bench.ingest_throughput import SEED, WARM_UP_EVENTS, Run, ceiling, end_to_end
from bench.report import Section, table
from pathrank.settings import Settings
from pathrank.wiring import Wiring
from simulator import SimulationConfig, simulate

SEARCH_SHARE = 0.9  # of sessions: about 20% of the events are searches
PAIRS = 3
GOAL_RATIO = 0.9
CONCURRENCY = 16

CONTENT_GAPS = """{ contentGaps(limit: 20) { text searches paths failedPaths failureRate
  noResultRate pogoRate excessFailures qValue results(limit: 3) { clicks resolutionRate
  page { id title } } } }"""
SEARCH_QUERIES = """{ searchQueries(first: 50) { totalCount pageInfo { hasNextPage endCursor }
  nodes { text searches customers noResultRate clickThroughRate pogoRate resolutionRate
  isContentGap } } }"""


def _events(size: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Any], float]:
    """(without searches, with searches cut to the same length, the pages, search share)."""
    plain = simulate(SimulationConfig(seed=SEED, events=size))
    searching = simulate(
        SimulationConfig(seed=SEED, events=size, search_share=SEARCH_SHARE, content_gaps=4)
    )
    cut = searching.events[: len(plain.events)]
    share = sum(e.get("event_type") == "search" for e in cut) / len(cut)
    return plain.events, cut, plain.pages, share


def ingest(s: Settings, size: int) -> tuple[list[tuple[Run, Run]], float]:
    """(without, with searches) per pair of runs, side by side (the pairs alternate which
    goes first, so a drift of the machine's load favours neither), and the search share."""
    w = Wiring(s)
    plain, searching, pages, share = _events(size)
    pairs: list[tuple[Run, Run]] = []
    with w.driver() as driver:
        admin = w.admin(driver)
        admin.ensure_schema()
        # A fresh server plans and compiles on its first batches: warm it, as the ingest
        # benchmark does, so that the first pair's first run does not pay for it.
        admin.clear()
        warm = simulate(
            SimulationConfig(seed=SEED + 1, events=WARM_UP_EVENTS, search_share=SEARCH_SHARE)
        )
        ceiling(w, driver, warm.events, warm.pages)
        for n in range(PAIRS):
            runs: dict[bool, Run] = {}
            order = [(False, plain), (True, searching)]
            for with_search, events in order if n % 2 == 0 else order[::-1]:
                admin.clear()
                runs[with_search] = end_to_end(w, driver, events, pages)
                print(
                    f"{size:,} {'with' if with_search else 'without'} searches: "
                    f"{runs[with_search].rate:,.0f}/s",
                    file=sys.stderr,
                    flush=True,
                )
            pairs.append((runs[False], runs[True]))
        admin.clear()
    return pairs, share


def api(s: Settings, events: int, seconds: float) -> list[tuple[str, Stats]]:
    w = Wiring(s)
    with w.driver() as driver:
        admin = w.admin(driver)
        admin.ensure_schema()
        admin.clear()
        sim = simulate(SimulationConfig(seed=7, events=events, search_share=0.3, content_gaps=4))
        w.load(driver, sim.events, sim.pages)
        w.analysis(driver).run()
    rows = []
    with serve(cache=False) as server:
        listing = httpx.post(server.url, json={"query": "{ pages(first: 200) { nodes { id } } }"})
        ids = [n["id"] for n in listing.json()["data"]["pages"]["nodes"]]
        reads = {
            "contentGaps(limit: 20)": [orjson.dumps({"query": CONTENT_GAPS})],
            "searchQueries(first: 50)": [orjson.dumps({"query": SEARCH_QUERIES})],
            "page(id)": [orjson.dumps({"query": PAGE, "variables": {"id": i}}) for i in ids],
            "pages(first: 50)": [orjson.dumps({"query": PAGES})],
        }
        for name, bodies in reads.items():
            check(server.url, bodies[0])
            stats = http_load(server.url, bodies, CONCURRENCY, seconds, server.pid)
            print(f"  {name}: {stats}", file=sys.stderr, flush=True)
            rows.append((name, stats))
    return rows


def section(settings: Settings, quick: bool) -> Section:
    size = 20_000 if quick else 100_000
    started = time.perf_counter()
    pairs, share = ingest(settings, size)
    reads = api(settings, 10_000 if quick else 100_000, 2.0 if quick else 5.0)
    ratio = statistics.median(b.rate / a.rate for a, b in pairs)
    ingest_table = table(
        ["pair", "events per run", "searches", "without ev/s", "with searches ev/s", "ratio"],
        [
            (
                n + 1,
                f"{size:,}",
                f"{share:.0%}",
                round(a.rate),
                round(b.rate),
                f"{b.rate / a.rate:.2f}",
            )
            for n, (a, b) in enumerate(pairs)
        ],
    )
    api_table = table(
        ["read (uncached)", "p50 ms", "p99 ms", "req/s", "server CPU ms/req"],
        [
            (
                name,
                f"{st.p50_ms:.1f}",
                f"{st.p99_ms:.1f}",
                round(st.rps),
                "-" if st.server_cpu_ms is None else f"{st.server_cpu_ms:.2f}",
            )
            for name, st in reads
        ],
    )
    by_name = dict(reads)
    pages_p99 = max(by_name["page(id)"].p99_ms, by_name["pages(first: 50)"].p99_ms)
    search_p99 = max(
        by_name["contentGaps(limit: 20)"].p99_ms, by_name["searchQueries(first: 50)"].p99_ms
    )
    search_cpu = max(
        by_name[n].server_cpu_ms or 0.0
        for n in ("contentGaps(limit: 20)", "searchQueries(first: 50)")
    )
    pages_cpu = by_name["pages(first: 50)"].server_cpu_ms or 0.0
    body = "\n\n".join(
        [
            f"Ingest: seed {SEED}, the same simulation with and without searches (the "
            f"searching one cut to the same number of events: {share:.0%} of them searches), "
            "each consumed end to end by the ingest worker from a pre-filled topic "
            f"(bench.ingest_throughput), in {PAIRS} pairs run back to back (which goes first "
            "alternates); the goal is on the median of the pairs' ratios (the machine is "
            "shared: single runs vary by 20%).",
            ingest_table,
            f"API: a simulation with searches (30% of sessions, 4 content gaps) loaded and "
            f"analysed; one `pathrank serve`, response cache off; {CONCURRENCY} concurrent "
            f"clients ({http_client()}), each read after the other.",
            api_table,
            f"Run took {time.perf_counter() - started:.0f} s.",
        ]
    )
    goals = (
        (
            f"ingest with {share:.0%} search steps >= {GOAL_RATIO:.0%} of the rate without "
            f"(median of {PAIRS} side-by-side pairs: {ratio:.2f})",
            ratio >= GOAL_RATIO,
        ),
        (
            f"search reads' server CPU per request within 2x pages(first: 50)'s at "
            f"{CONCURRENCY} clients ({search_cpu:.1f} vs {pages_cpu:.1f} ms; p99 in the table: "
            f"{search_p99:.0f} vs {pages_p99:.0f} ms)",
            search_cpu <= 2 * pages_cpu,
        ),
    )
    return Section("Search", body, goals)
