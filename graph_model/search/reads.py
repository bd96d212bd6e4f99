"""What the API reads about searches: the interface and its Neo4j implementation.

The analysis' figures come from the run the request reads; figures over another window or
a segment are computed on demand (algorithms.search) from the paths these reads return.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from graph_model.keyset import Window, decode_cursor
from graph_model.path.record import Path
from graph_model.properties import from_properties
from graph_model.reader import Neo4jReads, Reader, unique
from graph_model.search import cypher as q
from graph_model.search.record import QueryFigures, SearchOrder, SiteSearch
from graph_model.search.text import QueryText
from graph_model.timewindow import TimeWindow


def scope_of(order: SearchOrder) -> str:
    """The cursor scope of a search ordering (the on-demand lists use it too)."""
    return f"query:{order.value}"


class SearchReads(Protocol):
    def stored(self, raw: str) -> str:
        """A query's text as the graph stores it (normalised and redacted)."""

    async def window(
        self, order: SearchOrder, first: int, after: str | None
    ) -> Window[QueryFigures]:
        """One keyset page of the run's queries, largest first."""

    async def count(self) -> int: ...

    async def by_text(self, texts: Sequence[str]) -> dict[str, QueryFigures]: ...

    async def content_gaps(self, limit: int) -> tuple[QueryFigures, ...]: ...

    async def site(self) -> SiteSearch | None:
        """None before an analysis with search figures."""

    async def search_paths(self, window: TimeWindow, segment: str | None) -> list[Path]:
        """The completed paths with a search, that started in `window`, in `segment`."""

    async def without_search(self, window: TimeWindow, segment: str | None) -> tuple[int, int]:
        """(completed paths without a search, of which resolved), likewise."""

    async def paths_of(self, text: str, window: TimeWindow, segment: str | None) -> list[Path]:
        """The completed paths that searched `text`, likewise."""

    async def searches_by_start(
        self, window: TimeWindow, segment: str | None
    ) -> list[tuple[int, int]]:
        """(start, searches) of every completed path with a search, likewise."""


class Neo4jSearchReads(Neo4jReads):
    def __init__(self, reader: Reader, text: QueryText | None = None) -> None:
        super().__init__(reader)
        self._text = text or QueryText()

    def stored(self, raw: str) -> str:
        return self._text.stored(raw)

    async def window(
        self, order: SearchOrder, first: int, after: str | None
    ) -> Window[QueryFigures]:
        scope = scope_of(order)
        key, text = (None, None)
        if after is not None:
            key, text = decode_cursor(scope, after, (float, str))
        rows = await self._r.analysed_rows(
            f"search_queries_by_{order.value.lower()}",
            q.QUERIES_BY[order],
            key=key,
            afterText=text,
            limit=first + 1,
        )
        return Window.of_rows(scope, rows, first, _figures)

    async def count(self) -> int:
        return int(await self._r.analysed("search_query_count", q.QUERY_COUNT) or 0)

    async def by_text(self, texts: Sequence[str]) -> dict[str, QueryFigures]:
        rows = await self._r.analysed_rows(
            "search_queries_by_text", q.QUERIES_BY_TEXT, texts=unique(texts)
        )
        return {f.text: f for f in map(_figures, rows)}

    async def content_gaps(self, limit: int) -> tuple[QueryFigures, ...]:
        rows = await self._r.analysed_rows("content_gaps", q.CONTENT_GAPS, limit=limit)
        return tuple(map(_figures, rows))

    async def site(self) -> SiteSearch | None:
        rows = await self._r.analysed_rows("site_search", q.SITE_SEARCH_OF_RUN)
        return from_properties(SiteSearch, rows[0]) if rows else None

    async def search_paths(self, window: TimeWindow, segment: str | None) -> list[Path]:
        rows = await self._r.rows("search_paths", q.SEARCH_PATHS, **_filters(window, segment))
        return [from_properties(Path, r) for r in rows]

    async def without_search(self, window: TimeWindow, segment: str | None) -> tuple[int, int]:
        records = await self._r.run(
            "paths_without_search", q.PATHS_WITHOUT_SEARCH, **_filters(window, segment)
        )
        return int(records[0]["paths"]), int(records[0]["resolved"])

    async def paths_of(self, text: str, window: TimeWindow, segment: str | None) -> list[Path]:
        rows = await self._r.rows(
            "paths_of_query", q.PATHS_OF_QUERY, queryText=text, **_filters(window, segment)
        )
        return [from_properties(Path, r) for r in rows]

    async def searches_by_start(
        self, window: TimeWindow, segment: str | None
    ) -> list[tuple[int, int]]:
        records = await self._r.run(
            "searches_by_start", q.SEARCHES_BY_START, **_filters(window, segment)
        )
        return [(int(r[0]), int(r[1])) for r in records[0]["rows"]] if records else []


def _figures(row: Mapping[str, Any]) -> QueryFigures:
    return from_properties(QueryFigures, row)


def _filters(window: TimeWindow, segment: str | None) -> dict[str, Any]:
    return {"since": window.low, "until": window.high, "segment": segment}
