"""GraphQL API latency and throughput beside the raw-Cypher floor (BENCHMARKS.md "API").

    .venv/bin/python -m bench.api_latency [--url http://127.0.0.1:8000/graphql]
        [--cached-url URL] [--concurrency 1 16] [--seconds 5] [--load EVENTS]

Without --url it starts two `pathrank serve` on free ports (PATHRANK_* settings), one with
the response cache off (PATHRANK_API_CACHE=0) and one with it on, and stops them afterwards;
--url is a server with the cache off, --cached-url one with it on. --load EVENTS first wipes
the graph, loads that many simulated clicks (no Kafka) and analyses them.

For `page(id)`, `weakPages` and `pages(first: 50)` at each concurrency it measures p50/p99
latency and requests/s over HTTP, uncached (every request executed: the API's real cost of
answering) and cached (the same requests again on a graph that does not change: answered from
the response cache after the warm-up), then the statement the read model runs for that read,
straight through the async driver (auto-commit, as the read model runs it) at the same
concurrency and for the same time: the floor that GraphQL adds HTTP, parsing, validation,
resolving and JSON to.

The HTTP load comes from `wrk` (C, a few percent of a CPU) when it is installed
(`apt-get install wrk`), so the client does not take the CPU the server and Neo4j need on
a small machine; without it, from httpx (Python, which costs about as much CPU as the
server: the figures are then pessimistic). The Cypher client is this process on the async
driver, which is the work the API server itself does for the same read. Each side's client
CPU per request is reported.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
import orjson
from neo4j import READ_ACCESS, AsyncDriver, AsyncGraphDatabase, Query

from bench.api_during_analysis import during_analysis, render_during
from bench.api_findings import BEFORE_AFTER, BEFORE_AFTER_TABLE, PROFILE_AND_FIX, RESPONSE_CACHE
from bench.http_load import (
    Server,
    Stats,
    check,
    closed_loop,
    http_client,
    http_load,
    latency_stats,
    run_async,
    serve,
)
from bench.report import Section, ratio, table
from graph_model.page import cypher as page_cypher
from pathrank.settings import Settings
from pathrank.wiring import Wiring

PAGE = """query Page($id: ID!) { page(id: $id) {
  id title visits exits exitRate pageRank pathRank successProbability
  expectedClicksToResolution turnaroundRate isHotspot impact weakReasons } }"""

WEAK_PAGES = """{ weakPages(limit: 20) {
  page { id title visits successProbability } impact reasons } }"""

PAGES = """{ pages(first: 50) { pageInfo { hasNextPage endCursor }
  nodes { id title visits successProbability impact } } }"""


@dataclass(frozen=True, slots=True)
class Read:
    """One API read and the Cypher the read model runs for it."""

    name: str
    graphql: str
    by_id: bool  # cycles through page ids (a `$id` variable / `$ids` parameter)
    cypher: str
    params: dict[str, Any]


READS = (
    Read("page(id)", PAGE, True, page_cypher.PAGES_BY_IDS, {}),
    Read("weakPages", WEAK_PAGES, False, page_cypher.WEAK_PAGES, {"limit": 20, "minVisits": 0}),
    # the read model asks for first + 1 rows: the extra one says whether there is a next page
    Read("pages(first: 50)", PAGES, False, page_cypher.PAGES_BY_ID_FIRST, {"limit": 51}),
)


@dataclass(frozen=True, slots=True)
class Row:
    read: str
    concurrency: int
    graphql: Stats  # response cache off: every request executed
    cached: Stats | None  # response cache on, unchanged graph (None: not measured)
    cypher: Stats
    neo4j_queries: int  # X-Neo4j-Queries of one request (uncached)


def _bodies(read: Read, page_ids: list[str]) -> list[bytes]:
    variables = [{"id": i} for i in page_ids] if read.by_id else [None]
    return [orjson.dumps({"query": read.graphql, "variables": v}) for v in variables]


# ---- the raw Cypher side ---------------------------------------------------------------


async def cypher(
    driver: AsyncDriver,
    database: str,
    read: Read,
    page_ids: list[str],
    concurrency: int,
    seconds: float,
) -> Stats:
    async def call(i: int) -> None:
        params = {"ids": [page_ids[i % len(page_ids)]]} if read.by_id else dict(read.params)
        # Reads of analysis results find the current run themselves when nothing is pinned.
        params |= {"pinned": False, "run": None}
        async with driver.session(database=database, default_access_mode=READ_ACCESS) as s:
            result = await s.run(Query(read.cypher, timeout=10.0), params)
            _ = [record async for record in result]

    await closed_loop(call, concurrency, 1)
    return latency_stats(*await closed_loop(call, concurrency, seconds))


# ---- the benchmark ---------------------------------------------------------------------


def measure(
    s: Settings,
    uncached: Server,
    cached: Server | None,
    concurrencies: list[int],
    seconds: float,
) -> tuple[list[Row], str]:
    """Every read at every concurrency: GraphQL uncached, GraphQL cached, raw Cypher, side by
    side; and the HTTP client used."""
    url = uncached.url
    listing = httpx.post(url, json={"query": "{ pages(first: 500) { nodes { id } } }"}, timeout=30)
    page_ids = [n["id"] for n in listing.json()["data"]["pages"]["nodes"]]
    weak = httpx.post(url, json={"query": WEAK_PAGES}, timeout=30).json()["data"]["weakPages"]
    if not page_ids or not weak:
        raise RuntimeError("the graph has no analysed pages: load and analyse first")
    driver = AsyncGraphDatabase.driver
    password = Wiring(s).password()
    rows: list[Row] = []
    for read in READS:
        bodies = _bodies(read, page_ids)
        queries = check(url, bodies[0])
        for server in (uncached, cached):
            if server is not None:  # every answer cached, if the cache is on
                for body in bodies:
                    check(server.url, body)

        def http(target: Server, c: int, b: list[bytes] = bodies) -> Stats:
            return http_load(target.url, b, c, seconds, target.pid)

        for concurrency in concurrencies:
            executed = http(uncached, concurrency)
            from_cache = None if cached is None else http(cached, concurrency)

            async def floor(c: int = concurrency, r: Read = read) -> Stats:
                async with driver(
                    s.neo4j_uri,
                    auth=(s.neo4j_user, password),
                    max_connection_pool_size=max(c, 1),
                    notifications_min_severity="OFF",
                ) as d:
                    return await cypher(d, s.neo4j_database, r, page_ids, c, seconds)

            floor_stats = run_async(floor())
            rows.append(Row(read.name, concurrency, executed, from_cache, floor_stats, queries))
            print(f"  {read.name} at {concurrency}: {rows[-1]}", file=sys.stderr, flush=True)
    return rows, http_client()


def _ratio_to(floor: float, field: str, stats: Stats) -> float:
    return ratio(float(getattr(stats, field)), floor)


def _ms(stats: Stats | None, value: Callable[[Stats], float | None]) -> object:
    got = None if stats is None else value(stats)
    return "n/a" if got is None else got


Column = tuple[str, Callable[[Row], object]]  # a header and the cell of a row


def _table(rows: list[Row], columns: list[Column]) -> str:
    """The read and the concurrency of each row, then `columns`."""
    return table(
        ["read", "conc.", *(header for header, _ in columns)],
        [(r.read, r.concurrency, *(cell(r) for _, cell in columns)) for r in rows],
    )


def render(rows: list[Row]) -> str:
    latency = _table(
        rows,
        [
            ("p50 ms uncached", lambda r: r.graphql.p50_ms),
            ("p50 ms cached", lambda r: _ms(r.cached, lambda x: x.p50_ms)),
            ("p50 ms raw", lambda r: r.cypher.p50_ms),
            ("p99 ms uncached", lambda r: r.graphql.p99_ms),
            ("p99 ms cached", lambda r: _ms(r.cached, lambda x: x.p99_ms)),
            ("p99 ms raw", lambda r: r.cypher.p99_ms),
        ],
    )
    against_raw = _table(
        rows,
        [
            ("p50 ratio uncached", lambda r: ratio(r.graphql.p50_ms, r.cypher.p50_ms)),
            (
                "p50 ratio cached",
                lambda r: _ms(r.cached, partial(_ratio_to, r.cypher.p50_ms, "p50_ms")),
            ),
            ("p99 ratio uncached", lambda r: ratio(r.graphql.p99_ms, r.cypher.p99_ms)),
            (
                "p99 ratio cached",
                lambda r: _ms(r.cached, partial(_ratio_to, r.cypher.p99_ms, "p99_ms")),
            ),
            ("req/s uncached", lambda r: r.graphql.rps),
            ("req/s cached", lambda r: _ms(r.cached, lambda x: x.rps)),
            ("req/s raw", lambda r: r.cypher.rps),
        ],
    )
    cpu = _table(
        rows,
        [
            ("Neo4j queries uncached", lambda r: r.neo4j_queries),
            ("server CPU ms/req uncached", lambda r: _ms(r.graphql, lambda x: x.server_cpu_ms)),
            ("server CPU ms/req cached", lambda r: _ms(r.cached, lambda x: x.server_cpu_ms)),
            ("HTTP client CPU ms/req", lambda r: r.graphql.client_cpu_ms),
            ("Cypher client CPU ms/req", lambda r: r.cypher.client_cpu_ms),
        ],
    )
    return (
        f"{latency}\n\nAgainst raw Cypher (GraphQL / raw) and throughput:\n\n{against_raw}"
        f"\n\nWhere the CPU goes (per request; a cached answer costs one Neo4j query, the "
        f"version read):\n\n{cpu}"
    )


def goals(rows: list[Row]) -> tuple[tuple[str, bool], ...]:
    """Each goal for both rows, never mixed: uncached is what any request costs the API;
    cached only holds for repeated reads of an unchanged graph."""
    at_16 = [r for r in rows if r.concurrency == 16]
    cached = [r.cached for r in rows if r.cached is not None]
    cached_16 = [r.cached for r in at_16 if r.cached is not None]
    return (
        (
            "p99 < 50 ms at concurrency 16 (each read), uncached",
            bool(at_16) and all(r.graphql.p99_ms < 50 for r in at_16),
        ),
        (
            "p99 < 50 ms at concurrency 16 (each read), cached (repeated reads, unchanged graph)",
            bool(cached_16)
            and len(cached_16) == len(at_16)
            and all(c.p99_ms < 50 for c in cached_16),
        ),
        (
            "GraphQL <= 2x raw Cypher (p50, each read, each concurrency), uncached",
            all(r.graphql.p50_ms <= 2 * r.cypher.p50_ms for r in rows),
        ),
        (
            "GraphQL <= 2x raw Cypher (p50, each read, each concurrency), cached (repeated "
            "reads, unchanged graph)",
            bool(cached)
            and len(cached) == len(rows)
            and all(r.cached is not None and r.cached.p50_ms <= 2 * r.cypher.p50_ms for r in rows),
        ),
    )


def section(settings: Settings, quick: bool) -> Section:
    events = 10_000 if quick else 100_000
    seconds = 2.0 if quick else 5.0
    load(settings, events)
    with serve(cache=False) as uncached, serve(cache=True) as cached:
        rows, client = measure(settings, uncached, cached, [1, 16], seconds)
        during = during_analysis(settings, uncached, 16, 10.0 if quick else 30.0)
    body = "\n\n".join(
        [
            f"{events:,} simulated clicks loaded and analysed; two `pathrank serve` (one "
            "uvicorn worker each) on this machine, one with the response cache off "
            "(PATHRANK_API_CACHE=0: **uncached**, every request executed, what any request "
            "costs) and one with it on (**cached**: the same requests repeated on a graph that "
            "does not change during the run, each request body sent once before, so every "
            "answer comes from the cache; this is the dashboard-polling case, NOT what a "
            "changing graph or a new query gets). Each cell is "
            f"{seconds:.0f} s of closed-loop load after 1 s of "
            f"warm-up, the three columns of a row measured one after the other. HTTP client: "
            f"{client}. Raw = the read model's statement through the async driver "
            "(auto-commit) at the same concurrency, from this process (Python, on uvloop): "
            "the floor the API adds HTTP, parsing, validation, resolving and JSON to. Servers, "
            "clients and Neo4j share the CPUs. The goals are evaluated on the uncached and "
            "the cached rows separately.",
            render(rows),
            "While an analysis runs: one request of everything an analysis writes, on the "
            "uncached server at concurrency 16, for the same time quiet and then while "
            "analyses run back to back in another process (from the moment the first holds "
            "the lock; each one stages its results, switches and deletes the previous run's "
            "while the requests go on). Every answer is one complete run (the tests check "
            "it); the difference is what sharing the CPUs and Neo4j with an analysis costs.",
            render_during(during),
            RESPONSE_CACHE,
            PROFILE_AND_FIX,
            BEFORE_AFTER.format(table=BEFORE_AFTER_TABLE),
        ]
    )
    return Section("API", body, goals(rows))


def load(s: Settings, events: int) -> None:
    from simulator import SimulationConfig, simulate

    w = Wiring(s)
    with w.driver() as driver:
        admin = w.admin(driver)
        admin.ensure_schema()
        admin.clear()
        sim = simulate(SimulationConfig(seed=7, events=events))
        started = time.perf_counter()
        w.load(driver, sim.events, sim.pages)
        seconds = time.perf_counter() - started
        w.analysis(driver).run()
    print(f"loaded and analysed {events} simulated clicks (load {seconds:.1f}s)", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url", help="GraphQL endpoint, response cache off; default: start `pathrank serve`"
    )
    parser.add_argument("--pid", type=int, help="with --url: the server's pid (its CPU/req)")
    parser.add_argument("--cached-url", help="with --url: an endpoint with the cache on")
    parser.add_argument("--cached-pid", type=int, help="with --cached-url: its server's pid")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--load", type=int, metavar="EVENTS", help="wipe, load and analyse")
    args = parser.parse_args()
    s = Settings()
    if args.load:
        load(s, args.load)
    if args.url:
        cached = Server(args.cached_url, args.cached_pid) if args.cached_url else None
        rows, client = measure(
            s, Server(args.url, args.pid), cached, args.concurrency, args.seconds
        )
    else:
        with serve(cache=False) as uncached, serve(cache=True) as cached_server:
            rows, client = measure(s, uncached, cached_server, args.concurrency, args.seconds)
    print(render(rows))
    for goal, ok in goals(rows):
        print(f"{'met' if ok else 'NOT met'}: {goal}")
    print(f"(HTTP client: {client}; server, clients and Neo4j share {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
