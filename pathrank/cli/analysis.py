"""`pathrank analyze`: every analysis figure, written back into Neo4j as one unit."""

from __future__ import annotations

import math
from typing import Annotated

import typer

from graph_model.timewindow import TimeWindow, parse_moment
from pathrank.cli.common import (
    BusyError,
    CliError,
    app,
    err,
    out,
    progress,
    require_neo4j,
    wiring,
)


@app.command("analyze")
def analyze(
    wait: Annotated[
        bool,
        typer.Option("--wait", help="If another analysis is running, wait for it, then run"),
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(min=0, help="With --wait: give up after this many seconds and exit 3"),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            metavar="ISO", help="Only paths that started at or after this date or time (UTC)"
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(metavar="ISO", help="Only paths that started before this date or time"),
    ] = None,
    allow_empty: Annotated[
        bool,
        typer.Option(
            "--allow-empty",
            help="Without any completed path in the window, make an empty run current all "
            "the same (by default nothing is analysed and the current results stay)",
        ),
    ] = False,
) -> None:
    """Every analysis figure (docs/analytics.md) with GDS and scipy, written into Neo4j.

    One analysis runs at a time: while another holds the lock this exits 3 naming it, or
    with --wait waits for it. --since/--until analyse the paths that started in that
    window (default: all). Without any completed path there this exits 1 and changes
    nothing, unless --allow-empty."""
    from algorithms.analyze import STEPS
    from graph_model.run.record import AnalysisLockedError, NothingToAnalyzeError

    if timeout is not None and not wait:
        raise typer.BadParameter("--timeout needs --wait", param_hint="'--timeout'")
    window = _window(since, until)
    w = wiring()
    with w.driver() as driver:
        require_neo4j(driver, w.s)
        with progress() as bar:
            task = bar.add_task("analyzing", total=len(STEPS))

            def on_step(name: str) -> None:
                bar.update(task, completed=STEPS.index(name), description=name)

            analysis = w.analysis(
                driver,
                on_step=on_step,
                wait_s=(math.inf if timeout is None else timeout) if wait else None,
                on_wait=err.print,
                window=window,
            )
            try:
                run = analysis.run(allow_empty=allow_empty)
            except AnalysisLockedError as exc:
                hint = "" if wait else "; wait for it with --wait"
                raise BusyError(f"{exc}{hint}") from exc
            except NothingToAnalyzeError as exc:
                raise CliError(
                    f"{exc}: nothing analysed, the current results stay current "
                    "(--allow-empty makes an empty run current)"
                ) from exc
            bar.update(task, completed=len(STEPS), description="analysed")
    for step, seconds in run.steps.items():
        out.print(f"  {step:32} {seconds:7.2f}s")
    over = f" started in {window.describe()}" if window.bounded else ""
    out.print(
        f"analysis run {run.id}: {run.clicks} clicks, {run.paths} paths{over}, {run.pages} "
        f"pages in {run.total_s:.1f}s: {run.hotspots} turnaround hotspots, {run.high_exit_pages} "
        f"high-exit pages, {run.escalation_hotspots} escalation hotspots, {run.weak_pages} weak "
        f"pages, {run.communities} communities, {run.link_suggestions} link suggestions, "
        f"{run.misleading_links} misleading links, {run.changes} changes"
    )


def _window(since: str | None, until: str | None) -> TimeWindow:
    """The --since/--until window, or one clear error."""
    bounds = []
    for name, text in (("--since", since), ("--until", until)):
        try:
            bounds.append(None if text is None else parse_moment(text))
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint=f"'{name}'") from None
    try:
        return TimeWindow(bounds[0], bounds[1])
    except ValueError:
        raise typer.BadParameter(
            f"--until ({until}) must be after --since ({since})", param_hint="'--until'"
        ) from None
