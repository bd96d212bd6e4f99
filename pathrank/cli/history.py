"""`pathrank forget` (right to erasure) and `pathrank compact` (retention): what the graph
keeps of the customers' history."""

from __future__ import annotations

from typing import Annotated

import typer

from pathrank.cli.common import CliError, app, out, require_neo4j, wiring


@app.command("forget")
def forget(
    customer_ids: Annotated[
        list[str], typer.Argument(metavar="CUSTOMER_ID...", help="The customers to forget")
    ],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Erase customers: their clicks, paths, markers and visits go, every aggregate is as if
    they had never been ingested, and a tombstone (a one-way hash of the id) keeps ingest
    from bringing them back. Analysis figures change at the next analysis."""
    ids = list(dict.fromkeys(customer_ids))
    if any(not c.strip() for c in ids):
        raise CliError("a customer id is empty")
    what = f"{len(ids)} customer{'s' if len(ids) != 1 else ''}"
    if not yes and not typer.confirm(f"Forget {what} for good?", default=False):
        raise CliError("nothing forgotten (give --yes to forget without asking)")
    w = wiring()
    with w.driver() as driver:
        require_neo4j(driver, w.s)
        w.admin(driver).ensure_schema()
        done = w.forget_store(driver).forget(ids)
    for f in done:
        if f.existed:
            out.print(
                f"forgot {f.customer_id}: {f.paths} paths, {f.clicks} clicks, {f.markers} markers",
                markup=False,
            )
        else:
            out.print(f"{f.customer_id}: not in the graph; tombstoned all the same", markup=False)


# Click nodes one transaction of `pathrank compact` removes at most.
COMPACT_STEP = 50_000


@app.command("compact")
def compact() -> None:
    """Apply retention now: the Click nodes of paths that ended more than
    PATHRANK_CLICK_RETENTION_DAYS before the watermark, and that no accepted late event can
    change, go; the paths keep their pages and timestamps, and no figure changes. Ingest does
    the same a bounded amount per batch."""
    w = wiring()
    days = w.s.click_retention_days
    if days is None:
        raise CliError("PATHRANK_CLICK_RETENTION_DAYS is not set: there is no retention to apply")
    paths = clicks = 0
    with w.driver() as driver:
        require_neo4j(driver, w.s)
        w.admin(driver).ensure_schema()
        store = w.path_store(driver)
        while True:
            step = store.compact(COMPACT_STEP)
            paths += step.paths
            clicks += step.clicks
            if step.done:
                break
        kept = w.admin(driver).counts().clicks
    out.print(
        f"compacted {paths} paths ({clicks} clicks) that ended more than {days:g} days before "
        f"the watermark; {kept} clicks kept"
    )
