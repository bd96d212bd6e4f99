"""What hostile queries cost `pathrank serve`, and what a small query waits while they run
(BENCHMARKS.md "Hostile queries").

    .venv/bin/python -m bench.hostile [--bot CLICKS]

The graph: a small simulated help center, one click on 2000-01-01 (every open-window series
then spans ~26 years) and a bot whose one path has CLICKS clicks. Measured on one server
(response cache off): the two queries of issue 27 as they were sent (a DAY series of 100
pages; the bot's path with its pages), the heaviest series and path queries the limits
allow, and `{ pathStats { completed } }` alone and while each heavy query runs in a loop
beside it. Before the limits counted real sizes and queries left the event loop, the first
ran 82 s and the second returned 14 MB in 9 s, and pathStats waited for both.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from bench.http_load import serve
from bench.report import Section, percentile
from pathrank.settings import Settings
from pathrank.wiring import Wiring

BOT = "bot"
FLOOR_MS = int(datetime(2000, 1, 1, tzinfo=UTC).timestamp() * 1000)
STATS = "{ pathStats { completed } }"
# The two queries of issue 27, as they were sent.
ISSUE_SERIES = (
    "{ pages(first: 100) { nodes { series(metric: RESOLUTION_RATE, interval: DAY) "
    "{ start trials rate } } } }"
)
ISSUE_PATH = (
    f'{{ customer(id: "{BOT}") {{ paths(first: 1) {{ nodes {{ length '
    "pages { id title } } } } }"
)
# The heaviest of each kind the limits allow (just under the cost): 3 series of 50 days for
# up to 200 pages; 14 lists of 500 of the bot's pages with 12 fields each.
_DAYS = 'from: "2000-01-01", until: "2000-02-20"'
_POINT = "{ start end trials successes rate low }"
HEAVY_SERIES = (
    "{ pages(first: 200) { nodes { "
    + " ".join(
        f"{m}: series(metric: {m}, interval: DAY, {_DAYS}) {_POINT}"
        for m in ("RESOLUTION_RATE", "EXIT_RATE", "TURNAROUND_RATE")
    )
    + " } } }"
)
_FIELDS = (
    "id title url visits exits exitRate resolutions escalations turnarounds pageRank "
    "pathRank impact"
)
HEAVY_PATH = (
    f'{{ customer(id: "{BOT}") {{ paths(first: 1) {{ nodes {{ '
    + " ".join(f"p{i}: pages(first: 500) {{ {_FIELDS} }}" for i in range(14))
    + " } } } }"
)


def hostile_events(pages: Sequence[str], bot_clicks: int, now_ms: int) -> list[dict[str, Any]]:
    """One click on 2000-01-01, and the bot's one path of `bot_clicks` clicks, a second
    apart, ending a month before `now_ms`."""
    start = now_ms - 30 * 86_400_000
    old = {"customer_id": "c-2000", "page_id": pages[0], "timestamp": FLOOR_MS, "event_id": "o"}
    bot = [
        {
            "customer_id": BOT,
            "page_id": pages[i % len(pages)],
            "timestamp": start + i * 1000,
            "event_id": f"b{i}",
        }
        for i in range(bot_clicks)
    ]
    return [old, *bot]


@dataclass(frozen=True)
class Timed:
    name: str
    ms: list[float]
    size: int
    answer: str  # "data", or the error code

    def cells(self) -> str:
        return (
            f"| {self.name} | {statistics.median(self.ms):,.1f} | "
            f"{percentile(self.ms, 99):,.1f} | {self.size:,} | {self.answer} |"
        )


def _post(url: str, query: str) -> tuple[float, int, str]:
    started = time.perf_counter()
    response = httpx.post(url, json={"query": query}, timeout=120)
    ms = (time.perf_counter() - started) * 1000
    body = response.json()
    errors = body.get("errors") or []
    answer = errors[0]["extensions"]["code"] if errors else "data"
    return ms, len(response.content), answer


def timed(url: str, name: str, query: str, times: int) -> Timed:
    runs = [_post(url, query) for _ in range(times)]
    return Timed(name, [r[0] for r in runs], runs[-1][1], runs[-1][2])


def beside(url: str, heavy: str, times: int) -> list[float]:
    """pathStats latencies while `heavy` is sent back to back by another client."""
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            _post(url, heavy)

    thread = threading.Thread(target=hammer, daemon=True)
    thread.start()
    time.sleep(0.5)  # the heavy query is under way
    try:
        return [_post(url, STATS)[0] for _ in range(times)]
    finally:
        stop.set()
        thread.join(120)


def load(s: Settings, bot_clicks: int) -> None:
    from simulator import SimulationConfig, simulate

    w = Wiring(s)
    sim = simulate(SimulationConfig(seed=5, events=2_000))
    hostile = hostile_events([p["page_id"] for p in sim.pages], bot_clicks, int(time.time() * 1000))
    with w.driver() as driver:
        admin = w.admin(driver)
        admin.ensure_schema()
        admin.clear()
        w.load(driver, [*sim.events, *hostile], sim.pages)


def run(s: Settings, bot_clicks: int, times: int) -> str:
    load(s, bot_clicks)
    with serve(cache=False) as server:
        url = server.url
        rows = [
            timed(url, "pathStats, alone", STATS, times * 4),
            timed(
                url, "the issue's DAY series of 100 pages (one click in 2000)", ISSUE_SERIES, times
            ),
            timed(
                url,
                f"the issue's bot path ({bot_clicks:,} clicks) with its pages",
                ISSUE_PATH,
                times,
            ),
            timed(
                url,
                "the heaviest series query allowed (3 x 50 days x 200 pages)",
                HEAVY_SERIES,
                times,
            ),
            timed(url, "the heaviest bot path query allowed (14 x 500 pages)", HEAVY_PATH, times),
        ]
        for name, heavy in (("series", HEAVY_SERIES), ("bot path", HEAVY_PATH)):
            ms = beside(url, heavy, times * 4)
            rows.append(
                Timed(f"pathStats, beside the heaviest {name} query in a loop", ms, 0, "data")
            )
    return "\n".join(
        [
            "| request | p50 ms | p99 ms | response bytes | answer |",
            "|---|---|---|---|---|",
            *(r.cells() for r in rows),
        ]
    )


def section(settings: Settings, quick: bool) -> Section:
    bot = 5_000 if quick else 50_000
    table = run(settings, bot, 3 if quick else 10)
    body = "\n\n".join([__doc__.split("\n\n", 2)[2].strip(), table])
    return Section("Hostile queries", body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bot", type=int, default=50_000, help="clicks of the bot's path")
    parser.add_argument("--times", type=int, default=10)
    args = parser.parse_args()
    print(run(Settings(), args.bot, args.times))
    print("(server, client and Neo4j share this machine's CPUs)", file=sys.stderr)


if __name__ == "__main__":
    main()
