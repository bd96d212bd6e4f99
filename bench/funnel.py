"""Funnels beside pathStats, and a path export through pathrank.Client (BENCHMARKS.md
"Funnels and the Python client").

    .venv/bin/python -m bench.funnel [--clicks N] [--times T] [--no-load]

The graph: a simulated help center of N events (every planted effect: outcome events,
attributes, and searches in 30% of the sessions). Measured on one server (response cache
off), one request at a time: `pathStats` and a 5-step `funnel` (a page, a search, two
patterns, the resolution) over every path, and the same funnel with a 30-minute conversion
window and in a segment. Then every path exported through `Client.neo4j().iter_paths` in
chunks of 2,000 and of 10,000 paths, and taken whole with `Client.paths()`, each in a
process of its own: the size of what it exported (the frames' deep memory, summed) beside
the process's resident memory once the client is open and its peak while exporting (from
/proc).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench.http_load import serve
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
CHUNKS = (2_000, 10_000)  # paths per chunk of the streamed exports


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


def _memory(field: str) -> int:
    """VmRSS (now) or VmHWM (the peak since the last reset) of this process, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def export(chunk: int | None) -> dict[str, Any]:
    """Every path through Client.neo4j(), in chunks of `chunk` paths or whole (None): rows,
    frame bytes, and the process's memory once the client is open and at its peak during the
    export."""
    from pathrank import Client

    with Client.neo4j(timeout_s=600) as client:
        client.pages()  # the driver, the schema and pandas are loaded before the baseline
        baseline = _memory("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # the peak starts from here
        started = time.perf_counter()
        rows = size = 0
        frames = client.iter_paths(chunk_size=chunk) if chunk else iter([client.paths()])
        for frame in frames:
            rows += len(frame)
            size += int(frame.memory_usage(deep=True).sum())
            del frame
        seconds = time.perf_counter() - started
        peak = _memory("VmHWM")
    return {"rows": rows, "bytes": size, "baseline": baseline, "peak": peak, "seconds": seconds}


def _export_in_child(chunk: int | None) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.funnel", "--export", str(chunk or 0)],
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return found


def run(
    s: Settings, clicks: int, times: int, fresh: bool = True
) -> tuple[str, list[tuple[str, bool]]]:
    """`fresh`: load the simulation (else measure the graph as it is, `clicks` its size)."""
    loaded = load(s, clicks) if fresh else clicks
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
    exports = [(f"`iter_paths`, {c:,} paths a chunk", _export_in_child(c)) for c in CHUNKS]
    exports.append(("whole, `Client.paths()`", _export_in_child(None)))
    mib = 1024 * 1024
    memory = table(
        ["path export", "paths", "frames MiB", "RSS before MiB", "peak RSS during MiB", "s"],
        [
            (name, e["rows"], e["bytes"] / mib, e["baseline"] / mib, e["peak"] / mib, e["seconds"])
            for name, e in exports
        ],
    )
    funnel_p50 = percentile(rows[1][1], 0.5)

    def growth(e: dict[str, Any]) -> int:
        return int(e["peak"] - e["baseline"])

    streamed, whole = exports[1][1], exports[-1][1]
    goals = [
        (f"funnel (5 steps, {loaded:,} clicks) p50 under {GOAL_S:g} s", funnel_p50 < GOAL_S),
        (
            f"streamed by {CHUNKS[1]:,}, the export's memory grows by less than a third of "
            "the whole export's, and by less in smaller chunks",
            growth(streamed) < growth(whole) / 3 and growth(exports[0][1]) < growth(streamed),
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
    parser.add_argument(
        "--no-load", action="store_true", help="measure the graph as it is (--clicks: its size)"
    )
    parser.add_argument("--export", type=int, help=argparse.SUPPRESS)  # a chunk, 0: whole
    args = parser.parse_args()
    if args.export is not None:
        print(json.dumps(export(args.export or None)))
        return
    body, goals = run(Settings(), args.clicks, args.times, fresh=not args.no_load)
    print(body)
    for goal, met in goals:
        print(f"- {'met' if met else 'NOT met'}: {goal}")


if __name__ == "__main__":
    main()
