"""Similar-customer communities."""

from __future__ import annotations

from functools import partial

import strawberry

from graph_model.community.record import CommunityOrder, CommunityRecord
from graphql_api.context import Info
from graphql_api.fields import field
from graphql_api.types.common import (
    CHILD_FIRST,
    DEFAULT_FIRST,
    After,
    First,
    capped,
    firsts,
    record_id,
    recorded,
)
from graphql_api.types.connection import Connection
from graphql_api.types.customer import Customer
from graphql_api.types.page import Page, load_pages


@strawberry.type(description="Customers who behave alike (KNN on visited pages, then Leiden).")
class Community:
    record: strawberry.Private[CommunityRecord]
    id: strawberry.ID = record_id()

    size: int = recorded("size", "Customers in the community.")
    completed_paths: int = recorded("completed_paths")
    resolution_rate: float | None = recorded("resolution_rate", "resolved / completed paths.")
    mean_path_length: float | None = recorded("mean_path_length", "Over completed paths.")
    turnaround_rate: float | None = recorded(
        "turnaround_rate", "Completed paths with a turnaround / completed paths."
    )

    @staticmethod
    def of(record: CommunityRecord) -> Community:
        return Community(record=record)

    @field(description="The community's most visited pages.")
    async def top_pages(self, info: Info) -> list[Page]:
        return await load_pages(info, capped("Community.topPages", self.record.top_pages))

    @field(description="Members by customer id.")
    async def members(
        self, info: Info, first: First = CHILD_FIRST, after: After = None
    ) -> Connection[Customer]:
        loaders, community_id = info.context.loaders, self.record.id
        window = await loaders.members.load((community_id, (firsts(first), after)))
        loaders.prime_customers(window.items)
        count = partial(loaders.member_count.load, community_id)
        return Connection.of(window, Customer.of, count, after)


def _community_id(value: str) -> int | None:
    text = value.strip()
    if not text.lstrip("-").isdigit() or len(text) > 19:
        return None
    return int(text)


@strawberry.type
class CommunityQuery:
    @field(description="Similar-customer communities, paginated.")
    async def communities(
        self,
        info: Info,
        first: First = DEFAULT_FIRST,
        after: After = None,
        order_by: CommunityOrder | None = CommunityOrder.ID,
    ) -> Connection[Community]:
        communities = info.context.graph.communities
        order = order_by or CommunityOrder.ID
        window = await communities.window(order, firsts(first, DEFAULT_FIRST), after)
        count = communities.count
        return Connection.of(window, Community.of, count, after)

    @field(description="A community by id; null if there is none.")
    async def community(self, info: Info, id: strawberry.ID) -> Community | None:
        community_id = _community_id(str(id))
        if community_id is None:
            return None
        record = await info.context.loaders.community.load(community_id)
        return Community.of(record) if record else None
