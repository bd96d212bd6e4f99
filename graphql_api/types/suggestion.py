"""Link suggestions."""

from __future__ import annotations

import strawberry

from graph_model.suggestion.record import LinkSuggestion as LinkSuggestionRecord
from graphql_api.context import Info
from graphql_api.fields import field
from graphql_api.types.common import LIST_LIMIT, Limit, limited, recorded
from graphql_api.types.transition import PageLink


@strawberry.type(description="A link A -> R that would shorten resolved paths.")
class LinkSuggestion(PageLink):
    record: strawberry.Private[LinkSuggestionRecord]

    clicks_saved: int = recorded(
        "clicks_saved", "Clicks saved over all resolved paths had the link existed."
    )
    paths: int = recorded("paths", "Resolved paths that would have been shorter.")
    mean_clicks_saved: float = recorded("mean_clicks_saved")
    rank: int = recorded("rank", "1 = the most clicks saved.")


@strawberry.type
class SuggestionQuery:
    @field(description="Links worth adding, most clicks saved first.")
    async def link_suggestions(self, info: Info, limit: Limit = LIST_LIMIT) -> list[LinkSuggestion]:
        records = await info.context.graph.suggestions.top(limited(limit, LIST_LIMIT))
        return [LinkSuggestion(record=r) for r in records]
