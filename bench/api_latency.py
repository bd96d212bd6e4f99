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
import asyncio
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import orjson
from neo4j import READ_ACCESS, AsyncDriver, AsyncGraphDatabase, Query

from bench.beside import Beside, analyses_beside
from bench.report import Section, percentile, table
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


# Everything an analysis writes, in one request: what a dashboard polls while one runs.
ANALYSED = """{ latestAnalysis { id communities linkSuggestions }
  linkSuggestions(limit: 200) { from { id } to { id } clicksSaved }
  communities(first: 20) { totalCount nodes { id size } }
  weakPages(limit: 20) { page { id } impact } }"""


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
class Stats:
    p50_ms: float
    p99_ms: float
    rps: float
    client_cpu_ms: float  # load generator CPU per request
    server_cpu_ms: float | None = None  # `pathrank serve` CPU per request, when known


@dataclass(frozen=True, slots=True)
class Row:
    read: str
    concurrency: int
    graphql: Stats  # response cache off: every request executed
    cached: Stats | None  # response cache on, unchanged graph (None: not measured)
    cypher: Stats
    neo4j_queries: int  # X-Neo4j-Queries of one request (uncached)


@dataclass(frozen=True, slots=True)
class Server:
    url: str
    pid: int | None  # for its CPU per request, when known


# ---- the GraphQL side ------------------------------------------------------------------


def _bodies(read: Read, page_ids: list[str]) -> list[bytes]:
    variables = [{"id": i} for i in page_ids] if read.by_id else [None]
    return [orjson.dumps({"query": read.graphql, "variables": v}) for v in variables]


def check(url: str, body: bytes) -> int:
    """One request that must succeed; returns the Neo4j queries it cost."""
    r = httpx.post(url, content=body, headers={"content-type": "application/json"}, timeout=30)
    answer = r.json()
    if r.status_code != 200 or answer.get("errors"):
        raise RuntimeError(f"GraphQL read failed ({r.status_code}): {answer}")
    return int(r.headers.get("x-neo4j-queries", "0"))


_WRK_LUA = """
local bodies = {%s}
local headers = { ["Content-Type"] = "application/json" }
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", nil, headers, bodies[(i %% #bodies) + 1])
end
"""
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _wrk_ms(output: str, label: str) -> float:
    found = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"no {label} in wrk output:\n{output}")
    return float(found.group(1)) * _UNITS[found.group(2)]


def _cpu_s(pid: int | None) -> float | None:
    """User + system CPU seconds of a process so far (Linux /proc), or None."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def graphql_wrk(
    wrk: str, url: str, bodies: list[bytes], concurrency: int, seconds: float, server: int | None
) -> Stats:
    items = ",".join(f"[==[{b.decode()}]==]" for b in bodies)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_LUA % items)

    def run(duration: float) -> tuple[str, float, float | None]:
        cpu0, server0 = _children_cpu_s(), _cpu_s(server)
        command = [wrk, "-t1", f"-c{concurrency}", f"-d{max(1, round(duration))}s"]
        command += ["--timeout", "10s", "--latency", "-s", script.name, url]
        out = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        server1 = _cpu_s(server)
        used = None if server0 is None or server1 is None else server1 - server0
        return out, _children_cpu_s() - cpu0, used

    try:
        run(1)  # warm up
        out, client_s, server_s = run(seconds)
    finally:
        os.unlink(script.name)
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw failed requests:\n{out}")
    done = re.search(r"^\s*(\d+) requests in", out, re.MULTILINE)
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.MULTILINE)
    if done is None or rps is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    n = int(done.group(1))
    return Stats(
        _wrk_ms(out, "50%"),
        _wrk_ms(out, "99%"),
        float(rps.group(1)),
        client_s * 1000 / n,
        None if server_s is None else server_s * 1000 / n,
    )


async def closed_loop(
    call: Callable[[int], Awaitable[None]], concurrency: int, seconds: float
) -> tuple[list[float], float, float]:
    """`concurrency` workers calling back to back for `seconds`: latencies (ms), elapsed s
    and this process's CPU seconds."""
    latencies: list[float] = []
    counter = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal counter
        while time.perf_counter() < deadline:
            counter += 1
            t0 = time.perf_counter()
            await call(counter)
            latencies.append((time.perf_counter() - t0) * 1000)

    cpu0, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started, time.process_time() - cpu0


def _stats(
    latencies: list[float], elapsed: float, cpu_s: float, server_s: float | None = None
) -> Stats:
    n = len(latencies)
    server = None if server_s is None else server_s * 1000 / n
    return Stats(
        percentile(latencies, 0.5),
        percentile(latencies, 0.99),
        n / elapsed,
        cpu_s * 1000 / n,
        server,
    )


async def graphql_httpx(
    url: str, bodies: list[bytes], concurrency: int, seconds: float, server: int | None
) -> Stats:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient(limits=limits, timeout=30) as http:

        async def call(i: int) -> None:
            r = await http.post(url, content=bodies[i % len(bodies)], headers=headers)
            if r.status_code != 200 or b'"errors"' in r.content:
                raise RuntimeError(f"{r.status_code}: {r.text[:500]}")

        await closed_loop(call, concurrency, 1)
        server0 = _cpu_s(server)
        latencies, elapsed, cpu = await closed_loop(call, concurrency, seconds)
        server1 = _cpu_s(server)
    used = None if server0 is None or server1 is None else server1 - server0
    return _stats(latencies, elapsed, cpu, used)


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
    return _stats(*await closed_loop(call, concurrency, seconds))


def _run_async(coro: Coroutine[Any, Any, Stats]) -> Stats:
    """On uvloop when it is there, as `pathrank serve` runs."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def http_client() -> str:
    """The HTTP load generator `http_load` uses, as the reports name it."""
    return "wrk" if shutil.which("wrk") else "httpx (Python: the client competes for CPU)"


def http_load(
    url: str, bodies: list[bytes], concurrency: int, seconds: float, pid: int | None
) -> Stats:
    """Closed-loop GraphQL load: from wrk (C, a few percent of a CPU) when it is installed,
    else from httpx in this process."""
    wrk = shutil.which("wrk")
    if wrk:
        return graphql_wrk(wrk, url, bodies, concurrency, seconds, pid)
    return _run_async(graphql_httpx(url, bodies, concurrency, seconds, pid))


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

            floor_stats = _run_async(floor())
            rows.append(Row(read.name, concurrency, executed, from_cache, floor_stats, queries))
            print(f"  {read.name} at {concurrency}: {rows[-1]}", file=sys.stderr, flush=True)
    return rows, http_client()


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("inf")


def _ratio_to(floor: float, field: str, stats: Stats) -> float:
    return _ratio(float(getattr(stats, field)), floor)


def _ms(stats: Stats | None, value: Callable[[Stats], float | None]) -> object:
    got = None if stats is None else value(stats)
    return "n/a" if got is None else got


def render(rows: list[Row]) -> str:
    latency = table(
        [
            "read",
            "conc.",
            "p50 ms uncached",
            "p50 ms cached",
            "p50 ms raw",
            "p99 ms uncached",
            "p99 ms cached",
            "p99 ms raw",
        ],
        [
            (
                r.read,
                r.concurrency,
                r.graphql.p50_ms,
                _ms(r.cached, lambda x: x.p50_ms),
                r.cypher.p50_ms,
                r.graphql.p99_ms,
                _ms(r.cached, lambda x: x.p99_ms),
                r.cypher.p99_ms,
            )
            for r in rows
        ],
    )
    against_raw = table(
        [
            "read",
            "conc.",
            "p50 ratio uncached",
            "p50 ratio cached",
            "p99 ratio uncached",
            "p99 ratio cached",
            "req/s uncached",
            "req/s cached",
            "req/s raw",
        ],
        [
            (
                r.read,
                r.concurrency,
                _ratio(r.graphql.p50_ms, r.cypher.p50_ms),
                _ms(r.cached, partial(_ratio_to, r.cypher.p50_ms, "p50_ms")),
                _ratio(r.graphql.p99_ms, r.cypher.p99_ms),
                _ms(r.cached, partial(_ratio_to, r.cypher.p99_ms, "p99_ms")),
                r.graphql.rps,
                _ms(r.cached, lambda x: x.rps),
                r.cypher.rps,
            )
            for r in rows
        ],
    )
    cpu = table(
        [
            "read",
            "conc.",
            "Neo4j queries uncached",
            "server CPU ms/req uncached",
            "server CPU ms/req cached",
            "HTTP client CPU ms/req",
            "Cypher client CPU ms/req",
        ],
        [
            (
                r.read,
                r.concurrency,
                r.neo4j_queries,
                _ms(r.graphql, lambda x: x.server_cpu_ms),
                _ms(r.cached, lambda x: x.server_cpu_ms),
                r.graphql.client_cpu_ms,
                r.cypher.client_cpu_ms,
            )
            for r in rows
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


RESPONSE_CACHE = """\
Response cache. A cached answer still reads the graph's data version (one tiny auto-commit
query, which every write our software makes changes in its own transaction) and then skips
parsing, validation, resolving, the read model's statements and JSON encoding: the server's
CPU per request drops to the HTTP layer, the version read and the lookup, the same for all
three reads. The first request after any write (an ingest batch, a catalog upsert, an
analysis run, a clear) executes as in the uncached column; so does every query not seen
since the last write. docs/api.md "Response cache" has the semantics.
"""

PROFILE_AND_FIX = """\
Profile and fix. `py-spy record` on `pathrank serve` under 16 concurrent `weakPages` (wrk)
found the server's one Python process to be the limit, at ~3-4.6 ms of CPU per request
against ~2 ms in Neo4j. In its samples: the driver's managed transaction (BEGIN, RUN +
PULL, COMMIT: two flushes and round trips; ~12% in BEGIN/COMMIT alone), fourteen
DataLoaders made per request where a read uses one or two (~5%), stdlib `json` (~2%), and
for p99 the garbage collector: each full collection re-scanned the ~200k objects that live
as long as the server (schema, libraries), a 100-250 ms stop of the event loop every few
seconds under load. Changed: the read model runs auto-commit reads (RUN + PULL in one
flush), loaders are made on first use, orjson encodes responses, uvloop and httptools are
dependencies, the page projection reads only what `PageRecord` holds, and `pathrank serve`
freezes its start-up heap (`gc.freeze()`) before serving.

What limits it now. With the fixes, the server's CPU per request is ~32-40% the driver
(sending, receiving and unpacking the rows: the work the raw client does too), ~30-35%
graphql-core + Strawberry resolving the fields (~5 us a field; `pages(first: 50)` has
250), ~10-14% uvicorn (two socket writes per response) and ~10% building records. On this shared
2-CPU machine every process gets a slice of a core, so a read's throughput follows its
Python process's CPU per request, and GraphQL/raw is close to server CPU / raw client CPU
(table above): ~2.4x for `page(id)`, ~4x for `weakPages`, ~5x for `pages(first: 50)`.
Meeting 2x would take the HTTP and GraphQL layers costing no more than the driver itself;
uncached p99 < 50 ms at 16 depends on the machine: in the busier profiling runs the raw
Cypher floor's own p99 was 30-170 ms.
The next levers are more server processes (uvicorn workers: needs Prometheus multiprocess
metrics and a cross-process analysis lock) and projecting only the selected fields.
"""

BEFORE_AFTER = """\
Before/after (100k clicks, 170 pages, wrk, 5 s per cell, the three servers measured in turn,
medians of two rounds). Each cell: the code before this work as it was installed (asyncio
loop, h11) / the same code on uvloop + httptools / with the fixes. The machine was shared
with other benchmarks, and rounds of the same server differed by up to 2x at p99, so only
large differences mean anything: `page(id)` gained ~30-40% req/s and ~20% server CPU per
request; `weakPages` ~10% CPU; `pages(first: 50)` nothing measurable (its time is in
unpacking and resolving 50 pages, which none of the fixes touched).

{table}
"""


@dataclass(frozen=True, slots=True)
class DuringAnalysis:
    concurrency: int
    quiet: Stats
    busy: Stats
    analyses: Beside


def during_analysis(
    s: Settings, server: Server, concurrency: int, seconds: float
) -> DuringAnalysis:
    """The analysis results read at `concurrency`, quiet, then while analyses run back to
    back in another process (the load starts once the first holds the lock)."""
    bodies = [orjson.dumps({"query": ANALYSED})]
    check(server.url, bodies[0])

    def http() -> Stats:
        return http_load(server.url, bodies, concurrency, seconds, server.pid)

    quiet = http()
    with analyses_beside(s) as analyses:
        deadline = time.monotonic() + 120
        while not _analysis_running(server.url):
            if time.monotonic() > deadline:
                raise RuntimeError("no analysis started beside the API")
            time.sleep(0.2)
        busy = http()
    if analyses.failures:
        raise RuntimeError(f"analyses beside the API failed: {analyses.failures}")
    return DuringAnalysis(concurrency, quiet, busy, analyses)


def _analysis_running(url: str) -> bool:
    query = "{ analysisRuns(limit: 1) { status } }"
    runs = httpx.post(url, json={"query": query}, timeout=30).json()["data"]["analysisRuns"]
    return bool(runs) and runs[0]["status"] == "RUNNING"


def render_during(d: DuringAnalysis) -> str:
    return table(
        [
            "read",
            "conc.",
            "p50 ms quiet",
            "p99 ms quiet",
            "p50 ms during analysis",
            "p99 ms during analysis",
            "p99 during / quiet",
            "req/s quiet",
            "req/s during",
            "analyses done during",
        ],
        [
            (
                "analysis results (latestAnalysis, linkSuggestions, communities, weakPages)",
                d.concurrency,
                d.quiet.p50_ms,
                d.quiet.p99_ms,
                d.busy.p50_ms,
                d.busy.p99_ms,
                f"{_ratio(d.busy.p99_ms, d.quiet.p99_ms):.2f}x",
                d.quiet.rps,
                d.busy.rps,
                d.analyses.runs,
            )
        ],
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


# Measured by hand when the fixes landed (the code before them cannot be benchmarked from
# this one): `python -m bench.api_latency --url ... --pid ...` against three servers side by
# side, two rounds, medians; each cell is original / original on uvloop+httptools / fixed.
BEFORE_AFTER_TABLE = """\
| read | conc. | p50 ms | p99 ms | req/s | server CPU ms/req |
|---|---|---|---|---|---|
| page(id) | 1 | 2.0 / 1.5 / 1.4 | 14 / 14 / 8 | 362 / 550 / 608 | 1.51 / 1.09 / 1.06 |
| page(id) | 16 | 25 / 24 / 16 | 102 / 256 / 102 | 546 / 520 / 780 | 1.23 / 1.34 / 1.01 |
| weakPages | 1 | 4.6 / 3.9 / 3.4 | 23 / 84 / 16 | 174 / 240 / 236 | 2.92 / 2.75 / 2.41 |
| weakPages | 16 | 45 / 51 / 49 | 131 / 212 / 150 | 315 / 264 / 287 | 2.55 / 2.83 / 2.51 |
| pages(first: 50) | 1 | 4.8 / 4.7 / 4.8 | 15 / 42 / 24 | 184 / 180 / 174 | 3.46 / 3.37 / 3.52 |
| pages(first: 50) | 16 | 94 / 87 / 117 | 236 / 467 / 281 | 155 / 156 / 130 | 4.04 / 4.27 / 4.30 |
"""


# ---- serving and loading -------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(cache: bool, env: Mapping[str, str] | None = None) -> Iterator[Server]:
    """`pathrank serve` on a free port for the length of the benchmark, with the response
    cache on or off (and `env`'s settings)."""
    port = _free_port()
    pathrank = str(Path(sys.executable).parent / "pathrank")
    log = tempfile.NamedTemporaryFile(prefix="pathrank-bench-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        [pathrank, "serve", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PATHRANK_API_CACHE": "1" if cache else "0", **(env or {})},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"pathrank serve exited: {Path(log.name).read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("pathrank serve did not become healthy in 60 s")
            time.sleep(0.2)
        yield Server(f"{base}/graphql", proc.pid)
    finally:
        proc.terminate()
        proc.wait(15)
        log.close()


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
