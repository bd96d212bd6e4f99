"""Links between pages: a link's two ends, and the transitions customers made along them."""

from __future__ import annotations

from typing import Any

import strawberry

from graph_model.page.record import TransitionRecord
from graphql_api.context import Info
from graphql_api.fields import field
from graphql_api.types.common import recorded
from graphql_api.types.lazy import PageType


@strawberry.type
class PageLink:
    """A link between two pages: its record names them `from_page_id` and `to_page_id`."""

    record: strawberry.Private[Any]

    @field(name="from")
    async def from_(self, info: Info) -> PageType:
        from graphql_api.types.page import load_page

        return await load_page(info, self.record.from_page_id)

    @strawberry.field
    async def to(self, info: Info) -> PageType:
        from graphql_api.types.page import load_page

        return await load_page(info, self.record.to_page_id)


@strawberry.type(description="Consecutive clicks from one page to another, over all paths.")
class Transition(PageLink):
    record: strawberry.Private[TransitionRecord]

    count: int = recorded("count", "Clicks from `from` to `to`.")
    probability: float = recorded("probability", "count / all onward clicks from `from`.")
    turnarounds: int = recorded(
        "turnarounds", "Times the customer then came straight back to `from`."
    )

    @field(description="turnarounds / count.")
    def turnaround_rate(self) -> float:
        return self.record.turnarounds / self.record.count if self.record.count else 0.0

    @field(
        description="Second order: the chance a customer on `to` who came from `from` goes on "
        "to resolve (the absorbing chain on page pairs, latest analysis); null where the pair "
        "was seen fewer than 20 times in completed paths."
    )
    async def success_probability(self, info: Info) -> float | None:
        key = (self.record.from_page_id, self.record.to_page_id)
        found = await info.context.loaders.link_success.load(key)
        return found.success_probability if found else None
