"""`pathrank serve`: the GraphQL API, the dashboard, health and metrics."""

from __future__ import annotations

import gc
import socket
from typing import Annotated

import typer

from pathrank.cli.common import CliError, app, check_kafka, err, out, require_neo4j, wiring

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 8000,
) -> None:
    """GraphQL at /graphql (with GraphiQL), dashboard at /, /healthz, Prometheus /metrics, and
    the collector (Segment's and Snowplow's endpoints) when PATHRANK_WRITE_KEY is set."""
    import uvicorn

    from collector.app import TP2_PATH
    from graphql_api.app import create_app
    from ingest.topics import ensure_topics

    w = wiring()
    with w.driver() as driver:
        require_neo4j(driver, w.s)
        w.admin(driver).ensure_schema()
    try:  # one clear line now rather than uvicorn's log after start-up
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        socket.create_server((host, port), family=family).close()
    except OSError as exc:
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    api_key = w.s.api_key.get_secret_value() if w.s.api_key else None
    if not api_key and host not in LOOPBACK:
        err.print("pathrank: warning: PATHRANK_API_KEY is not set; anyone can run runAnalysis")
    collector = w.collector()
    if collector.config.on:  # its requests wait for Kafka: check it now, and the topics
        check_kafka(w.s.kafka_bootstrap)
        ensure_topics(w.s.kafka_bootstrap, w.s.topic, None, w.s.topic_partitions)
    api = create_app(
        w.graph_reads(),
        api_key=api_key,
        run_analysis=w.run_analysis,
        cache_responses=w.s.api_cache,
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
    app = w.http_app(api, collector)
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)
