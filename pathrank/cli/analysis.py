"""`pathrank analyze`: every analysis figure, written back into Neo4j as one unit."""

from __future__ import annotations

import math
from typing import Annotated

import typer

from pathrank.cli.common import BusyError, app, err, out, require_neo4j, wiring


@app.command("analyze")
def analyze(
    wait: Annotated[
        bool,
        typer.Option("--wait", help="If another analysis is running, wait for it, then run"),
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(min=0, help="With --wait: give up after this many seconds (exit 3)"),
    ] = None,
) -> None:
    """Every analysis figure (docs/analytics.md) with GDS and scipy, written into Neo4j.

    One analysis runs at a time: while another holds the lock this exits 3 naming it, or
    with --wait waits for it."""
    from graph_model.run.record import AnalysisLockedError

    if timeout is not None and not wait:
        raise typer.BadParameter("--timeout needs --wait", param_hint="'--timeout'")
    w = wiring()
    with w.driver() as driver:
        require_neo4j(driver, w.s)
        with err.status("analyzing") as spinner:
            analysis = w.analysis(
                driver,
                on_step=spinner.update,
                wait_s=(math.inf if timeout is None else timeout) if wait else None,
                on_wait=err.print,
            )
            try:
                run = analysis.run()
            except AnalysisLockedError as exc:
                hint = "" if wait else "; wait for it with --wait"
                raise BusyError(f"{exc}{hint}") from exc
    for step, seconds in run.steps.items():
        out.print(f"  {step:32} {seconds:7.2f}s")
    out.print(
        f"analysis run {run.id}: {run.clicks} clicks, {run.paths} paths, {run.pages} pages in "
        f"{run.total_s:.1f}s: {run.hotspots} turnaround hotspots, {run.high_exit_pages} "
        f"high-exit pages, {run.escalation_hotspots} escalation hotspots, {run.weak_pages} weak "
        f"pages, {run.communities} communities, "
        f"{run.link_suggestions} link suggestions, {run.misleading_links} misleading links"
    )
