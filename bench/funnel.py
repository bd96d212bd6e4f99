"""Funnels beside pathStats, and a path export through pathrank.Client (BENCHMARKS.md
"Funnels and the Python client").

    .venv/bin/python -m bench.funnel [--clicks N] [--times T]

The graph: a simulated help center of N events (every planted effect: outcome events,
attributes, and searches in 30% of the sessions).
Measured on one server (response cache off), one request at a time: `pathStats` and a
5-step `funnel` (a page, a search, two patterns, the resolution) over every path, and the
same funnel with a 30-minute conversion window and in a segment. Then every path exported
through `Client.neo4j().iter_paths` in chunks of 10,000 in a process of its own, its peak
memory (RSS) beside the size of what it exported (the frames' deep memory, summed), and the
same export taken whole with `Client.paths()` for contrast.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Any

import httpx

from bench.api_latency import serve
from bench.report import Section, percentile, table
from pathrank.settings import Settings
from pathrank.wiring import Wiring

STATS = "{ pathStats { completed meanLength } }"
_STEPS = (
    '[{pageId: "p000"}, {event: SEARCH}, {pattern: "^p0[0-3]"}, {pattern: "[13579]$"}, '
    "{event: RESOLUTION}]"
)
_FIELDS = (
    "paths steps { reached converted dropped medianMinutesToNext "
    "dropOffNext(limit: 5) { pageId paths } }"
)
FUNNEL = f"{{ funnel(steps: {_STEPS}) {{ {_FIELDS} }} }}"
FUNNEL_WINDOW = f"{{ funnel(steps: {_STEPS}, withinMinutes: 30) {{ {_FIELDS} }} }}"
FUNNEL_SEGMENT = f'{{ funnel(steps: {_STEPS}, segment: "platform=mobile") {{ {_FIELDS} }} }}'
GOAL_S = 2.0


def load(s: Settings, clicks: int) -> int:
    """The simulated graph; the number of page clicks in it."""
    from simulator import SimulationConfig, simulate

    sim = simulate(SimulationConfig.full(seed=3, events=clicks, search_share=0.3))
    w = Wiring(s)
    with w.driver() as driver:
        admin = w.admin(driver)
        admin.ensure_schema()
        admin.clear()
        w.load(driver, sim.events, sim.pages)
    return sum(1 for e in sim.events if e.get("event_type", "page_view") in ("page_view", "search"))


def _timed(url: str, query: str, times: int) -> list[float]:
    seconds = []
    for _ in range(times):
        started = time.perf_counter()
        body = httpx.post(url, json={"query": query}, timeout=120).json()
        seconds.append(time.perf_counter() - started)
        if body.get("errors"):
            raise RuntimeError(f"{query[:40]}...: {body['errors'][0]['message']}")
    return seconds


def export(streamed: bool) -> dict[str, Any]:
    """Every path through Client.neo4j(), streamed or whole: rows, frame bytes, peak RSS."""
    from pathrank import Client

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    started = time.perf_counter()
    rows = size = 0
    with Client.neo4j(timeout_s=600) as client:
        frames = client.iter_paths(chunk_size=10_000) if streamed else iter([client.paths()])
        for frame in frames:
            rows += len(frame)
            size += int(frame.memory_usage(deep=True).sum())
            del frame
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"rows": rows, "bytes": size, "baseline": baseline, "peak": peak, "seconds": seconds}


def _export_in_child(streamed: bool) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.funnel", "--export", "streamed" if streamed else "whole"],
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return found


def run(s: Settings, clicks: int, times: int) -> tuple[str, list[tuple[str, bool]]]:
    loaded = load(s, clicks)
    with serve(cache=False) as server:
        _timed(server.url, FUNNEL, 1)  # plans compiled
        rows: list[tuple[str, list[float]]] = [
            ("pathStats", _timed(server.url, STATS, times)),
            ("funnel, 5 steps", _timed(server.url, FUNNEL, times)),
            ("funnel, 5 steps, 30-minute window", _timed(server.url, FUNNEL_WINDOW, times)),
            ("funnel, 5 steps, segment platform=mobile", _timed(server.url, FUNNEL_SEGMENT, times)),
        ]
    latency = table(
        ["request (every path)", "p50 s", "p99 s"],
        [(name, percentile(t, 0.5), percentile(t, 0.99)) for name, t in rows],
    )
    exports = [("streamed, 10,000 paths a chunk", _export_in_child(True))]
    exports.append(("whole, `Client.paths()`", _export_in_child(False)))
    mib = 1024 * 1024
    memory = table(
        ["path export", "paths", "frames MiB", "RSS after imports MiB", "peak RSS MiB", "s"],
        [
            (name, e["rows"], e["bytes"] / mib, e["baseline"] / mib, e["peak"] / mib, e["seconds"])
            for name, e in exports
        ],
    )
    funnel_p50 = percentile(rows[1][1], 0.5)
    streamed, whole = exports[0][1], exports[1][1]
    goals = [
        (f"funnel (5 steps, {loaded:,} clicks) p50 under {GOAL_S:g} s", funnel_p50 < GOAL_S),
        (
            "the streamed export's peak memory stays below the whole export's frames",
            streamed["peak"] - streamed["baseline"] < whole["bytes"],
        ),
    ]
    body = "\n\n".join([f"{loaded:,} page clicks.", latency, memory])
    return body, goals


def section(settings: Settings, quick: bool) -> Section:
    body, goals = run(settings, 100_000 if quick else 1_000_000, 3 if quick else 10)
    intro = __doc__.split("\n\n", 2)[2].strip()
    return Section("Funnels and the Python client", f"{intro}\n\n{body}", tuple(goals))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clicks", type=int, default=1_000_000)
    parser.add_argument("--times", type=int, default=10)
    parser.add_argument("--export", choices=["streamed", "whole"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export:
        print(json.dumps(export(args.export == "streamed")))
        return
    body, goals = run(Settings(), args.clicks, args.times)
    print(body)
    for goal, met in goals:
        print(f"- {'met' if met else 'NOT met'}: {goal}")


if __name__ == "__main__":
    main()
