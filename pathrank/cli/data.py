"""Getting clicks in: `pathrank produce`, `pathrank ingest`, `pathrank simulate`."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeRemainingColumn,
)

from ingest.produce import ProduceSummary, produce_events, produce_file, produce_pages
from ingest.sources.common import EXCLUDED
from ingest.sources.files import Format, detect
from ingest.sources.page_rules import PageRules, PageRulesError
from ingest.sources.table import MappingError, TableMapping
from ingest.sources.topics import TopicFormat
from ingest.topics import ensure_topics
from ingest.worker import IngestStats
from pathrank import logs
from pathrank.cli.common import CliError, app, check_kafka, err, out, progress, settings, wiring
from pathrank.cli.exports import check_export, data_lines

MAX_BAD_LINES_SHOWN = 20


def _rows_where(help: str) -> Any:
    """A repeatable COLUMN=VALUE option of a table export: rows whose COLUMN holds VALUE."""
    return typer.Option(metavar="COLUMN=VALUE", help=help)


@app.command("produce")
def produce(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="An export, plain or gzip")
    ],
    topic: Annotated[str | None, typer.Option(help="Default: PATHRANK_TOPIC")] = None,
    fmt: Annotated[
        Format, typer.Option("--format", help="The export's format; auto: detected")
    ] = Format.AUTO,
    maps: Annotated[
        list[str] | None,
        typer.Option("--map", metavar="FIELD=COLUMN", help="The column of one of our fields"),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(metavar="TZ", help="Zone of timestamps without one, e.g. Europe/Berlin"),
    ] = None,
    resolved_when: Annotated[
        list[str] | None, _rows_where("Such a row is a click that resolves")
    ] = None,
    escalated_when: Annotated[
        list[str] | None, _rows_where("Such a row is an escalation marker")
    ] = None,
    search_when: Annotated[
        list[str] | None, _rows_where("Such a row is a search (--map query=...)")
    ] = None,
    attribute_columns: Annotated[
        list[str] | None,
        typer.Option("--attributes", metavar="COLUMN,...", help="Columns kept as attributes"),
    ] = None,
    page_rules: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="TOML rules: URLs to page ids"),
    ] = None,
) -> None:
    """Validate an export of clicks (ours, CSV, Segment, Snowplow, GA4) and produce it into
    Kafka, keyed by customer."""
    s = settings()
    config = wiring().source_config(_page_rules(page_rules))
    # Table exports go through page rules only when there are some (else ids stay as sent).
    rules = config.rules if page_rules or s.page_rules else None
    detected = detect(file) if fmt is Format.AUTO else fmt
    table_options = {
        "--map": maps,
        "--timezone": timezone,
        "--resolved-when": resolved_when,
        "--escalated-when": escalated_when,
        "--search-when": search_when,
        "--attributes": attribute_columns,
    }
    given = [name for name, value in table_options.items() if value]
    if given and not detected.table:
        raise typer.BadParameter(
            f"applies to csv and jsonl exports; {file.name} is read as {detected.value}",
            param_hint=given[0],
        )
    try:
        table = TableMapping.parse(
            maps=maps or (),
            timezone=timezone,
            resolved_when=resolved_when or (),
            escalated_when=escalated_when or (),
            search_when=search_when or (),
            attribute_columns=attribute_columns or (),
            page_rules=rules,
        )
    except MappingError as exc:
        raise typer.BadParameter(str(exc)) from None
    check_export(file, detected, dict(table.columns))  # before anything is sent
    check_kafka(s.kafka_bootstrap)
    target = topic or s.topic
    ensure_topics(s.kafka_bootstrap, target, None, s.topic_partitions)
    lines = data_lines(file, detected)
    with progress() as bar:
        task = bar.add_task(f"producing {file.name} ({detected.value}) -> {target}", total=lines)
        try:
            summary = produce_file(
                file,
                s.kafka_bootstrap,
                target,
                now_ms=int(time.time() * 1000),
                on_progress=lambda n: bar.update(task, completed=min(n, lines)),
                limits=wiring().limits(),
                fmt=detected,
                config=config,
                table=table,
                search=wiring().search_rules(),
            )
        except UnicodeDecodeError as exc:  # past the part check_export read
            raise CliError(
                f"{file} is not UTF-8 text further on ({exc.reason}); what came before it "
                "was produced"
            ) from exc
        bar.update(task, completed=lines)
    for bad in summary.bad[:MAX_BAD_LINES_SHOWN]:
        err.print(f"{file}:{bad.line}: skipped: {bad.reason}", markup=False)
    if len(summary.bad) > MAX_BAD_LINES_SHOWN:
        err.print(f"... and {len(summary.bad) - MAX_BAD_LINES_SHOWN} more bad lines")
    for hint in _hints(summary, detected, timezone):
        err.print(f"pathrank: hint: {hint}", markup=False)
    ignored = {r: n for r, n in summary.skipped.items() if r != EXCLUDED}
    for reason, n in sorted(ignored.items()):
        err.print(f"ignored {n} events: {reason}", markup=False)
    line = f"produced {summary.produced} events to {target}; skipped {len(summary.bad)} bad lines"
    if summary.excluded:
        line += f"; excluded {summary.excluded} by page rules"
    if ignored:
        line += f"; ignored {sum(ignored.values())} other events"
    out.print(line)


def _page_rules(path: Path | None) -> PageRules | None:
    if path is None:
        return None
    try:
        return PageRules.load(path)
    except PageRulesError as exc:
        raise typer.BadParameter(str(exc), param_hint="--page-rules") from None


_NAIVE = "invalid timestamp: ISO-8601 without a time zone"


def _hints(summary: ProduceSummary, fmt: Format, timezone: str | None) -> list[str]:
    """What to try when every bad line has the same, fixable reason."""
    reasons = Counter(bad.reason for bad in summary.bad)
    hints = []
    if reasons[_NAIVE] and timezone is None:
        hints.append(
            f"{reasons[_NAIVE]} lines have timestamps without a time zone: give "
            "--timezone (e.g. --timezone UTC)"
        )
    missing = [r for r in reasons if r.startswith("missing field ")]
    if fmt.table and missing and not summary.produced:
        field = missing[0].removeprefix("missing field ")
        hints.append(f"name the column that holds {field} with --map {field}=COLUMN")
    return hints


def _log_batch(st: IngestStats) -> None:
    logging.getLogger("ingest").info(
        "batch %d: %d records (%d events, %d dead letters) in %.1fs, %.0f records/s",
        st.batches,
        st.consumed,
        st.clicks,
        st.dead_letters,
        st.elapsed_s,
        st.consumed / max(st.elapsed_s, 1e-9),
    )


@contextmanager
def _progress(show: bool, topic: str) -> Iterator[Callable[[IngestStats], None]]:
    """What each committed batch reports: on a terminal, with --until-idle (a run that ends),
    a live line with the counts, the group's lag and the time left at the rate so far;
    elsewhere (a log, a service) one log line per batch."""
    if not show:
        yield _log_batch
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeRemainingColumn(compact=True),
        console=err,
        transient=False,
    ) as bar:
        task = bar.add_task(f"ingesting {topic}", total=None, detail="")
        last: list[IngestStats] = []

        def on_batch(st: IngestStats) -> None:
            last[:] = [st]
            lag = "?" if st.unread is None else f"{st.unread:,}"
            rate = st.consumed / max(st.elapsed_s, 1e-9)
            detail = (
                f"{st.clicks:,} clicks, {st.dead_letters:,} dead letters "
                f"({st.too_late:,} too late), lag {lag}, {rate:,.0f}/s"
            )
            total = None if st.unread is None else st.consumed + st.unread
            bar.update(task, completed=st.consumed, total=total, detail=detail)

        yield on_batch
        if last:  # the run's end: the worker counted what the group left unread
            on_batch(last[0])


@app.command("ingest")
def ingest(
    topic: Annotated[str | None, typer.Option(help="Default: PATHRANK_TOPIC")] = None,
    group: Annotated[
        str | None, typer.Option(help="Consumer group; default PATHRANK_GROUP")
    ] = None,
    until_idle: Annotated[
        float | None,
        typer.Option(
            "--until-idle",
            min=0,
            help="Exit 0 once every partition it was assigned is read and committed, for S "
            "seconds (S + 30 while other members hold partitions with records left)",
        ),
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(min=1, max=100_000, help="Default: PATHRANK_BATCH_SIZE")
    ] = None,
    fmt: Annotated[
        TopicFormat,
        typer.Option(
            "--format", help="What the click topic holds: our JSON, Segment's, Snowplow enriched"
        ),
    ] = TopicFormat.JSONL,
) -> None:
    """Consume clicks (and the site catalog) into Neo4j as paths, exactly once in effect."""
    w = wiring()
    check_kafka(w.s.kafka_bootstrap)
    logs.for_command(err, logging.INFO)  # a line per batch, and each outage
    config = w.ingest_config(
        topic=topic, group=group, until_idle_s=until_idle, batch_size=batch_size, fmt=fmt
    )
    show = err.is_terminal and until_idle is not None
    with w.driver() as driver, _progress(show, config.topic) as on_batch:
        stats = w.ingest_worker(driver, config, on_batch=on_batch).run()
    forgotten = f", {stats.forgotten} of forgotten customers" if stats.forgotten else ""
    # "events": page clicks and outcome events alike; `analyze` counts clicks (page clicks
    # only), so the two words never name the same thing with different numbers.
    unread = "?" if stats.unread is None else f"{stats.unread}"
    out.print(
        f"ingested {stats.consumed} records ({stats.clicks} events, {stats.clicks_created} "
        f"new, {stats.pages} pages, {stats.dead_letters} dead letters{forgotten}) in "
        f"{stats.elapsed_s:.1f}s; {stats.too_late} too late; {unread} events of "
        f"{config.topic} left unread by the group"
    )


@app.command("simulate")
def simulate_cmd(
    seed: Annotated[int, typer.Option(help="Same seed, same output")] = 7,
    events: Annotated[int, typer.Option(min=1, help="Target number of clicks")] = 50_000,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write events as JSONL")] = None,
    truth: Annotated[Path | None, typer.Option(help="Write the planted truth as JSON")] = None,
    produce_to_kafka: Annotated[
        bool, typer.Option("--produce", help="Produce events and pages into Kafka")
    ] = False,
    start_ms: Annotated[int | None, typer.Option(help="Epoch ms of the first click")] = None,
    days: Annotated[float, typer.Option(min=0.01, help="Days the traffic is spread over")] = 7.0,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Every planted effect: resolution votes, escalations (tickets, chats), platform "
            "and locale attributes, a weekly cycle, a misleading link",
        ),
    ] = False,
    misleading_links: Annotated[
        int,
        typer.Option(
            min=0, help="Links planted that send customers straight back (one per site region)"
        ),
    ] = 2,
    stories: Annotated[
        bool,
        typer.Option(
            "--stories",
            help="Plant time-bounded stories (a page that breaks, one fixed by a catalog "
            "change, a step that breaks for mobile customers); needs --days 42 or more",
        ),
    ] = False,
    live_rate: Annotated[
        float | None,
        typer.Option(
            "--live",
            min=1,
            metavar="RATE",
            help="Produce RATE clicks/s with current timestamps, for --seconds (implies --produce)",
        ),
    ] = None,
    seconds: Annotated[float, typer.Option(min=1, help="How long --live runs")] = 60.0,
    searches: Annotated[
        float, typer.Option(min=0, max=1, help="Share of sessions that search the help center")
    ] = 0.0,
    content_gaps: Annotated[
        int,
        typer.Option(min=0, max=8, help="Queries planted without an answer (needs --searches)"),
    ] = 0,
) -> None:
    """A synthetic help center and clickstream with planted weak pages, hotspots, misleading
    links and segments; or, with --live, a steady stream of current clicks."""
    if live_rate is not None:
        _simulate_live(seed, live_rate, seconds)
        return
    if out_file is None and not produce_to_kafka and truth is None:
        raise CliError("nothing to do: give --out FILE, --produce, --truth FILE or --live RATE")
    from simulator import SimulationConfig, simulate, write_jsonl, write_truth
    from simulator.config import STORY_MIN_DAYS

    if stories and days < STORY_MIN_DAYS:
        raise typer.BadParameter(
            f"stories need at least {STORY_MIN_DAYS} days of traffic (a 4-week baseline "
            "before them, weeks after)",
            param_hint="'--days'",
        )
    s = settings()
    if produce_to_kafka:
        check_kafka(s.kafka_bootstrap)
    config = (
        SimulationConfig.full(
            seed=seed, events=events, days=days, misleading_links=misleading_links
        )
        if full
        else SimulationConfig(
            seed=seed, events=events, days=days, misleading_links=misleading_links
        )
    )
    if stories:  # they need the platform attribute (the segment's story is about mobile)
        config = config.model_copy(update={"stories": True, "attributes": True})
    if searches or content_gaps:
        config = config.model_copy(update={"search_share": searches, "content_gaps": content_gaps})
    if start_ms is not None:
        config = config.model_copy(update={"start_ms": start_ms})
    sim = simulate(config)
    if out_file is not None:
        write_jsonl(out_file, sim.events)
        out.print(f"wrote {len(sim.events)} events to {out_file}")
    if truth is not None:
        write_truth(truth, sim.truth)
        out.print(f"wrote the planted truth to {truth}")
    if produce_to_kafka:
        ensure_topics(s.kafka_bootstrap, s.topic, s.pages_topic, s.topic_partitions)
        # The catalog as traffic began, then its later versions (each dated `updated_at`).
        catalog = sim.pages + [record for _, record in sim.catalog_changes]
        pages = produce_pages(catalog, s.kafka_bootstrap, s.pages_topic)
        with progress() as bar:
            task = bar.add_task(f"producing -> {s.topic}", total=len(sim.events))
            n = produce_events(
                sim.events,
                s.kafka_bootstrap,
                s.topic,
                lambda k: bar.update(task, completed=k),
                search=wiring().search_rules(),
            )
        out.print(f"produced {n} events to {s.topic} and {pages} pages to {s.pages_topic}")


def _simulate_live(seed: int, rate: float, seconds: float) -> None:
    """The simulation's clicks at a steady `rate` with current timestamps (simulator/live.py)."""
    from simulator import SimulationConfig, simulate
    from simulator.live import live

    s = settings()
    check_kafka(s.kafka_bootstrap)
    sim = simulate(SimulationConfig(seed=seed, events=max(1, round(rate * seconds))))
    ensure_topics(s.kafka_bootstrap, s.topic, s.pages_topic, s.topic_partitions)
    produce_pages(sim.pages, s.kafka_bootstrap, s.pages_topic)
    out.print(f"producing {len(sim.events):,} clicks at {rate:,.0f}/s to {s.topic} (Ctrl-C stops)")
    started = time.monotonic()
    n = produce_events(live(sim.events, rate), s.kafka_bootstrap, s.topic)
    elapsed = time.monotonic() - started
    out.print(f"produced {n:,} clicks in {elapsed:.1f}s ({n / elapsed:,.0f}/s) to {s.topic}")
