"""`pathrank analyze`: every analysis figure, written back into Neo4j."""

from __future__ import annotations

from pathrank.cli.common import app, err, out, require_neo4j, wiring


@app.command("analyze")
def analyze() -> None:
    """Every analysis figure (docs/analytics.md) with GDS and scipy, written into Neo4j."""
    w = wiring()
    with w.driver() as driver:
        require_neo4j(driver, w.s)
        with err.status("analyzing") as spinner:
            run = w.analysis(driver, on_step=spinner.update).run()
    for step, seconds in run.steps.items():
        out.print(f"  {step:32} {seconds:7.2f}s")
    out.print(
        f"analyzed {run.clicks} clicks, {run.paths} paths, {run.pages} pages in "
        f"{run.total_s:.1f}s: {run.hotspots} turnaround hotspots, {run.high_exit_pages} "
        f"high-exit pages, {run.weak_pages} weak pages, {run.communities} communities, "
        f"{run.link_suggestions} link suggestions"
    )
