"""A page's figures against the site's: its turnaround, exit and escalation tests, and what
makes it weak."""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry

from graph_model.page.record import PageRecord, WeakReason
from graphql_api.context import Info
from graphql_api.fields import field
from graphql_api.types import enums as _enums  # noqa: F401 -- registers the enums
from graphql_api.types.common import capped, figure
from graphql_api.types.lazy import PageType

if TYPE_CHECKING:
    from graphql_api.types.page import Page


def page_of(record: PageRecord) -> Page:
    from graphql_api.types.page import Page

    return Page(record=record)


async def misleading_from(info: Info, record: PageRecord, where: str) -> list[Page]:
    """The pages whose link into `record`'s page misleads (weak reason MISLEADING_LINK)."""
    from graphql_api.types.page import load_pages

    return await load_pages(info, capped(where, record.figures.misleading_links_from))


@strawberry.type(description="A page's turnarounds against the site rate.")
class Hotspot:
    record: strawberry.Private[PageRecord]

    @strawberry.field
    def page(self) -> PageType:
        return page_of(self.record)

    turnarounds: int = figure("turnarounds")
    opportunities: int = figure("turnaround_opportunities")
    rate: float | None = figure("turnaround_rate", "turnarounds / opportunities.")
    p_value: float | None = figure(
        "hotspot_p_value",
        "One-sided binomial test against the site rate (null: too few opportunities, not tested).",
    )
    q_value: float | None = figure("hotspot_q_value", "Benjamini-Hochberg adjusted p-value.")
    is_hotspot: bool = figure("is_hotspot")

    @field(description="All turnarounds / all opportunities, over every page.")
    async def site_rate(self, info: Info) -> float | None:
        return (await info.context.site_rates()).turnaround_rate


@strawberry.type(description="A page's exits against the site exit rate.")
class ExitStats:
    record: strawberry.Private[PageRecord]

    exits: int = figure("exits")
    visits: int = figure("visits")
    rate: float | None = figure("exit_rate", "exits / visits.")
    p_value: float | None = figure("exit_p_value")
    q_value: float | None = figure("exit_q_value")
    is_high_exit: bool = figure("is_high_exit")

    @field(description="All exits / all visits, over every page.")
    async def site_rate(self, info: Info) -> float | None:
        return (await info.context.site_rates()).exit_rate


@strawberry.type(
    description="A page's escalations (paths ended by a ticket, chat or call after it) "
    "against the site escalation rate."
)
class EscalationStats:
    record: strawberry.Private[PageRecord]

    @strawberry.field
    def page(self) -> PageType:
        return page_of(self.record)

    escalations: int = figure("escalations")
    visits: int = figure("visits")
    rate: float | None = figure("escalation_rate", "escalations / visits.")
    p_value: float | None = figure(
        "escalation_p_value",
        "One-sided binomial test against the site rate (null: too few visits, not tested).",
    )
    q_value: float | None = figure("escalation_q_value", "Benjamini-Hochberg adjusted p-value.")
    is_escalation_hotspot: bool = figure("is_escalation_hotspot")

    @field(description="All escalations / all visits, over every page.")
    async def site_rate(self, info: Info) -> float | None:
        return (await info.context.site_rates()).escalation_rate


@strawberry.type(description="A page where improving content would help the most customers.")
class WeakPage:
    record: strawberry.Private[PageRecord]

    @strawberry.field
    def page(self) -> PageType:
        return page_of(self.record)

    impact: float = figure("impact", "visits x shortfall of success probability below the site's.")
    reasons: list[WeakReason] = figure("weak_reasons")

    @field(description="With MISLEADING_LINK: the pages whose link into this one misleads.")
    async def misleading_from(self, info: Info) -> list[PageType]:
        return await misleading_from(info, self.record, "WeakPage.misleadingFrom")
