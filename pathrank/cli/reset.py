"""`pathrank reset`: start clean — the graph, the ingest offsets and, on request, the topics."""

from __future__ import annotations

from typing import Annotated

import typer

from ingest.kafka_admin import GroupInUseError, delete_group, delete_topics
from ingest.topics import dlq_topic
from pathrank.cli.common import CliError, app, check_kafka, out, require_neo4j, wiring
from pathrank.cli.demo import demo_settings


@app.command("reset")
def reset(
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
    topics: Annotated[
        bool, typer.Option("--topics", help="Also delete the product's Kafka topics")
    ] = False,
) -> None:
    """Empty the graph and forget the ingest consumer groups' offsets (the demo's too);
    with --topics, delete the click, catalog, dead-letter and assist topics as well. The
    tombstones of forgotten customers stay: a replay must not bring them back."""
    w = wiring()
    s = w.s
    demo = demo_settings(s)
    groups = [s.group, demo.group]
    names = [
        name
        for t in (s, demo)
        for name in (
            t.topic,
            dlq_topic(t.topic),
            t.pages_topic,
            dlq_topic(t.pages_topic),
            t.assist_topic,
        )
    ]
    what = "the graph, the offsets of " + ", ".join(groups)
    if topics:
        what += " and the topics " + ", ".join(names)
    if not yes and not typer.confirm(f"Remove {what}?", default=False):
        raise CliError("nothing removed (give --yes to reset without asking)")
    check_kafka(s.kafka_bootstrap)
    try:  # offsets first: a running worker refuses, before anything is lost
        forgotten = [g for g in groups if delete_group(s.kafka_bootstrap, g)]
    except GroupInUseError as exc:
        raise CliError(str(exc)) from exc
    with w.driver() as driver:
        require_neo4j(driver, s)
        admin = w.admin(driver)
        before = admin.counts()
        admin.clear(keep_tombstones=True)
    deleted = delete_topics(s.kafka_bootstrap, names) if topics else []
    out.print(
        f"removed {before.pages} pages, {before.customers} customers, {before.paths} paths and "
        f"{before.clicks} clicks from the graph"
    )
    out.print("forgot the offsets of " + (", ".join(forgotten) or "no consumer group"))
    if topics:
        out.print("deleted the topics " + (", ".join(deleted) or "(none existed)"))
