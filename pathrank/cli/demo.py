"""`pathrank demo`: services up, simulate into Kafka, ingest, analyze, then serve."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Final

import typer

from pathrank.cli.analysis import analyze
from pathrank.cli.common import CliError, app, check_port, out, settings, settings_override
from pathrank.cli.data import ingest, simulate_cmd
from pathrank.cli.serve import serve
from pathrank.cli.services import service_manager, services_up
from pathrank.settings import Settings

# Cypher an analyst can paste into Neo4j Browser (the saved queries are in cypher/).
EXAMPLE_QUERIES: Final = (
    "MATCH (p:Path {outcome: 'RESOLVED'}) RETURN p.pages, p.length ORDER BY p.start LIMIT 10",
    "MATCH (p:Path {outcome: 'ESCALATED'})-[:ENDED_BY]->(m:Marker) "
    "RETURN last(p.pages) AS page, count(*) AS tickets ORDER BY tickets DESC LIMIT 10",
    "MATCH (a:Page)-[t:TRANSITION]->(b:Page) RETURN a.title, b.title, t.count, t.turnarounds "
    "ORDER BY t.turnarounds DESC LIMIT 10",
    "MATCH (c:Customer)-[:TOOK]->(p:Path) WITH c, count(p) AS n WHERE n > 2 "
    "MATCH (c)-[:TOOK]->(p:Path) RETURN c.id, p.pages, p.outcome ORDER BY c.id, p.start LIMIT 20",
    "MATCH (q:Query) WHERE q.isContentGap RETURN q.text, q.paths, q.failureRate, "
    "q.excessFailures ORDER BY q.excessFailures DESC",
)


DEMO_PREFIX: Final = "demo."
TRUTH: Final = Path("demo-truth.json")


def preflight(port: int | None, truth: Path) -> None:
    """One line, before the demo writes anything (Kafka topics, the graph, the truth file),
    when it could not finish: its port is taken, or the truth file cannot be written."""
    if port is not None:
        check_port("127.0.0.1", port, hint="pick another with --port, or add --no-serve")
    folder = truth.resolve().parent
    writable = os.access(truth, os.W_OK) if truth.exists() else os.access(folder, os.W_OK)
    if not writable:
        raise CliError(f"cannot write {truth.resolve()}: run the demo in a folder you can write")


def demo_settings(s: Settings) -> Settings:
    """The demo's own topics and consumer group, so that its clicks and catalog never mix with
    a team's own data (and `pathrank reset` can remove them)."""
    return s.model_copy(
        update={
            "topic": DEMO_PREFIX + s.topic,
            "pages_topic": DEMO_PREFIX + s.pages_topic,
            "group": DEMO_PREFIX + s.group,
            "assist_topic": DEMO_PREFIX + s.assist_topic,
        }
    )


@app.command("demo")
def demo(
    events: Annotated[int, typer.Option(min=1, help="Simulated clicks")] = 50_000,
    # Seed 1's mobile-only break shows among the mobile customers' changes at 50,000 clicks.
    seed: Annotated[int, typer.Option(help="Simulation seed")] = 1,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port for the dashboard")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Stop after the analysis")] = False,
) -> None:
    """End to end: services up, simulate into Kafka, ingest, analyze, then serve. The demo
    uses its own topics (demo.<topic>) and consumer group; `pathrank reset` removes it all.
    What it needs (its port, a writable demo-truth.json) is checked before anything is
    written."""
    preflight(None if no_serve else port, TRUTH)
    services_up(timeout=180.0)
    demo = demo_settings(settings())
    out.print(
        f"The demo writes to its own topics {demo.topic} and {demo.pages_topic} (consumer "
        f"group {demo.group}); the graph it fills is the one your own data goes to: "
        "`pathrank reset` empties it."
    )
    with settings_override(demo):
        simulate_cmd(
            seed=seed,
            events=events,
            out_file=None,
            truth=TRUTH,
            produce_to_kafka=True,
            start_ms=None,
            # Nine weeks, so that the dashboard has weeks to compare and stories to find.
            days=63.0,
            full=True,
            stories=True,
            searches=0.3,
            content_gaps=4,
        )
        ingest(topic=None, group=None, until_idle=5.0, batch_size=None)
    analyze()
    st = service_manager(settings()).status()
    out.print("\nWhere to look:")
    out.print(f"  Dashboard       http://127.0.0.1:{port}/")
    out.print(f"  GraphiQL        http://127.0.0.1:{port}/graphql")
    out.print(f"  Neo4j Browser   {st.neo4j.browser_url}  (neo4j / {st.neo4j.password})")
    out.print("Try in Neo4j Browser (more in cypher/):")
    for query in EXAMPLE_QUERIES:
        out.print(f"  {query}", markup=False)
    out.print("To load your own data next: `pathrank reset` (the graph and offsets), then")
    out.print(
        "  pathrank produce your-clicks.csv && pathrank ingest --until-idle 5 && pathrank analyze"
    )
    if not no_serve:
        serve(host="127.0.0.1", port=port)
