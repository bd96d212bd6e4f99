"""Months of traffic (BENCHMARKS.md "Months of traffic"): a long history ingested with
retention on, what the graph keeps of it, and what a batch and an analysis cost at the end.

    .venv/bin/python -m bench --only months [--quick] [--clicks N] [--days D] [--retention-days R]
    .venv/bin/python -m bench.months [--quick] [--clicks N] [--days D] [--retention-days R]

- Ingest: simulated clicks (every planted effect, daily and weekly cycles, seed 8) over D days,
  produced in time order onto a new topic of 3 partitions keyed by customer (a backlog
  across partitions, as an outage or a backfill leaves one), then read by the ingest worker
  (`pathrank ingest`'s, batches of PATHRANK_BATCH_SIZE), retention R days, compaction as
  ingest goes (PATHRANK_COMPACT_PER_BATCH); events too late (there must be none); the rate
  over the first and the last million events, the graph's size every 15 days of event time
  (the watermark's).
- Size: the store files on disk (the local services' database folder), Click nodes kept
  against clicks ingested, Path nodes, relationships; per million clicks a month.
- Analysis: a full run and the last 30 days (`--since`), on the compacted graph.
- Batches: a bot with 200,000 stored clicks (sessions of 200 clicks) added at the end; a
  batch of 5,000 other customers' clicks timed without and with one click of the bot, in
  turn; then the bot forgotten (`pathrank forget`), timed.

Wipes the graph of the Neo4j it talks to (PATHRANK_* settings).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Final

from bench.report import Section, table
from graph_model.timewindow import DAY_MS, TimeWindow
from ingest.batch import BatchOutcome, apply_batch
from ingest.catalog import catalog_entry
from ingest.events import Limits, event_from_record
from ingest.produce import produce_events
from ingest.topics import ensure_topics
from ingest.worker import IngestStats
from pathrank.services.layout import Layout
from pathrank.settings import Settings
from pathrank.wiring import Wiring
from simulator import SimulationConfig, simulate

START_MS: Final = 1_735_516_800_000  # 2024-12-30T00:00Z, a Monday
BATCH: Final = 5_000
MILLION: Final = 1_000_000
CHECKPOINT_DAYS: Final = 15
BOT_CLICKS: Final = 200_000
BOT_SESSION: Final = 200  # clicks 2 s apart, a session every 40 minutes: 28 days in all
ROUNDS: Final = 8
SLOWDOWN_GOAL: Final = 0.20
WINDOW_GOAL: Final = 0.50
HEAVY_GOAL: Final = 0.20

PARTITIONS: Final = 3
WATERMARK = "OPTIONAL MATCH (m:Meta {id: 'watermark'}) RETURN m.value AS watermark"
COUNTS = """
CALL () { MATCH (n:Click) RETURN count(n) AS clicks }
CALL () { MATCH (n:Path) RETURN count(n) AS paths }
CALL () { MATCH ()-[r]->() RETURN count(r) AS relationships }
CALL () { MATCH (n) RETURN count(n) AS nodes }
RETURN clicks, paths, relationships, nodes
"""


@dataclass(frozen=True, slots=True)
class Params:
    clicks: int
    days: int
    retention_days: int


@dataclass(frozen=True, slots=True)
class Checkpoint:
    day: int  # of event time, since the first event
    events: int  # ingested so far
    clicks_kept: int
    paths: int
    nodes: int
    relationships: int
    store_bytes: int | None
    seconds: float = 0.0  # of ingest so far
    compacted: int = 0  # Click nodes ingest compacted away so far


@dataclass(slots=True)
class IngestRun:
    events: int = 0
    seconds: float = 0.0
    rejected: int = 0
    compacted: int = 0
    marks: list[tuple[int, float]] = field(default_factory=list)  # (events done, seconds)
    checkpoints: list[Checkpoint] = field(default_factory=list)

    def rate(self, first: int, last: int) -> float:
        """Events per second between the marks at `first` and `last` events done."""
        t0 = _seconds_at(self.marks, first)
        t1 = _seconds_at(self.marks, last)
        return (last - first) / max(t1 - t0, 1e-9)


def _seconds_at(marks: list[tuple[int, float]], events: int) -> float:
    """Seconds when `events` were done (between two batch marks: linearly)."""
    previous = (0, 0.0)
    for done, seconds in marks:
        if done >= events:
            span = done - previous[0]
            share = (events - previous[0]) / span if span else 1.0
            return previous[1] + share * (seconds - previous[1])
        previous = (done, seconds)
    return marks[-1][1] if marks else 0.0


@dataclass(frozen=True, slots=True)
class AnalysisTimes:
    full_s: float
    full_paths: int
    full_clicks: int
    windowed_s: tuple[float, float]
    windowed_paths: int


@dataclass(frozen=True, slots=True)
class BatchTimes:
    without_s: list[float]
    with_s: list[float]
    read_without: int
    read_with: int
    forget_s: float
    forgot: tuple[int, int]  # paths, clicks

    @property
    def ratio(self) -> float:
        return statistics.median(self.with_s) / statistics.median(self.without_s)


def store_bytes(s: Settings, part: str = "databases") -> int | None:
    """The store files of the local services' database (`part` "transactions": its
    transaction logs), temporary files apart; None for another Neo4j."""
    folder = Layout(s.cache_dir).home("neo4j") / "data" / part / s.neo4j_database
    if not folder.is_dir():
        return None
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and ".tmp" not in f.name)


def _counts(w: Wiring, driver: Any) -> dict[str, int]:
    [row] = driver.execute_query(COUNTS, database_=w.s.neo4j_database).records
    return {k: int(row[k]) for k in ("clicks", "paths", "relationships", "nodes")}


def ingest(w: Wiring, driver: Any, p: Params) -> tuple[IngestRun, int]:
    """The history into an empty graph, from Kafka: produced in time order onto a new topic
    of three partitions (keyed by customer: a backlog across partitions, as an outage or a
    backfill leaves it), then read by the ingest worker. The run and the watermark."""
    config = SimulationConfig.full(seed=8, events=p.clicks, days=p.days, start_ms=START_MS)
    started = time.perf_counter()
    sim = simulate(config)
    print(
        f"  simulated {len(sim.events):,} events in {time.perf_counter() - started:.0f}s",
        file=sys.stderr,
        flush=True,
    )
    admin = w.admin(driver)
    admin.ensure_schema()
    admin.clear()
    w.catalog_store(driver).upsert(
        [catalog_entry(r) for r in sim.pages + [r for _, r in sim.catalog_changes]]
    )
    run = IngestRun()
    c = _counts(w, driver)
    run.checkpoints.append(Checkpoint(0, 0, 0, 0, c["nodes"], c["relationships"], store_bytes(w.s)))
    first_ts = int(sim.events[0]["timestamp"])
    watermark = max(int(e["timestamp"]) for e in sim.events)
    total = len(sim.events)
    events: list[dict[str, Any] | None] = list(sim.events)
    del sim
    tag = uuid.uuid4().hex[:8]
    topic = f"months-{tag}"
    ensure_topics(w.s.kafka_bootstrap, topic, None, PARTITIONS)
    started = time.perf_counter()
    produced = produce_events(_each(events), w.s.kafka_bootstrap, topic)
    print(
        f"  produced {produced:,} events to {topic} ({PARTITIONS} partitions) in "
        f"{time.perf_counter() - started:.0f}s",
        file=sys.stderr,
        flush=True,
    )
    del events
    ingest_config = w.ingest_config(topic=topic, group=f"months-{tag}", until_idle_s=5.0)
    ingest_config = replace(ingest_config, pages_topic=None)
    next_day = [CHECKPOINT_DAYS]
    began = time.perf_counter()

    def on_batch(st: IngestStats) -> None:
        clock = time.perf_counter() - began
        run.events, run.seconds, run.rejected = st.consumed, clock, st.too_late
        run.compacted = st.clicks_compacted
        run.marks.append((st.consumed, clock))
        [row] = driver.execute_query(WATERMARK, database_=w.s.neo4j_database).records
        day = (int(row["watermark"] or first_ts) - first_ts) // DAY_MS
        if day < next_day[0] and st.consumed < total:
            return
        c = _counts(w, driver)
        run.checkpoints.append(
            Checkpoint(day, st.consumed, c["clicks"], c["paths"], c["nodes"],
                       c["relationships"], store_bytes(w.s), clock, st.clicks_compacted)
        )  # fmt: skip
        print(
            f"  day {day} (watermark): {st.consumed:,} events, {clock:.0f}s, "
            f"{c['clicks']:,} clicks kept, {c['paths']:,} paths, {st.too_late:,} too late, "
            f"{st.unread or 0:,} unread",
            file=sys.stderr,
            flush=True,
        )
        next_day[0] = day + CHECKPOINT_DAYS

    stats = w.ingest_worker(driver, ingest_config, on_batch=on_batch).run()
    run.events, run.rejected = stats.consumed, stats.too_late
    if stats.unread:
        raise RuntimeError(f"the worker left {stats.unread:,} events unread")
    return run, watermark


def _each(events: list[dict[str, Any] | None]) -> Iterator[dict[str, Any]]:
    """The events in order, each freed once handed out (10M simulated events are ~7 GB)."""
    for i, e in enumerate(events):
        if e is not None:
            events[i] = None
            yield e


def analyses(w: Wiring, driver: Any, watermark: int) -> AnalysisTimes:
    full = w.analysis(driver).run()
    print(f"  full analysis {full.total_s:.0f}s, {full.paths:,} paths", file=sys.stderr)
    window = TimeWindow(watermark - 30 * DAY_MS, None)
    windowed = []
    paths = 0
    for _ in range(2):
        record = w.analysis(driver, window=window).run()
        windowed.append(record.total_s)
        paths = record.paths
        print(f"  last 30 days {record.total_s:.0f}s, {paths:,} paths", file=sys.stderr)
    return AnalysisTimes(full.total_s, full.paths, full.clicks, (windowed[0], windowed[1]), paths)


def heavy_batches(w: Wiring, driver: Any, watermark: int) -> BatchTimes:
    """Batches of other customers, without and with one click of a 200,000-click bot, with
    nothing left to compact (the graph is compacted before, and the batches compact nothing:
    the watermark moves a minute a round, which would make a few paths due at random)."""
    quiet = Wiring(w.s.model_copy(update={"compact_per_batch": 0}))
    store, limits = quiet.path_store(driver), Limits(max_skew_ms=300_000)
    now = int(time.time() * 1000)
    seq = [10**12]

    def batch(events: list[dict[str, Any]]) -> BatchOutcome:
        clicks = []
        for e in events:
            clicks.append(event_from_record(e, now_ms=now, seq=seq[0], limits=limits))
            seq[0] += 1
        return apply_batch(store, clicks)

    sessions = BOT_CLICKS // BOT_SESSION
    first = watermark - 60_000 - (sessions - 1) * 40 * 60_000 - (BOT_SESSION - 1) * 2_000

    def bot_ts(i: int) -> int:
        return first + (i // BOT_SESSION) * 40 * 60_000 + (i % BOT_SESSION) * 2_000

    bot = [
        {"customer_id": "bot", "page_id": f"p{(i * 7) % 50:03d}", "timestamp": bot_ts(i)}
        for i in range(BOT_CLICKS)
    ]
    loaded = batch(bot)
    if loaded.rejected:
        raise RuntimeError(f"the bot's clicks were rejected: {loaded.rejected[0].reason}")
    pages = [f"p{n:03d}" for n in range(20)]
    without: list[float] = []
    with_bot: list[float] = []
    reads = [0, 0]
    next_bot = bot_ts(BOT_CLICKS - 1)
    for r in range(2 * ROUNDS):
        t0 = watermark + r * 60_000
        others = [
            {
                "customer_id": f"light-{r}-{c}",
                "page_id": pages[(c + k) % len(pages)],
                "timestamp": t0 + c + k * 5_000,
            }
            for c in range(BATCH // 5)
            for k in range(5)
        ]
        heavy = r % 2 == 1
        if heavy:
            next_bot = max(next_bot, t0) + 2_000
            others[-1] = {"customer_id": "bot", "page_id": "p001", "timestamp": next_bot}
        started = time.perf_counter()
        outcome = batch(others)
        (with_bot if heavy else without).append(time.perf_counter() - started)
        reads[heavy] = outcome.result.events_read
    print(
        f"  batches: without the bot {statistics.median(without) * 1000:.0f} ms, "
        f"with {statistics.median(with_bot) * 1000:.0f} ms",
        file=sys.stderr,
    )
    started = time.perf_counter()
    [gone] = w.forget_store(driver).forget(["bot"])
    forget_s = time.perf_counter() - started
    return BatchTimes(without, with_bot, reads[0], reads[1], forget_s, (gone.paths, gone.clicks))


def _mb(n: int | None) -> str:
    return "n/a" if n is None else f"{n / 2**20:,.0f}"


def growth_model(run: IngestRun, retention_days: int) -> tuple[float, float] | None:
    """Bytes on disk per kept click (with its share of paths) while nothing is compacted yet,
    and per Path node added once the Click nodes stay level: from the checkpoints (None
    without store sizes, or a history too short for both phases)."""
    points = [(c, c.store_bytes) for c in run.checkpoints if c.store_bytes is not None]
    filling = [(c, n) for c, n in points if c.day <= retention_days]
    level = [(c, n) for c, n in points if c.day >= retention_days + CHECKPOINT_DAYS]
    if len(filling) < 2 or len(level) < 2:
        return None
    (a, a_bytes), (b, b_bytes) = filling[0], filling[-1]
    (c, c_bytes), (d, d_bytes) = level[0], level[-1]
    if b.clicks_kept <= a.clicks_kept or d.paths <= c.paths:
        return None
    per_click = (b_bytes - a_bytes) / (b.clicks_kept - a.clicks_kept)
    per_path = (d_bytes - c_bytes) / (d.paths - c.paths)
    return per_click, per_path


def render(
    p: Params, run: IngestRun, a: AnalysisTimes, b: BatchTimes, final: Checkpoint, logs: int | None
) -> str:
    months = p.days / 30
    per_month = run.events / months / MILLION  # millions of events a month
    first = run.rate(0, min(MILLION, run.events))
    last = run.rate(max(0, run.events - MILLION), run.events)
    rows = []
    for before, c in zip([None, *run.checkpoints], run.checkpoints, strict=False):
        rate = "-"
        compacted = "-"
        if before is not None and c.seconds > before.seconds:
            rate = f"{(c.events - before.events) / (c.seconds - before.seconds):,.0f}"
            compacted = f"{c.compacted - before.compacted:,}"
        rows.append(
            [
                c.day,
                f"{c.events:,}",
                rate,
                compacted,
                f"{c.clicks_kept:,}",
                f"{c.paths:,}",
                f"{c.nodes:,}",
                f"{c.relationships:,}",
                _mb(c.store_bytes),
            ]
        )
    growth = table(
        [
            "day",
            "events",
            "ev/s since the row before",
            "clicks compacted since",
            "Click nodes kept",
            "Path nodes",
            "nodes",
            "relationships",
            "store MB",
        ],
        rows,
    )
    rates = table(
        [
            "events",
            "seconds",
            "ev/s overall",
            "first million ev/s",
            "last million ev/s",
            "last/first",
            "too late",
        ],
        [
            [
                f"{run.events:,}",
                run.seconds,
                run.events / run.seconds,
                first,
                last,
                f"{last / first:.0%}",
                f"{run.rejected:,}",
            ]
        ],
    )
    size = final.store_bytes
    per_million = "n/a" if size is None else f"{size / 2**20 / per_month:,.0f} MB"
    model = growth_model(run, p.retention_days)
    if model is None:
        projection = (
            "The history is too short (or the store was already larger than this graph) "
            "to tell the store's growth per click and per path apart."
        )
    else:
        per_click, per_path = model
        paths_per_click = final.paths / max(a.full_clicks, 1)
        window_mb = per_click * MILLION * p.retention_days / 30 / 2**20
        history_mb = per_path * paths_per_click * MILLION / 2**20
        projection = (
            f"From the growth of the store files: {per_click:,.0f} bytes per click kept "
            f"(with its share of paths, indexes included) while the first "
            f"{p.retention_days} days filled up, then {per_path:,.0f} bytes per new Path "
            f"node once the Click nodes stayed level. So each million clicks a month costs "
            f"**{window_mb:,.0f} MB** for the {p.retention_days} days of Click nodes kept, "
            f"plus at most **{history_mb:,.0f} MB per month of history** for its compact "
            f"paths ({paths_per_click:.2f} paths per click here). The second figure is an "
            "upper bound: Neo4j reuses the records compaction frees only some time after "
            "their deletion, so part of the growth after the first period is Click records "
            "not reused yet rather than paths."
        )
    at_end = table(
        ["", "value"],
        [
            ["events ingested (clicks and markers)", f"{run.events:,}"],
            ["clicks in paths (the full analysis)", f"{a.full_clicks:,}"],
            [
                "Click nodes kept",
                f"{final.clicks_kept:,} ({final.clicks_kept / a.full_clicks:.0%})",
            ],
            ["Click nodes compacted away by ingest", f"{run.compacted:,}"],
            ["Path nodes", f"{final.paths:,}"],
            ["nodes, relationships", f"{final.nodes:,}, {final.relationships:,}"],
            ["store files on disk", f"{_mb(size)} MB"],
            ["transaction logs (pruned to 512 MB at the server's checkpoints)", f"{_mb(logs)} MB"],
            [f"per million events a month ({per_month:.2f}M a month)", per_million],
            ["events too late (dead letters)", f"{run.rejected:,}"],
        ],
    )
    analysis = table(
        ["analysis", "paths", "seconds"],
        [
            ["full history", f"{a.full_paths:,}", a.full_s],
            ["last 30 days (1st, after the full run)", f"{a.windowed_paths:,}", a.windowed_s[0]],
            ["last 30 days (2nd)", f"{a.windowed_paths:,}", a.windowed_s[1]],
        ],
    )
    batches = table(
        ["batch of 5,000 events", "median ms", "runs (ms)", "stored events read"],
        [
            [
                "other customers only",
                statistics.median(b.without_s) * 1000,
                ", ".join(f"{t * 1000:.0f}" for t in b.without_s),
                f"{b.read_without:,}",
            ],
            [
                "the same with one click of the 200,000-click bot",
                statistics.median(b.with_s) * 1000,
                ", ".join(f"{t * 1000:.0f}" for t in b.with_s),
                f"{b.read_with:,}",
            ],
        ],
    )
    return f"""{run.events:,} simulated events (seed 8, every planted effect) over {p.days} days,
retention {p.retention_days} days (`PATHRANK_CLICK_RETENTION_DAYS`), allowed lateness 3 days,
compaction as ingest goes (a step of at most 10,000 clicks per batch, beside the next batch);
produced in time order onto a topic of 3 partitions keyed by customer, then read from Kafka
by the ingest worker (a backlog across partitions: the watermark is per partition), timed
from its start to its last commit, without the simulation, the produce and the idle wait.

{rates}

The graph every {CHECKPOINT_DAYS} days of event time (store files of the local Neo4j, which
reuses the records compaction frees; transaction logs apart):

{growth}

At the end:

{at_end}

{projection}

Analysis of the compacted graph (every figure; the 30-day runs read only their window's
paths):

{analysis}

Batches beside a bot with {BOT_CLICKS:,} stored clicks (sessions of {BOT_SESSION}), in turn:

{batches}

Forgetting the bot (`pathrank forget`: {b.forgot[0]:,} paths, {b.forgot[1]:,} clicks):
{b.forget_s:.1f} s.
"""


def section(settings: Settings, quick: bool, params: Params | None = None) -> Section:
    p = params or (Params(300_000, 90, 30) if quick else Params(10_000_000, 90, 30))
    s = settings.model_copy(
        update={"click_retention_days": float(p.retention_days), "assist": False}
    )
    w = Wiring(s)
    with w.driver() as driver:
        run, watermark = ingest(w, driver, p)
        while not w.path_store(driver).compact(50_000).done:
            pass
        c = _counts(w, driver)
        final = Checkpoint(p.days, run.events, c["clicks"], c["paths"], c["nodes"],
                           c["relationships"], store_bytes(s))  # fmt: skip
        a = analyses(w, driver, watermark)
        b = heavy_batches(w, driver, watermark)
    first = run.rate(0, min(MILLION, run.events))
    last = run.rate(max(0, run.events - MILLION), run.events)
    window_ratio = a.windowed_s[1] / a.full_s
    goals = (
        (
            f"ingest over the last million events no more than {SLOWDOWN_GOAL:.0%} slower than "
            f"over the first ({last / first:.0%} of its rate)",
            last >= (1 - SLOWDOWN_GOAL) * first and run.events >= 2 * MILLION,
        ),
        (
            f"analysis of the last 30 days <= {WINDOW_GOAL:.0%} of the full history's "
            f"({window_ratio:.0%})",
            window_ratio <= WINDOW_GOAL,
        ),
        (
            f"a batch with the 200,000-click bot no more than {HEAVY_GOAL:.0%} slower than "
            f"without ({b.ratio:.2f}x)",
            b.ratio <= 1 + HEAVY_GOAL,
        ),
    )
    body = render(p, run, a, b, final, store_bytes(s, "transactions"))
    return Section("Months of traffic", body, goals)


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clicks", type=int, help="simulated clicks (default 10,000,000)")
    parser.add_argument("--days", type=int, help="days of history (default 90)")
    parser.add_argument("--retention-days", type=int, help="retention (default 30)")


def params_of(args: argparse.Namespace) -> Params | None:
    if args.clicks is None and args.days is None and args.retention_days is None:
        return None
    base = Params(300_000, 90, 30) if args.quick else Params(10_000_000, 90, 30)
    return Params(
        args.clicks or base.clicks,
        args.days or base.days,
        args.retention_days or base.retention_days,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    arguments(parser)
    args = parser.parse_args()
    print(section(Settings(), args.quick, params_of(args)).markdown())


if __name__ == "__main__":
    main()
