"""Live assist: the paths at risk now, and the `atRisk` subscription (docs/assist.md)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from graph_model.assist.reads import AtRiskPath as AtRiskPathRecord
from graph_model.assist.record import Announcement, RiskReason
from graph_model.path.record import Outcome
from graphql_api.context import Info
from graphql_api.errors import ErrorCode, user_error
from graphql_api.fields import field, subscription
from graphql_api.loaders import Loaders
from graphql_api.types.common import LIST_LIMIT, Limit, limited, utc
from graphql_api.types.page import Page, load_page


@strawberry.type(
    description="A change of an open path's at-risk state (subscription `atRisk`), or a path "
    "at risk now (`atRiskPaths`)."
)
class AtRiskPath:
    record: strawberry.Private[Announcement]
    id: strawberry.ID = strawberry.field(
        description="`<path id>#<n>`: the path's n-th change, the same on every replay."
    )
    customer_id: strawberry.ID
    path_id: strawberry.ID
    at_risk: bool = strawberry.field(description="False: the path is no longer at risk.")
    page_id: strawberry.ID = strawberry.field(
        description="Where the customer is: the page of the click judged (the last page when "
        "the path ended)."
    )
    chance: float | None = strawberry.field(
        description="The chance to resolve from there (null: the page was not analysed, or "
        "the path ended)."
    )
    reasons: list[RiskReason]
    clicks: int = strawberry.field(description="The path's clicks at that moment.")
    outcome: Outcome | None = strawberry.field(
        description="Set when the change is the path's end (it resolved or was abandoned)."
    )
    time: datetime = strawberry.field(
        description="Event time: the click's, or when the path ended."
    )

    @staticmethod
    def of(a: Announcement) -> AtRiskPath:
        return AtRiskPath(
            record=a,
            id=strawberry.ID(a.id),
            customer_id=strawberry.ID(a.customer),
            path_id=strawberry.ID(a.path),
            at_risk=a.at_risk,
            page_id=strawberry.ID(a.page),
            chance=a.chance,
            reasons=list(a.reasons),
            clicks=a.clicks,
            outcome=a.outcome,
            time=utc(a.time),
        )

    @staticmethod
    def now(r: AtRiskPathRecord) -> AtRiskPath:
        """A path at risk now, as the announcement of its latest change."""
        p, s = r.path, r.state
        return AtRiskPath.of(
            Announcement(
                id=f"{p.id}#{s.risk_changes}",
                customer=p.customer_id,
                path=p.id,
                at_risk=True,
                page=s.risk_page or p.last_page,
                clicks=p.length,
                time=s.risk_since if s.risk_since is not None else p.end,
                chance=s.risk_chance,
                reasons=s.risk_reasons,
            )
        )

    @field(description="The page the customer is on.")
    async def page(self, info: Info) -> Page:
        return await load_page(info, self.record.page)

    @field(description="The page before it (null at a path's first click).")
    async def previous_page(self, info: Info) -> Page | None:
        previous = self.record.previous_page
        return None if previous is None else await load_page(info, previous)


@strawberry.type
class AssistQuery:
    @field(description="Open paths at risk now, the latest to become so first.")
    async def at_risk_paths(self, info: Info, limit: Limit = LIST_LIMIT) -> list[AtRiskPath]:
        records = await info.context.graph.assist.at_risk(limited(limit, LIST_LIMIT))
        return [AtRiskPath.now(r) for r in records]


@strawberry.type
class Subscription:
    @subscription(
        description="Each change of an open path's at-risk state as it happens (from the "
        "`assist` topic), of one customer or of all: a help widget offers help on "
        "`atRisk: true`."
    )
    async def at_risk(
        self, info: Info, customer_id: strawberry.ID | None = None
    ) -> AsyncGenerator[AtRiskPath, None]:
        feed = info.context.assist_feed
        if feed is None:
            raise user_error("live assist is off on this server", ErrorCode.NOT_AVAILABLE)
        async for announcement in feed.subscribe(None if customer_id is None else str(customer_id)):
            # A subscription lives long: each event reads the graph afresh.
            info.context.loaders = Loaders(info.context.graph)
            yield AtRiskPath.of(announcement)
