"""What the API reads about paths: the interface and its Neo4j implementation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from graph_model.keyset import Window, decode_cursor
from graph_model.path import cypher as q
from graph_model.path.record import (
    EVERY_PATH,
    Outcome,
    Path,
    PathFilter,
    PathStats,
    path_stats_from_sums,
)
from graph_model.properties import from_properties
from graph_model.reader import Neo4jReads, unique
from graph_model.timewindow import ALL_TIME, TimeWindow

# Cursor scopes of the two path orderings.
CHRONOLOGICAL = "path:chronological"
RECENT = "path:recent"


class PathReads(Protocol):
    async def by_ids(self, ids: Sequence[str]) -> dict[str, Path]: ...

    async def of_customers(
        self, ids: Sequence[str], first: int, after: str | None, outcome: Outcome | None
    ) -> dict[str, Window[Path]]:
        """Each customer's paths in time order."""

    async def count_of_customers(
        self, ids: Sequence[str], outcome: Outcome | None
    ) -> dict[str, int]: ...

    async def through(
        self, ids: Sequence[str], first: int, after: str | None, outcome: Outcome | None
    ) -> dict[str, Window[Path]]:
        """Customer paths that visit each page, most recent first."""

    async def count_through(self, ids: Sequence[str], outcome: Outcome | None) -> dict[str, int]:
        """Paths visiting each page."""

    async def window(
        self, first: int, after: str | None, filters: PathFilter = EVERY_PATH
    ) -> Window[Path]:
        """Paths that pass `filters`, oldest first (keyset by start and id)."""

    async def count(self, filters: PathFilter = EVERY_PATH) -> int: ...

    async def stats(self, window: TimeWindow = ALL_TIME, segment: str | None = None) -> PathStats:
        """Path statistics, live from every path (that started in `window`, in `segment`:
        "key=value"); orphan markers likewise by their time and attributes."""


class Neo4jPathReads(Neo4jReads):
    async def by_ids(self, ids: Sequence[str]) -> dict[str, Path]:
        rows = await self._r.rows("paths_by_ids", q.PATHS_BY_IDS, ids=unique(ids))
        return {r["id"]: from_properties(Path, r) for r in rows}

    async def of_customers(
        self, ids: Sequence[str], first: int, after: str | None, outcome: Outcome | None
    ) -> dict[str, Window[Path]]:
        return await self._windows(
            "customer_paths", q.CUSTOMER_PATHS, CHRONOLOGICAL, ids, first, after, outcome
        )

    async def count_of_customers(
        self, ids: Sequence[str], outcome: Outcome | None
    ) -> dict[str, int]:
        return await self._counts("customer_path_count", q.CUSTOMER_PATH_COUNT, ids, outcome)

    async def through(
        self, ids: Sequence[str], first: int, after: str | None, outcome: Outcome | None
    ) -> dict[str, Window[Path]]:
        return await self._windows(
            "paths_through", q.PATHS_THROUGH, RECENT, ids, first, after, outcome
        )

    async def count_through(self, ids: Sequence[str], outcome: Outcome | None) -> dict[str, int]:
        return await self._counts("paths_through_count", q.PATHS_THROUGH_COUNT, ids, outcome)

    async def window(
        self, first: int, after: str | None, filters: PathFilter = EVERY_PATH
    ) -> Window[Path]:
        low, start, path_id = filters.window.low, None, None
        if after is not None:
            start, path_id = decode_cursor(CHRONOLOGICAL, after, (int, str))
            low = max(low, int(start))
        rows = await self._r.rows(
            "paths_window",
            q.PATHS_WINDOW,
            low=low,
            start=start,
            pathId=path_id,
            limit=first + 1,
            **filters.parameters(),
        )
        return _window(CHRONOLOGICAL, rows, first)

    async def count(self, filters: PathFilter = EVERY_PATH) -> int:
        [record] = await self._r.run(
            "paths_count", q.PATHS_COUNT, low=filters.window.low, **filters.parameters()
        )
        return int(record["n"])

    async def stats(self, window: TimeWindow = ALL_TIME, segment: str | None = None) -> PathStats:
        if window.bounded or segment is not None:
            [record] = await self._r.run(
                "path_stats_filtered",
                q.PATH_STATS_FILTERED,
                since=window.low,
                until=window.high,
                segment=segment,
            )
        else:
            [record] = await self._r.run("path_stats", q.PATH_STATS)
        rows, orphans = record["rows"], int(record["orphans"])
        return path_stats_from_sums(
            {
                Outcome(r["outcome"]): (
                    int(r["paths"]),
                    int(r["lengthSum"]),
                    int(r["lengthSquares"]),
                    int(r["withTurnarounds"]),
                )
                for r in rows
                if r["outcome"] in Outcome.__members__
            },
            orphans,
        )

    async def _windows(
        self,
        name: str,
        query: str,
        scope: str,
        ids: Sequence[str],
        first: int,
        after: str | None,
        outcome: Outcome | None,
    ) -> dict[str, Window[Path]]:
        """Per id, one keyset page of paths (`query` orders them; `scope` names the cursor)."""
        start, path_id = (None, None)
        if after is not None:
            start, path_id = decode_cursor(scope, after, (int, str))
        rows = await self._r.rows(
            name,
            query,
            ids=unique(ids),
            limit=first + 1,
            outcome=None if outcome is None else outcome.value,
            start=start,
            pathId=path_id,
        )
        return {r["id"]: _window(scope, r["paths"], first) for r in rows}

    async def _counts(
        self, name: str, query: str, ids: Sequence[str], outcome: Outcome | None
    ) -> dict[str, int]:
        rows = await self._r.rows(
            name, query, ids=unique(ids), outcome=None if outcome is None else outcome.value
        )
        return {r["id"]: int(r["n"]) for r in rows}


def _window(scope: str, rows: Sequence[Mapping[str, Any]], first: int) -> Window[Path]:
    paths = [from_properties(Path, p) for p in rows]
    return Window.of(scope, paths, [(p.start, p.id) for p in paths], first)
