"""GraphQL API latency and throughput at a fixed concurrency, beside the raw-Cypher floor.

    .venv/bin/python -m bench.api_latency [--url http://127.0.0.1:8000/graphql]
        [--concurrency 16] [--requests 2000] [--load EVENTS]

Without --url it starts `pathrank serve` on a free port (PATHRANK_* settings) and stops it
afterwards. --load EVENTS first wipes the graph, loads that many simulated clicks (no Kafka)
and analyses them. For each read it reports p50/p99 latency and requests/s over HTTP
(one uvicorn worker), then the same Cypher statement through the async driver at the same
concurrency: the floor the API adds its parsing, validation, resolving and JSON to.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from neo4j import AsyncGraphDatabase, GraphDatabase, Query, RoutingControl

from graph_model import read_cypher
from pathrank.settings import Settings

WEAK_PAGES = """{ weakPages(limit: 20) {
  page { id title visits successProbability } impact reasons } }"""

PAGE = """query Page($id: ID!) { page(id: $id) {
  id title visits exits exitRate pageRank pathRank successProbability
  expectedClicksToResolution turnaroundRate isHotspot impact weakReasons } }"""

EXPLORER = """query Explorer($id: ID!) { page(id: $id) {
  id title visits successProbability isHotspot
  outgoing(limit: 10) { count probability to { id title } }
  incoming(limit: 10) { count probability from { id title } }
  hotspotStats { rate siteRate qValue }
  successPath(mode: MOST_LIKELY) { clicks probability pages { id title } }
  pathsThrough(first: 10) { totalCount nodes { id outcome length } } } }"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(
    call: Callable[[int], Awaitable[None]], requests: int, concurrency: int
) -> tuple[float, float, float]:
    """p50 and p99 latency in ms, and requests/s, of `requests` calls, `concurrency` at once."""
    latencies: list[float] = []
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        while next_index < requests:
            i = next_index
            next_index += 1
            t0 = time.perf_counter()
            await call(i)
            latencies.append(time.perf_counter() - t0)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    ms = [x * 1000 for x in latencies]
    return percentile(ms, 0.5), percentile(ms, 0.99), requests / elapsed


async def run(url: str, s: Settings, requests: int, concurrency: int) -> None:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        listing = await http.post(url, json={"query": "{ pages(first: 500) { nodes { id } } }"})
        page_ids = [n["id"] for n in listing.json()["data"]["pages"]["nodes"]]
        weak = await http.post(url, json={"query": WEAK_PAGES})
        if not page_ids or not weak.json()["data"]["weakPages"]:
            sys.exit("the graph has no analysed pages: use --load EVENTS or `pathrank demo`")

        def graphql(query: str, with_id: bool) -> Callable[[int], Awaitable[None]]:
            async def call(i: int) -> None:
                variables = {"id": page_ids[i % len(page_ids)]} if with_id else None
                r = await http.post(url, json={"query": query, "variables": variables})
                body = r.json()
                if r.status_code != 200 or body.get("errors"):
                    raise RuntimeError(f"{r.status_code}: {body}")

            return call

        scenarios = {
            "weakPages": graphql(WEAK_PAGES, False),
            "page(id)": graphql(PAGE, True),
            "page explorer": graphql(EXPLORER, True),
        }
        print(f"{len(page_ids)} pages; {requests} requests per read at concurrency {concurrency}")
        print(f"{'read':28} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}")
        for name, call in scenarios.items():
            await measure(call, min(200, requests), concurrency)  # warm up
            p50, p99, rps = await measure(call, requests, concurrency)
            print(f"{'GraphQL ' + name:28} {p50:8.2f} {p99:8.2f} {rps:8.0f}")

    driver = AsyncGraphDatabase.driver(
        s.neo4j_uri,
        auth=(s.neo4j_user, s.neo4j_password),
        max_connection_pool_size=concurrency,
        notifications_min_severity="OFF",
    )
    async with driver:

        def cypher(text: str, params: Callable[[int], dict[str, Any]]) -> Callable[[int], Any]:
            async def call(i: int) -> None:
                await driver.execute_query(
                    Query(text, timeout=10.0),
                    params(i),
                    database_=s.neo4j_database,
                    routing_=RoutingControl.READ,
                    bookmark_manager_=None,
                )

            return call

        floors = {
            "weakPages": cypher(read_cypher.WEAK_PAGES, lambda _i: {"limit": 20, "minVisits": 0}),
            "page(id)": cypher(
                read_cypher.PAGES_BY_IDS, lambda i: {"ids": [page_ids[i % len(page_ids)]]}
            ),
        }
        for name, call in floors.items():
            await measure(call, min(200, requests), concurrency)
            p50, p99, rps = await measure(call, requests, concurrency)
            print(f"{'raw Cypher ' + name:28} {p50:8.2f} {p99:8.2f} {rps:8.0f}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve() -> Iterator[str]:
    """`pathrank serve` on a free port for the length of the benchmark."""
    port = _free_port()
    pathrank = str(Path(sys.executable).parent / "pathrank")
    log = tempfile.NamedTemporaryFile(prefix="pathrank-bench-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        [pathrank, "serve", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=os.environ,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                sys.exit(f"pathrank serve exited: {Path(log.name).read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                sys.exit("pathrank serve did not become healthy in 60 s")
            time.sleep(0.2)
        yield f"{base}/graphql"
    finally:
        proc.terminate()
        proc.wait(15)
        log.close()


def load(s: Settings, events: int) -> None:
    from graphdatascience import GraphDataScience

    from algorithms.analyze import Analysis
    from bench.analysis_scale import load as load_events
    from graph_model.analysis_store import Neo4jAnalysisStore
    from graph_model.records import PageCatalogEntry
    from graph_model.store import Neo4jPathGraphStore
    from ingest.batch import PathRules
    from ingest.simulator import SimulationConfig, simulate

    timeout_ms = int(s.inactivity_timeout_s * 1000)
    with GraphDatabase.driver(s.neo4j_uri, auth=(s.neo4j_user, s.neo4j_password)) as driver:
        store = Neo4jPathGraphStore(driver, s.neo4j_database, timeout_ms)
        store.ensure_schema()
        store.clear()
        sim = simulate(SimulationConfig(seed=7, events=events))
        store.upsert_pages(
            [
                PageCatalogEntry(p["page_id"], p["title"], p["url"], tuple(p["links"]))
                for p in sim.pages
            ]
        )
        rules = PathRules(timeout_ms=timeout_ms, quick_ms=int(s.quick_turnaround_s * 1000))
        seconds = load_events(store, sim.events, rules)
        gds = GraphDataScience(driver, database=s.neo4j_database, show_progress=False)
        Analysis(Neo4jAnalysisStore(driver, s.neo4j_database), gds).run()
    print(f"loaded and analysed {events} simulated clicks (load {seconds:.1f}s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="GraphQL endpoint; default: start `pathrank serve`")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--load", type=int, metavar="EVENTS", help="wipe, load and analyse")
    args = parser.parse_args()
    s = Settings()
    if args.load:
        load(s, args.load)
    if args.url:
        asyncio.run(run(args.url, s, args.requests, args.concurrency))
    else:
        with serve() as url:
            asyncio.run(run(url, s, args.requests, args.concurrency))
    print(f"(server, client and Neo4j share this machine's {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
