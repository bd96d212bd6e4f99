"""What the API reads about link suggestions: the interface and its Neo4j implementation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from graph_model.reader import Neo4jReads, unique
from graph_model.suggestion import cypher as q
from graph_model.suggestion.record import LinkSuggestion


class SuggestionReads(Protocol):
    async def top(self, limit: int) -> tuple[LinkSuggestion, ...]:
        """The site's best suggestions, by rank."""

    async def from_pages(
        self, ids: Sequence[str], limit: int
    ) -> dict[str, tuple[LinkSuggestion, ...]]:
        """Suggestions starting at each page, most clicks saved first."""


def suggestion_of(s: Mapping[str, Any]) -> LinkSuggestion:
    return LinkSuggestion(
        from_page_id=s["from"],
        to_page_id=s["to"],
        paths=int(s["paths"]),
        clicks_saved=int(s["clicksSaved"]),
        mean_clicks_saved=float(s["meanClicksSaved"]),
        rank=int(s["rank"]),
    )


class Neo4jSuggestionReads(Neo4jReads):
    async def top(self, limit: int) -> tuple[LinkSuggestion, ...]:
        rows = await self._r.analysed_rows("link_suggestions", q.LINK_SUGGESTIONS, limit=limit)
        return tuple(suggestion_of(r) for r in rows)

    async def from_pages(
        self, ids: Sequence[str], limit: int
    ) -> dict[str, tuple[LinkSuggestion, ...]]:
        rows = await self._r.analysed_rows(
            "link_suggestions_from", q.LINK_SUGGESTIONS_FROM, ids=unique(ids), limit=limit
        )
        return {r["id"]: tuple(suggestion_of(s) for s in r["rows"]) for r in rows}
