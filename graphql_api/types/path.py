"""Paths and path statistics."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated

import strawberry
from strawberry.dataloader import DataLoader

from graph_model.customer.record import CustomerRecord
from graph_model.keyset import Window
from graph_model.path.record import Outcome, PathFilter
from graph_model.path.record import OutcomeStats as OutcomeStatsRecord
from graph_model.path.record import Path as PathRecord
from graph_model.path.record import PathStats as PathStatsRecord
from graphql_api.context import Info
from graphql_api.fields import field
from graphql_api.loaders import PathArgs
from graphql_api.types.common import (
    DEFAULT_FIRST,
    After,
    First,
    capped,
    firsts,
    recorded,
    size_argument,
    utc,
)
from graphql_api.types.connection import Connection
from graphql_api.types.lazy import CustomerType
from graphql_api.types.page import Page, load_pages
from graphql_api.types.series import From, Segment, Until, filters

# A path's pages by default: `length` says whether there are more (a bot's path can hold
# hundreds of thousands; the API reads at most the first 500 of them).
PATH_PAGES = 100
PathPages = Annotated[int | None, size_argument("Pages to return, from the first click")]


@strawberry.type(
    description="One customer journey: it ended in a resolution, an escalation (a ticket, "
    "chat or call), or abandonment, or is still open."
)
class Path:
    record: strawberry.Private[PathRecord]
    id: strawberry.ID
    start: datetime
    end: datetime
    length: int = strawberry.field(description="Clicks, repeats included.")
    outcome: Outcome
    turnarounds: int
    quick_turnarounds: int = strawberry.field(
        description="Turnarounds with less time on the page than the quick threshold."
    )
    segments: list[str] = strawberry.field(
        description="Its attributes as `key=value` (the earliest click's value for a key)."
    )

    @staticmethod
    def of(r: PathRecord) -> Path:
        return Path(
            record=r,
            id=strawberry.ID(r.id),
            start=utc(r.start),
            end=utc(r.end),
            length=r.length,
            outcome=r.outcome,
            turnarounds=r.turnarounds,
            quick_turnarounds=r.quick_turnarounds,
            segments=list(capped("Path.segments", r.segments)),
        )

    @field(description="Seconds from the first click to the last.")
    def duration_seconds(self) -> float:
        return (self.record.end - self.record.start) / 1000

    @field(description="The ids of its first pages in click order (repeats included).")
    def page_ids(self, first: PathPages = PATH_PAGES) -> list[strawberry.ID]:
        return [strawberry.ID(p) for p in self.record.pages[: firsts(first, PATH_PAGES)]]

    @field(description="Its first pages in click order (repeats included).")
    async def pages(self, info: Info, first: PathPages = PATH_PAGES) -> list[Page]:
        return await load_pages(info, self.record.pages[: firsts(first, PATH_PAGES)])

    @strawberry.field
    async def customer(self, info: Info) -> CustomerType:
        from graphql_api.types.customer import Customer

        customer_id = self.record.customer_id
        record = await info.context.loaders.customer.load(customer_id)
        return Customer(record=record or CustomerRecord(customer_id, None))


async def paths_connection(
    windows: DataLoader[tuple[str, PathArgs], Window[PathRecord]],
    counts: DataLoader[tuple[str, Outcome | None], int],
    key: str,
    first: int | None,
    after: str | None,
    outcome: Outcome | None,
) -> Connection[Path]:
    """A page of the paths of `key` (through a page, or of a customer), most recent first,
    with `outcome` only when given: `windows` reads them, `counts` counts them all."""
    window = await windows.load((key, (firsts(first), after, outcome)))
    return Connection.of(window, Path.of, partial(counts.load, (key, outcome)), after)


@strawberry.type(description="Path figures of one outcome.")
class OutcomeStats:
    record: strawberry.Private[OutcomeStatsRecord]
    outcome: Outcome = recorded("outcome")
    paths: int = recorded("paths")
    mean_length: float | None = recorded("mean_length")
    variance_length: float | None = recorded("variance_length", "Population variance.")
    with_turnarounds: int = recorded("with_turnarounds", "Paths with at least one turnaround.")


@strawberry.type(
    description="Path statistics, live from the paths: lengths and rates over completed "
    "(resolved + abandoned + escalated) paths."
)
class PathStats:
    record: strawberry.Private[PathStatsRecord]
    completed: int = recorded("completed")
    resolved: int = recorded("resolved")
    abandoned: int = recorded("abandoned")
    open: int = recorded("open")
    mean_length: float | None = recorded("mean_length")
    variance_length: float | None = recorded("variance_length", "Population variance.")
    turnaround_rate: float | None = recorded(
        "turnaround_rate", "Completed paths with a turnaround / completed paths."
    )
    self_service_rate: float | None = recorded("self_service_rate", "resolved / completed.")
    escalated: int = recorded(
        "escalated", "Paths an escalation event ended (a ticket, chat or call)."
    )
    escalation_rate: float | None = recorded("escalation_rate", "escalated / completed.")
    orphan_markers: int = recorded(
        "orphan_markers",
        "Resolution and escalation events that ended no path (no click of the customer in "
        "the timeout before them).",
    )

    @strawberry.field
    def by_outcome(self) -> list[OutcomeStats]:
        return [OutcomeStats(record=o) for o in self.record.by_outcome]


@strawberry.type
class PathQuery:
    @field(
        description="Every path that started in the window, oldest first (keyset cursors), "
        "optionally only those in a segment, ended so, or through a page."
    )
    async def paths(
        self,
        info: Info,
        first: First = DEFAULT_FIRST,
        after: After = None,
        from_: From = None,
        until: Until = None,
        segment: Segment = None,
        outcome: Annotated[
            Outcome | None, strawberry.argument(description="Only paths that ended so.")
        ] = None,
        page_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only paths through this page.")
        ] = None,
    ) -> Connection[Path]:
        window, chosen = filters(from_, until, segment)
        chosen_filter = PathFilter(
            window, chosen, outcome, None if page_id is None else str(page_id)
        )
        paths = info.context.graph.paths
        found = await paths.window(firsts(first, DEFAULT_FIRST), after, chosen_filter)
        return Connection.of(found, Path.of, partial(paths.count, chosen_filter), after)

    @field(
        description="Path statistics, live from the paths (those that started in the window, "
        "when one is given)."
    )
    async def path_stats(
        self, info: Info, from_: From = None, until: Until = None, segment: Segment = None
    ) -> PathStats:
        stats = await info.context.graph.paths.stats(*filters(from_, until, segment))
        return PathStats(record=stats)
