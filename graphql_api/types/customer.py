"""Customers, who is similar to them, and what they visited."""

from __future__ import annotations

import strawberry

from graph_model.customer.record import CustomerRecord
from graph_model.customer.record import PageVisit as PageVisitRecord
from graph_model.path.record import Outcome
from graphql_api.context import Info
from graphql_api.fields import field
from graphql_api.types.common import (
    CHILD_FIRST,
    DEFAULT_LIMIT,
    After,
    First,
    Limit,
    limited,
    record_id,
    recorded,
)
from graphql_api.types.connection import Connection
from graphql_api.types.lazy import CommunityType
from graphql_api.types.page import Page, load_page
from graphql_api.types.path import Path, paths_connection


@strawberry.type(description="A customer of the help center.")
class Customer:
    record: strawberry.Private[CustomerRecord]
    id: strawberry.ID = record_id()

    @staticmethod
    def of(record: CustomerRecord) -> Customer:
        return Customer(record=record)

    @field(description="Similar-customer community (null before analysis).")
    async def community(self, info: Info) -> CommunityType | None:
        from graphql_api.types.community import Community

        if self.record.community is None:
            return None
        found = await info.context.loaders.community.load(self.record.community)
        return Community(record=found) if found else None

    @field(description="The customer's paths in time order.")
    async def paths(
        self,
        info: Info,
        first: First = CHILD_FIRST,
        after: After = None,
        outcome: Outcome | None = None,
    ) -> Connection[Path]:
        loaders = info.context.loaders
        windows, counts = loaders.customer_paths, loaders.customer_path_count
        return await paths_connection(windows, counts, self.record.id, first, after, outcome)

    @field(description="Most similar customers (Jaccard on visited pages).")
    async def similar_customers(
        self, info: Info, limit: Limit = DEFAULT_LIMIT
    ) -> list[SimilarCustomer]:
        found = await info.context.loaders.similar.load((self.record.id, limited(limit)))
        return [SimilarCustomer(customer=Customer.of(s.customer), score=s.score) for s in found]

    @field(description="Pages the customer clicked, most clicked first.")
    async def visited_pages(self, info: Info, limit: Limit = DEFAULT_LIMIT) -> list[PageVisit]:
        found = await info.context.loaders.visited.load((self.record.id, limited(limit)))
        return [PageVisit(record=v) for v in found]


@strawberry.type
class SimilarCustomer:
    customer: Customer
    score: float = strawberry.field(description="Jaccard similarity of visited pages.")


@strawberry.type
class PageVisit:
    record: strawberry.Private[PageVisitRecord]
    count: int = recorded("count", "Clicks of the customer on the page.")

    @strawberry.field
    async def page(self, info: Info) -> Page:
        return await load_page(info, self.record.page_id)


@strawberry.type
class CustomerQuery:
    @field(description="A customer by id; null if there is none.")
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        record = await info.context.loaders.customer.load(str(id))
        return Customer.of(record) if record else None
