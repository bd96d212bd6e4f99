"""What the API reads of time on page: the interface and its Neo4j implementation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from graph_model.dwell import cypher as q
from graph_model.dwell.record import Dwell
from graph_model.path.record import COMPLETED
from graph_model.reader import Neo4jReads, unique
from graph_model.timewindow import ALL_TIME, TimeWindow

_COMPLETED = sorted(o.value for o in COMPLETED)


class DwellReads(Protocol):
    async def time_on_page(
        self, ids: Sequence[str], window: TimeWindow = ALL_TIME, segment: str | None = None
    ) -> dict[str, Dwell]:
        """Each page's time on page over the completed paths that started in `window`, in
        `segment`; a page without observations is absent."""


class Neo4jDwellReads(Neo4jReads):
    async def time_on_page(
        self, ids: Sequence[str], window: TimeWindow = ALL_TIME, segment: str | None = None
    ) -> dict[str, Dwell]:
        rows = await self._r.rows(
            "time_on_page",
            q.TIME_ON_PAGE,
            ids=unique(ids),
            since=window.low,
            until=window.high,
            segment=segment,
            completed=_COMPLETED,
        )
        return {
            r["id"]: Dwell(int(r["observations"]), r["median"], r["p25"], r["p75"]) for r in rows
        }
