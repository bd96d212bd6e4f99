"""Time figures at scale (BENCHMARKS.md "Time"): series and changes over 26 weeks of 1M
clicks, a windowed analysis beside a full one, and the latency of series reads.

    .venv/bin/python -m bench.time_figures [--quick]

- Series and changes: the analysis steps "series" and "changes" (pure computation on the
  paths the analysis reads) on 1M simulated clicks spread over 26 weeks with the planted
  stories; the paths come from the simulator's clicks through ingest's own path rules, in
  memory (the steps never touch Neo4j).
- Windowed analysis: a 90-day history loaded into Neo4j (no Kafka), analysed in full twice,
  then with `--since` its last 30 days twice; each run replaces the previous run's results
  (its clean-up step deletes them), so the ratio compares the second of each: a full run
  replacing a full one, a 30-day run replacing a 30-day one, as each would run every day.
- Series reads: `Page.series` over HTTP at 16 concurrent clients (`pathrank serve`, response
  cache off), from what the analysis stored, and on demand (a customer segment, which the
  analysis does not store), beside `siteSeries` on demand.

Wipes the graph of the Neo4j it talks to (PATHRANK_* settings).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import httpx
import orjson

from algorithms.changes import changes
from algorithms.series import analysed_window, timelines
from bench.http_load import Stats, check, http_client, http_load, serve
from bench.report import Section, table
from graph_model.page.record import PageVersion
from graph_model.path.record import Click, Path
from graph_model.timewindow import DAY_MS, Interval, TimeWindow
from ingest.catalog import catalog_entry
from ingest.events import Limits, event_from_record
from ingest.paths import resolve_paths
from pathrank.settings import Settings
from pathrank.wiring import Wiring
from simulator import SimulationConfig, simulate

CHANGES_GOAL_S: Final = 10.0
WINDOW_GOAL: Final = 0.40
SERIES_P99_GOAL_MS: Final = 50.0
CONCURRENCY: Final = 16
SECONDS: Final = 5.0
START_MS: Final = 1_735_516_800_000  # 2024-12-30T00:00Z, a Monday


@dataclass(frozen=True, slots=True)
class ChangesRun:
    clicks: int
    paths: int
    pages: int
    weeks: int
    series_s: float
    changes_s: float
    reported: int


@dataclass(frozen=True, slots=True)
class WindowRun:
    clicks: int
    days: int
    full_s: tuple[float, float]
    windowed_s: tuple[float, float]
    full_paths: int
    windowed_paths: int

    @property
    def ratio(self) -> float:
        return self.windowed_s[1] / self.full_s[1]


@dataclass(frozen=True, slots=True)
class ReadRun:
    name: str
    clients: int
    stats: Stats


def paths_of(events: Sequence[dict[str, object]], timeout_ms: int, quick_ms: int) -> list[Path]:
    """The simulator's clicks as paths, by ingest's own (pure) path rules."""
    clicks: dict[str, list[Click]] = defaultdict(list)
    now = 4_000_000_000_000
    for i, e in enumerate(events):
        click = event_from_record(e, now_ms=now, seq=i, limits=Limits(max_skew_ms=300_000))
        clicks[click.customer_id].append(click)
    watermark = max(int(str(e["timestamp"])) for e in events)
    return [
        p
        for customer, mine in clicks.items()
        for p in resolve_paths(
            customer,
            mine,
            watermark_ms=watermark,
            timeout_ms=timeout_ms,
            quick_ms=quick_ms,
        )
    ]


def changes_at_scale(s: Settings, events: int) -> ChangesRun:
    config = SimulationConfig.full(seed=5, events=events, days=182, start_ms=START_MS)
    sim = simulate(config)
    paths = paths_of(
        sim.events, int(s.inactivity_timeout_s * 1000), int(s.quick_turnaround_s * 1000)
    )
    versions = []
    for record in sim.pages + [r for _, r in sim.catalog_changes]:
        entry = catalog_entry(record)
        versions.append(
            PageVersion(entry.page_id, entry.since or 0, entry.title, entry.url, entry.links)
        )
    started = time.perf_counter()
    covered = analysed_window(paths, TimeWindow(), START_MS + 183 * DAY_MS)
    periods = timelines(paths, covered)
    series_s = time.perf_counter() - started
    started = time.perf_counter()
    weekly = periods[Interval.WEEK]
    found = changes(weekly, paths, versions)
    changes_s = time.perf_counter() - started
    return ChangesRun(
        clicks=len(sim.events),
        paths=len(paths),
        pages=len(weekly.pages),
        weeks=len(weekly.starts),
        series_s=series_s,
        changes_s=changes_s,
        reported=sum(c.significant for c in found),
    )


def windowed_analysis(s: Settings, events: int) -> WindowRun:
    w = Wiring(s)
    days = 90
    config = SimulationConfig.full(seed=8, events=events, days=days, start_ms=START_MS)
    sim = simulate(config)
    since = START_MS + (days - 30) * DAY_MS
    window = TimeWindow(since, None)
    full: list[float] = []
    windowed: list[float] = []
    paths = (0, 0)
    with w.driver() as driver:
        admin = w.admin(driver)
        admin.ensure_schema()
        admin.clear()
        w.load(driver, sim.events, sim.pages + [r for _, r in sim.catalog_changes])
        for which, times in ((None, full), (window, windowed)):
            for _ in range(2):
                run = w.analysis(driver) if which is None else w.analysis(driver, window=which)
                record = run.run()
                times.append(record.total_s)
                paths = (record.paths, paths[1]) if which is None else (paths[0], record.paths)
                steps = ", ".join(f"{k} {v:.1f}" for k, v in record.steps.items() if v >= 0.5)
                label = "full" if which is None else "last 30 days"
                print(f"  {label} {record.total_s:.1f}s ({steps})", file=sys.stderr)
    return WindowRun(
        clicks=len(sim.events),
        days=days,
        full_s=(full[0], full[1]),
        windowed_s=(windowed[0], windowed[1]),
        full_paths=paths[0],
        windowed_paths=paths[1],
    )


SERIES = """query($id: ID!) { page(id: $id) {
  series(metric: RESOLUTION_RATE, interval: WEEK) { start trials successes rate low high } } }"""
SERIES_SEGMENT = """query($id: ID!) { page(id: $id) {
  series(metric: RESOLUTION_RATE, interval: WEEK, segment: "platform=mobile") {
    start trials successes rate low high } } }"""
SITE_SEGMENT = """{ siteSeries(metric: EXIT_RATE, interval: DAY, segment: "platform=mobile") {
  start trials successes rate low high } }"""
PAGES = "{ pages(first: 50, orderBy: VISITS) { nodes { id } } }"


def _bodies(url: str, query: str, ids: list[str] | None) -> list[bytes]:
    """The request bodies of a read, each sent once (and checked)."""
    variables: list[dict[str, str]] = [{"id": i} for i in ids] if ids is not None else [{}]
    bodies = [orjson.dumps({"query": query, "variables": v}) for v in variables]
    for body in bodies:
        check(url, body)
    return bodies


def series_reads() -> tuple[list[ReadRun], str]:
    """The reads' rows and the load generator's name."""
    runs = []
    with serve(cache=False) as server:
        listing = httpx.post(server.url, json={"query": PAGES}, timeout=60).json()
        ids = [n["id"] for n in listing["data"]["pages"]["nodes"]]
        # Stored series at 16 clients; on demand (a scan of the page's paths, or of every
        # path for the site) one client at a time.
        for name, query, by_page, clients in (
            ("Page.series, stored by the analysis", SERIES, True, CONCURRENCY),
            ("Page.series of a segment, on demand", SERIES_SEGMENT, True, 1),
            ("siteSeries of a segment by day, on demand", SITE_SEGMENT, False, 1),
        ):
            bodies = _bodies(server.url, query, ids if by_page else None)
            stats = http_load(server.url, bodies, clients, SECONDS, server.pid)
            print(f"  {name}: {stats}", file=sys.stderr, flush=True)
            runs.append(ReadRun(name, clients, stats))
    return runs, http_client()


def render(c: ChangesRun, wr: WindowRun, reads: list[ReadRun], client: str) -> str:
    steps = table(
        ["clicks", "paths", "pages", "weeks", "series s", "changes s", "both s", "reported"],
        [
            [
                f"{c.clicks:,}",
                f"{c.paths:,}",
                c.pages,
                c.weeks,
                c.series_s,
                c.changes_s,
                c.series_s + c.changes_s,
                c.reported,
            ]
        ],
    )
    windows = table(
        ["clicks", "history", "full s (1st, 2nd)", "last 30 days s (1st, 2nd)", "paths", "ratio"],
        [
            [
                f"{wr.clicks:,}",
                f"{wr.days} days",
                f"{wr.full_s[0]:.1f}, {wr.full_s[1]:.1f}",
                f"{wr.windowed_s[0]:.1f}, {wr.windowed_s[1]:.1f}",
                f"{wr.full_paths:,} / {wr.windowed_paths:,}",
                f"{wr.ratio:.0%}",
            ]
        ],
    )
    latency = table(
        ["read", "clients", "p50 ms", "p99 ms", "req/s", "server CPU ms/req"],
        [
            [
                r.name,
                r.clients,
                r.stats.p50_ms,
                r.stats.p99_ms,
                r.stats.rps,
                r.stats.server_cpu_ms or "-",
            ]
            for r in reads
        ],
    )
    return f"""Series and changes: the analysis steps "series" (every page's and the site's counts
per day and week) and "changes" (every page's four rates, each week against the 4 before,
every catalog version before/after, one Benjamini-Hochberg), on simulated clicks over 26
weeks (seed 5, every planted effect and the stories), paths by ingest's own rules in memory.

{steps}

Windowed analysis: a 90-day history (seed 8) analysed in full twice, then over its last 30
days (`--since`) twice; each run replaces the previous one's results, and the ratio is of
the second runs (a full run after a full one, a 30-day run after a 30-day one).

{windows}

Series reads over HTTP (load from {client}; `pathrank serve`, response cache off,
{SECONDS:.0f} s each, on the graph of the windowed runs: the latest analysis is the 30-day
one): `Page.series` of the 50 most visited pages in turn. Stored series at {CONCURRENCY}
concurrent clients; on demand (a segment: every path through the page is read) one client
at a time.

{latency}
"""


def section(settings: Settings, quick: bool) -> Section:
    c = changes_at_scale(settings, 100_000 if quick else 1_000_000)
    wr = windowed_analysis(settings, 60_000 if quick else 500_000)
    reads, client = series_reads()
    stored = reads[0].stats
    goals = (
        (
            f"series and changes over {c.clicks:,} clicks and {c.weeks} weeks < "
            f"{CHANGES_GOAL_S:.0f} s ({c.series_s + c.changes_s:.1f} s)",
            c.series_s + c.changes_s < CHANGES_GOAL_S and (quick or c.clicks >= 1_000_000),
        ),
        (
            f"analysis of the last 30 days <= {WINDOW_GOAL:.0%} of the full 90-day history "
            f"({wr.ratio:.0%})",
            wr.ratio <= WINDOW_GOAL,
        ),
        (
            f"Page.series p99 < {SERIES_P99_GOAL_MS:.0f} ms at {CONCURRENCY} concurrent clients "
            f"({stored.p99_ms:.0f} ms)",
            stored.p99_ms < SERIES_P99_GOAL_MS,
        ),
    )
    return Section("Time", render(c, wr, reads, client), goals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    result = section(Settings(), args.quick)
    print(result.markdown())


if __name__ == "__main__":
    main()
