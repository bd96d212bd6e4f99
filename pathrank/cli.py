"""The `pathrank` command line: the composition root that wires settings to packages."""

from __future__ import annotations

import gc
import logging
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import orjson
import typer
from neo4j import AsyncGraphDatabase, Driver, GraphDatabase
from neo4j.exceptions import AuthError, ServiceUnavailable
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from graph_model.example_queries import EXAMPLE_QUERIES
from graph_model.schema import ensure_schema
from graph_model.store import Neo4jPathGraphStore
from ingest.batch import PathRules
from ingest.produce import produce_events, produce_file, produce_pages
from ingest.topics import ensure_topics
from ingest.worker import IngestConfig, IngestWorker
from pathrank.services import ServiceError, ServiceManager
from pathrank.services.kafka_server import KafkaConfig
from pathrank.services.neo4j_server import Neo4jConfig
from pathrank.services.process import port_open
from pathrank.settings import Settings

# Analysis (graphdatascience, scipy), the API and the simulator are imported by the commands
# that use them: importing them all cost every `pathrank ingest` ~2.7 s before its first poll.
if TYPE_CHECKING:
    from graph_model.read_model import ReadModel

app = typer.Typer(
    name="pathrank",
    help="Customer PathRank: clickstream paths in Neo4j, analysed with Graph Data Science.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
services_app = typer.Typer(help="Local Neo4j + GDS + Neo4j Browser + Kafka, without Docker.")
app.add_typer(services_app, name="services")

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


class CliError(Exception):
    """An error reported as one line on stderr with a non-zero exit."""


def settings() -> Settings:
    return Settings()


def service_manager(s: Settings) -> ServiceManager:
    return ServiceManager(
        cache_dir=s.cache_dir,
        neo4j=Neo4jConfig(
            bolt_port=s.neo4j_bolt_port,
            http_port=s.neo4j_http_port,
            user=s.neo4j_user,
            password=s.neo4j_password,
            heap=s.neo4j_heap,
            pagecache=s.neo4j_pagecache,
        ),
        kafka=KafkaConfig(
            port=s.kafka_port, controller_port=s.kafka_controller_port, heap=s.kafka_heap
        ),
    )


def _print_urls(manager: ServiceManager) -> None:
    st = manager.status()
    out.print(
        f"Neo4j Bolt      {st.neo4j.bolt_uri}  (user {st.neo4j.user}, password {st.neo4j.password})"
    )
    out.print(f"Neo4j Browser   {st.neo4j.browser_url}")
    out.print(f"Kafka           {st.kafka.bootstrap}")
    out.print(f"Logs            {st.neo4j.log}  {st.kafka.log}")


@services_app.command("up")
def services_up(
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each server.")] = 180.0,
) -> None:
    """Assemble (first time only) and start Neo4j and Kafka; a no-op when already up."""
    manager = service_manager(settings())
    t0 = time.monotonic()
    with err.status("starting services") as spinner:
        timings = manager.up(timeout=timeout, on_step=spinner.update)
    parts = ", ".join(f"{k} {v:.1f}" for k, v in timings.items())
    out.print(f"services up in {time.monotonic() - t0:.1f}s ({parts})")
    _print_urls(manager)


@services_app.command("down")
def services_down() -> None:
    """Stop Neo4j and Kafka."""
    stopped = service_manager(settings()).down()
    out.print("stopped " + (", ".join(stopped) if stopped else "nothing (nothing was running)"))


@services_app.command("status")
def services_status(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Report whether each server is up, how to connect, and where its log is."""
    manager = service_manager(settings())
    st = manager.status()
    if as_json:
        sys.stdout.write(orjson.dumps(st.model_dump(), option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    for name, up in (("neo4j", st.neo4j.up), ("kafka", st.kafka.up)):
        out.print(f"{name:6} {'up' if up else 'down'}")
    _print_urls(manager)


def _driver(s: Settings) -> Driver:
    return GraphDatabase.driver(
        s.neo4j_uri,
        auth=(s.neo4j_user, s.neo4j_password),
        max_connection_pool_size=8,
        # Short driver-side retries: longer outages surface to ingest, which logs and backs off.
        max_transaction_retry_time=5.0,
        # Our statements are reviewed; server hints would only flood the worker's log.
        notifications_min_severity="OFF",
    )


def _store(s: Settings, driver: Driver) -> Neo4jPathGraphStore:
    return Neo4jPathGraphStore(driver, s.neo4j_database, int(s.inactivity_timeout_s * 1000))


def _check_kafka(bootstrap: str) -> None:
    """One readable line instead of librdkafka retrying forever against nothing."""
    host, _, port = bootstrap.rpartition(":")
    if not port_open(int(port), host or "127.0.0.1", timeout=3.0):
        raise CliError(f"Kafka is not reachable at {bootstrap} (try `pathrank services up`)")


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


@app.command("produce")
def produce(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSONL or CSV")],
    topic: Annotated[str | None, typer.Option(help="Default: PATHRANK_TOPIC")] = None,
) -> None:
    """Validate a JSONL or CSV file of clicks and produce it into Kafka, keyed by customer."""
    s = settings()
    _check_kafka(s.kafka_bootstrap)
    target = topic or s.topic
    ensure_topics(s.kafka_bootstrap, target, None)
    lines = sum(1 for _ in file.open("rb"))
    with _progress() as bar:
        task = bar.add_task(f"producing {file.name} -> {target}", total=lines)
        summary = produce_file(
            file,
            s.kafka_bootstrap,
            target,
            now_ms=int(time.time() * 1000),
            on_progress=lambda n: bar.update(task, completed=n),
        )
        bar.update(task, completed=lines)
    for bad in summary.bad[:20]:
        err.print(f"{file}:{bad.line}: skipped: {bad.reason}")
    if len(summary.bad) > 20:
        err.print(f"... and {len(summary.bad) - 20} more bad lines")
    out.print(
        f"produced {summary.produced} events to {target}; skipped {len(summary.bad)} bad lines"
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
    batch_size: Annotated[int, typer.Option(min=1, max=100_000)] = 5000,
) -> None:
    """Consume clicks (and the site catalog) into Neo4j as paths, exactly once in effect."""
    s = settings()
    _check_kafka(s.kafka_bootstrap)
    logging.basicConfig(
        level=logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_path=False)],
    )
    config = IngestConfig(
        bootstrap=s.kafka_bootstrap,
        topic=topic or s.topic,
        pages_topic=s.pages_topic,
        group=group or s.group,
        rules=PathRules(
            timeout_ms=int(s.inactivity_timeout_s * 1000),
            quick_ms=int(s.quick_turnaround_s * 1000),
        ),
        batch_size=batch_size,
        until_idle_s=until_idle,
    )
    with _driver(s) as driver:
        worker = IngestWorker(
            config,
            _store(s, driver),
            on_batch=lambda st: logging.getLogger("ingest").info(
                "batch %d: %d records (%d clicks, %d dead letters) in %.1fs, %.0f records/s",
                st.batches,
                st.consumed,
                st.clicks,
                st.dead_letters,
                st.elapsed_s,
                st.consumed / max(st.elapsed_s, 1e-9),
            ),
        )
        stats = worker.run()
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
) -> None:
    """A synthetic help center and clickstream with planted weak pages, hotspots, segments."""
    if out_file is None and not produce_to_kafka and truth is None:
        raise CliError("nothing to do: give --out FILE, --produce and/or --truth FILE")
    from ingest.simulator import SimulationConfig, simulate, write_jsonl, write_truth

    s = settings()
    if produce_to_kafka:
        _check_kafka(s.kafka_bootstrap)
    extra = {"start_ms": start_ms} if start_ms is not None else {}
    sim = simulate(SimulationConfig(seed=seed, events=events, **extra))
    if out_file is not None:
        write_jsonl(out_file, sim.events)
        out.print(f"wrote {len(sim.events)} events to {out_file}")
    if truth is not None:
        write_truth(truth, sim.truth)
        out.print(f"wrote the planted truth to {truth}")
    if produce_to_kafka:
        ensure_topics(s.kafka_bootstrap, s.topic, s.pages_topic)
        pages = produce_pages(sim.pages, s.kafka_bootstrap, s.pages_topic)
        with _progress() as bar:
            task = bar.add_task(f"producing -> {s.topic}", total=len(sim.events))
            n = produce_events(
                sim.events, s.kafka_bootstrap, s.topic, lambda k: bar.update(task, completed=k)
            )
        out.print(f"produced {n} events to {s.topic} and {pages} pages to {s.pages_topic}")


@app.command("analyze")
def analyze() -> None:
    """Every DESIGN section 6 figure with GDS and scipy, written back into Neo4j."""
    from graphdatascience import GraphDataScience

    from algorithms.analyze import Analysis
    from graph_model.analysis_store import Neo4jAnalysisStore

    s = settings()
    with _driver(s) as driver:
        _require_neo4j(driver, s)
        gds = GraphDataScience(driver, database=s.neo4j_database, show_progress=False)
        store = Neo4jAnalysisStore(driver, s.neo4j_database)
        with err.status("analyzing") as spinner:
            report = Analysis(store, gds, on_step=spinner.update).run()
    for step, seconds in report.steps_s.items():
        out.print(f"  {step:32} {seconds:7.2f}s")
    size = report.size
    out.print(
        f"analyzed {size['clicks']} clicks, {size['paths']} paths, {size['pages']} pages in "
        f"{report.total_s:.1f}s: {report.hotspots} turnaround hotspots, {report.high_exit} "
        f"high-exit pages, {report.weak_pages} weak pages, {report.communities} communities, "
        f"{report.link_suggestions} link suggestions"
    )


def _require_neo4j(driver: Driver, s: Settings) -> None:
    try:
        driver.verify_connectivity()
    except (ServiceUnavailable, OSError) as exc:
        raise CliError(
            f"Neo4j is not reachable at {s.neo4j_uri} (try `pathrank services up`)"
        ) from exc
    except AuthError as exc:
        raise CliError(f"Neo4j at {s.neo4j_uri} rejected user {s.neo4j_user!r}") from exc


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 8000,
) -> None:
    """GraphQL at /graphql (with GraphiQL), dashboard at /, /healthz, Prometheus /metrics."""
    import uvicorn

    from graphql_api.app import create_app

    s = settings()
    with _driver(s) as driver:
        _require_neo4j(driver, s)
        ensure_schema(driver, s.neo4j_database)
    try:  # one clear line now rather than uvicorn's log after start-up
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        socket.create_server((host, port), family=family).close()
    except OSError as exc:
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    if not s.api_key and host not in ("127.0.0.1", "localhost", "::1"):
        err.print("pathrank: warning: PATHRANK_API_KEY is not set; anyone can run runAnalysis")
    api = create_app(
        _read_models(s),
        api_key=s.api_key,
        run_analysis=lambda: _run_analysis(s),
        cache_responses=s.api_cache,
    )
    out.print(f"GraphQL on http://{host}:{port}/graphql (Ctrl-C to stop)")
    # Everything loaded so far (the schema, the libraries: ~200k objects) lives as long as
    # the server. Frozen, the garbage collector stops re-scanning it on every full
    # collection, which otherwise paused the event loop for 100-250 ms (the API's p99).
    gc.collect()
    gc.freeze()
    uvicorn.run(api, host=host, port=port, log_level="info", access_log=False)


def _read_models(s: Settings) -> Callable[[], AbstractAsyncContextManager[ReadModel]]:
    """The API's graph reads, on an async driver opened on the server's event loop."""

    from graph_model.read_model import Neo4jReadModel

    @asynccontextmanager
    async def read_model() -> AsyncIterator[ReadModel]:
        driver = AsyncGraphDatabase.driver(
            s.neo4j_uri,
            auth=(s.neo4j_user, s.neo4j_password),
            max_connection_pool_size=64,
            notifications_min_severity="OFF",
        )
        try:
            yield Neo4jReadModel(driver, s.neo4j_database)
        finally:
            await driver.close()

    return read_model


def _run_analysis(s: Settings) -> str:
    """One `pathrank analyze` for the API's runAnalysis; returns the recorded run's id."""
    from graphdatascience import GraphDataScience

    from algorithms.analyze import Analysis
    from graph_model.analysis_store import Neo4jAnalysisStore

    with _driver(s) as driver:
        gds = GraphDataScience(driver, database=s.neo4j_database, show_progress=False)
        return Analysis(Neo4jAnalysisStore(driver, s.neo4j_database), gds).run().run_id


@app.command("demo")
def demo(
    events: Annotated[int, typer.Option(min=1, help="Simulated clicks")] = 50_000,
    seed: Annotated[int, typer.Option(help="Simulation seed")] = 7,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port for the dashboard")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Stop after the analysis")] = False,
) -> None:
    """End to end: services up, simulate into Kafka, ingest, analyze, then serve."""
    services_up(timeout=180.0)
    simulate_cmd(
        seed=seed,
        events=events,
        out_file=None,
        truth=Path("demo-truth.json"),
        produce_to_kafka=True,
        start_ms=None,
    )
    ingest(topic=None, group=None, until_idle=5.0, batch_size=5000)
    analyze()
    st = service_manager(settings()).status()
    out.print("\nWhere to look:")
    out.print(f"  Dashboard       http://127.0.0.1:{port}/")
    out.print(f"  GraphiQL        http://127.0.0.1:{port}/graphql")
    out.print(f"  Neo4j Browser   {st.neo4j.browser_url}  (neo4j / {st.neo4j.password})")
    out.print("Try in Neo4j Browser (more in cypher/):")
    for query in EXAMPLE_QUERIES:
        out.print(f"  {query}", markup=False)
    if not no_serve:
        serve(host="127.0.0.1", port=port)


def main() -> None:
    """Entry point: every known failure becomes one line on stderr and exit status 1."""
    try:
        app(standalone_mode=False)
    except (ServiceError, CliError) as exc:
        _fail(str(exc))
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("pathrank: aborted")
        sys.exit(130)
    except Exception as exc:  # the CLI promises one readable line
        # Usage errors (bad command, option or value) come from typer's click layer.
        message = getattr(exc, "format_message", None)
        if callable(message):
            _fail(str(message()), int(getattr(exc, "exit_code", 2)))
        _fail(f"{type(exc).__name__}: {exc}")


def _fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr, whatever the message held, then a non-zero exit."""
    err.print("pathrank: error: " + " ".join(message.split()))
    sys.exit(code)
