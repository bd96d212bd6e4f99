"""What the API reads of funnels: the interface and its Neo4j implementation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from graph_model.funnel import cypher as q
from graph_model.funnel.record import (
    DEFAULT_SEARCH_PAGE,
    Funnel,
    FunnelStepSpec,
    checked_steps,
    funnel_from_rows,
)
from graph_model.path.record import COMPLETED
from graph_model.reader import Neo4jReads, Reader
from graph_model.timewindow import ALL_TIME, TimeWindow

_COMPLETED = sorted(o.value for o in COMPLETED)


class FunnelReads(Protocol):
    async def funnel(
        self,
        steps: Sequence[FunnelStepSpec],
        within_minutes: int | None = None,
        window: TimeWindow = ALL_TIME,
        segment: str | None = None,
    ) -> Funnel:
        """The funnel over the completed paths that started in `window`, in `segment`
        ("key=value"); FunnelError or PatternError for a funnel the definition refuses."""


class Neo4jFunnelReads(Neo4jReads):
    def __init__(self, reader: Reader, search_page: str = DEFAULT_SEARCH_PAGE) -> None:
        super().__init__(reader)
        self._search_page = search_page

    async def funnel(
        self,
        steps: Sequence[FunnelStepSpec],
        within_minutes: int | None = None,
        window: TimeWindow = ALL_TIME,
        segment: str | None = None,
    ) -> Funnel:
        checked_steps(steps, within_minutes)
        parameters = [s.parameter(self._search_page) for s in steps]
        rows = await self._r.rows(
            "funnel",
            q.FUNNEL,
            steps=parameters,
            patterns=any(p["pattern"] is not None for p in parameters),
            windowMs=None if within_minutes is None else within_minutes * 60_000,
            since=window.low,
            until=window.high,
            segment=segment,
            completed=_COMPLETED,
        )
        return funnel_from_rows(steps, within_minutes, rows)
