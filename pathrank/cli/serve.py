"""`pathrank serve`: the GraphQL API, the dashboard, health and metrics."""

from __future__ import annotations

import gc
import ipaddress
import warnings
from typing import Annotated

import typer

from pathrank.cli.common import (
    CliError,
    app,
    check_kafka,
    check_port,
    err,
    out,
    require_neo4j,
    wiring,
)
from pathrank.settings import Settings


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name: it may resolve to anything
        return False


def exposure_warnings(s: Settings, hosts: tuple[str, ...]) -> list[str]:
    """What a server listening beyond loopback leaves open, one line each."""
    lines = []
    if s.api_key is None:
        lines.append("PATHRANK_API_KEY is not set: anyone who can reach it can run runAnalysis")
    if not s.api_key_for_reads:
        lines.append(
            "reads need no key (PATHRANK_API_KEY_FOR_READS is off): anyone who can reach it "
            "can query the graph at /graphql and read /metrics"
        )
    if "*" in hosts:
        lines.append("PATHRANK_API_ALLOWED_HOSTS has `*`: any Host is answered (DNS rebinding)")
    else:
        lines.append(
            f"it answers only requests for the host names {', '.join(hosts)}; "
            "set PATHRANK_API_ALLOWED_HOSTS to the names clients use"
        )
    return lines


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 8000,
) -> None:
    """GraphQL at /graphql (with GraphiQL), dashboard at /, /healthz, Prometheus /metrics, and
    the collector (Segment's and Snowplow's endpoints) when PATHRANK_WRITE_KEY is set."""
    from collector.app import TP2_PATH
    from graphql_api.app import create_app
    from graphql_api.http.hosts import allowed_hosts
    from ingest.topics import ensure_topics
    from pathrank import http_server, logs

    w = wiring()
    s = w.s
    logs.for_server(repeat_s=s.log_repeat_s)
    api_key = s.api_key.get_secret_value() if s.api_key else None
    if s.api_key_for_reads and not api_key:
        raise CliError("PATHRANK_API_KEY_FOR_READS is on but PATHRANK_API_KEY is not set")
    with w.driver() as driver:
        require_neo4j(driver, s)
        w.admin(driver).ensure_schema()
    check_port(host, port)  # one clear line now rather than uvicorn's log after start-up
    hosts = allowed_hosts(host, s.api_allowed_hosts)
    if not is_loopback(host):
        for line in exposure_warnings(s, hosts):
            err.print(f"pathrank: warning: listening on {host}: {line}", markup=False)
    collector = w.collector()
    if collector.config.on:  # its requests wait for Kafka: check it now, and the topics
        check_kafka(s.kafka_bootstrap)
        ensure_topics(s.kafka_bootstrap, s.topic, None, s.topic_partitions)
    api = create_app(
        w.graph_reads(),
        api_key=api_key,
        run_analysis=w.run_analysis,
        forget_customers=w.forget,
        set_work_status=w.set_work_item_status,
        alert_delivery=w.alert_delivery(),
        cache_responses=s.api_cache,
        allowed_hosts=hosts,
        key_for_reads=s.api_key_for_reads,
        time_budget_s=s.api_time_budget_s,
        assist_feed=w.assist_feed(),
        ws_origins=s.assist_origins,
        health={"collector": collector.health},
    )
    # A query cancelled at its time budget can leave resolvers graphql-core had created but
    # not yet started; Python reports each such coroutine as never awaited. Nothing is lost.
    warnings.filterwarnings(
        "ignore", r"coroutine '.*_async_resolver' was never awaited", RuntimeWarning
    )
    out.print(f"GraphQL on http://{host}:{port}/graphql (Ctrl-C to stop)")
    if collector.config.on:
        out.print(
            f"Collector on http://{host}:{port}/v1/batch (Segment, RudderStack) and "
            f"{TP2_PATH} (Snowplow) -> {w.s.topic}"
        )
    else:
        out.print("Collector off (set PATHRANK_WRITE_KEY to turn it on)")
    # Everything loaded so far (the schema, the libraries: ~200k objects) lives as long as
    # the server. Frozen, the garbage collector stops re-scanning it on every full
    # collection, which otherwise paused the event loop for 100-250 ms (the API's p99).
    gc.collect()
    gc.freeze()
    http_server.serve(
        w.http_app(api, collector, hosts),
        host,
        port,
        body_timeout_s=s.http_body_timeout_s,
        idle_timeout_s=s.http_idle_timeout_s,
    )
