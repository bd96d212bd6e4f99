"""`pathrank forget` (right to erasure): what the graph keeps of the customers' history."""

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
