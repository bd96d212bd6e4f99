"""Getting clicks in: `pathrank produce`, `pathrank ingest`, `pathrank simulate`."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.logging import RichHandler

from ingest.produce import produce_events, produce_file, produce_pages
from ingest.topics import ensure_topics
from ingest.worker import IngestStats
from pathrank.cli.common import CliError, app, check_kafka, err, out, progress, settings, wiring

MAX_BAD_LINES_SHOWN = 20


@app.command("produce")
def produce(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSONL or CSV")],
    topic: Annotated[str | None, typer.Option(help="Default: PATHRANK_TOPIC")] = None,
) -> None:
    """Validate a JSONL or CSV file of clicks and produce it into Kafka, keyed by customer."""
    s = settings()
    check_kafka(s.kafka_bootstrap)
    target = topic or s.topic
    ensure_topics(s.kafka_bootstrap, target, None, s.topic_partitions)
    lines = sum(1 for _ in file.open("rb"))
    with progress() as bar:
        task = bar.add_task(f"producing {file.name} -> {target}", total=lines)
        summary = produce_file(
            file,
            s.kafka_bootstrap,
            target,
            now_ms=int(time.time() * 1000),
            on_progress=lambda n: bar.update(task, completed=n),
            max_skew_ms=round(s.max_clock_skew_s * 1000),
        )
        bar.update(task, completed=lines)
    for bad in summary.bad[:MAX_BAD_LINES_SHOWN]:
        err.print(f"{file}:{bad.line}: skipped: {bad.reason}", markup=False)
    if len(summary.bad) > MAX_BAD_LINES_SHOWN:
        err.print(f"... and {len(summary.bad) - MAX_BAD_LINES_SHOWN} more bad lines")
    out.print(
        f"produced {summary.produced} events to {target}; skipped {len(summary.bad)} bad lines"
    )


def _log_batch(st: IngestStats) -> None:
    logging.getLogger("ingest").info(
        "batch %d: %d records (%d clicks, %d dead letters) in %.1fs, %.0f records/s",
        st.batches,
        st.consumed,
        st.clicks,
        st.dead_letters,
        st.elapsed_s,
        st.consumed / max(st.elapsed_s, 1e-9),
    )


@app.command("ingest")
def ingest(
    topic: Annotated[str | None, typer.Option(help="Default: PATHRANK_TOPIC")] = None,
    group: Annotated[
        str | None, typer.Option(help="Consumer group; default PATHRANK_GROUP")
    ] = None,
    until_idle: Annotated[
        float | None,
        typer.Option("--until-idle", min=0, help="Exit 0 once no record arrived for S seconds"),
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(min=1, max=100_000, help="Default: PATHRANK_BATCH_SIZE")
    ] = None,
) -> None:
    """Consume clicks (and the site catalog) into Neo4j as paths, exactly once in effect."""
    w = wiring()
    check_kafka(w.s.kafka_bootstrap)
    logging.basicConfig(
        level=logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_path=False)],
    )
    # The driver logs each of its own retries; ingest reports an outage once per retry.
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    config = w.ingest_config(
        topic=topic, group=group, until_idle_s=until_idle, batch_size=batch_size
    )
    with w.driver() as driver:
        stats = w.ingest_worker(driver, config, on_batch=_log_batch).run()
    out.print(
        f"ingested {stats.consumed} records ({stats.clicks} clicks, {stats.clicks_created} new, "
        f"{stats.pages} pages, {stats.dead_letters} dead letters) in {stats.elapsed_s:.1f}s"
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
) -> None:
    """A synthetic help center and clickstream with planted weak pages, hotspots, segments."""
    if out_file is None and not produce_to_kafka and truth is None:
        raise CliError("nothing to do: give --out FILE, --produce and/or --truth FILE")
    from simulator import SimulationConfig, simulate, write_jsonl, write_truth

    s = settings()
    if produce_to_kafka:
        check_kafka(s.kafka_bootstrap)
    config = SimulationConfig(seed=seed, events=events, days=days)
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
        pages = produce_pages(sim.pages, s.kafka_bootstrap, s.pages_topic)
        with progress() as bar:
            task = bar.add_task(f"producing -> {s.topic}", total=len(sim.events))
            n = produce_events(
                sim.events, s.kafka_bootstrap, s.topic, lambda k: bar.update(task, completed=k)
            )
        out.print(f"produced {n} events to {s.topic} and {pages} pages to {s.pages_topic}")
