"""`pathrank services up|down|status`: local Neo4j + GDS + Neo4j Browser + Kafka."""

from __future__ import annotations

import sys
import time
from typing import Annotated

import orjson
import typer

from pathrank.cli.common import app, err, out, settings
from pathrank.services import ServiceManager
from pathrank.services.kafka_server import KafkaConfig
from pathrank.services.neo4j_server import Neo4jConfig
from pathrank.settings import Settings

services_app = typer.Typer(help="Local Neo4j + GDS + Neo4j Browser + Kafka, without Docker.")
app.add_typer(services_app, name="services")


def service_manager(s: Settings) -> ServiceManager:
    return ServiceManager(
        cache_dir=s.cache_dir,
        neo4j=Neo4jConfig(
            bolt_port=s.neo4j_bolt_port,
            http_port=s.neo4j_http_port,
            user=s.neo4j_user,
            password=s.neo4j_password.get_secret_value(),
            heap=s.neo4j_heap,
            pagecache=s.neo4j_pagecache,
        ),
        kafka=KafkaConfig(
            port=s.kafka_port, controller_port=s.kafka_controller_port, heap=s.kafka_heap
        ),
    )


def print_urls(manager: ServiceManager) -> None:
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
    print_urls(manager)


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
    print_urls(manager)
