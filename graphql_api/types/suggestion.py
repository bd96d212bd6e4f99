"""Link suggestions."""

from __future__ import annotations

from typing import Annotated

import strawberry

from graph_model.suggestion.record import LinkSuggestion as LinkSuggestionRecord
from graphql_api.fields import field
from graphql_api.limits import page_size
from graphql_api.types.common import LIST_LIMIT, Info, recorded, size_argument
from graphql_api.types.page import Page, load_page


@strawberry.type(description="A link A -> R that would shorten resolved paths.")
class LinkSuggestion:
    record: strawberry.Private[LinkSuggestionRecord]

    @field(name="from")
    async def from_(self, info: Info) -> Page:
        return await load_page(info, self.record.from_page_id)

    @strawberry.field
    async def to(self, info: Info) -> Page:
        return await load_page(info, self.record.to_page_id)

    clicks_saved: int = recorded(
        "clicks_saved", "Clicks saved over all resolved paths had the link existed."
    )
    paths: int = recorded("paths", "Resolved paths that would have been shorter.")
    mean_clicks_saved: float = recorded("mean_clicks_saved")
    rank: int = recorded("rank", "1 = the most clicks saved.")


@strawberry.type
class SuggestionQuery:
    @field(description="Links worth adding, most clicks saved first.")
    async def link_suggestions(
        self,
        info: Info,
        limit: Annotated[int | None, size_argument("At most this many")] = LIST_LIMIT,
    ) -> list[LinkSuggestion]:
        records = await info.context.graph.suggestions.top(page_size("limit", limit, LIST_LIMIT))
        return [LinkSuggestion(record=r) for r in records]
