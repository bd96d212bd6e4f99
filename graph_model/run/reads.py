"""What the API reads about analysis runs: the interface and its Neo4j implementation."""

from __future__ import annotations

from typing import Protocol

from graph_model.properties import from_properties
from graph_model.reader import Neo4jReads
from graph_model.run.cypher import ANALYSIS_RUN, ANALYSIS_RUNS, CURRENT_RUN
from graph_model.run.record import AnalysisRun


class RunReads(Protocol):
    async def current(self) -> AnalysisRun | None:
        """The run whose results the request reads (the latest COMPLETE one); None before
        the first."""

    async def recent(self, limit: int) -> tuple[AnalysisRun, ...]:
        """Every run, whatever its status, most recent first."""

    async def by_id(self, run_id: str) -> AnalysisRun | None: ...


class Neo4jRunReads(Neo4jReads):
    async def current(self) -> AnalysisRun | None:
        rows = await self._r.analysed_rows("current_analysis", CURRENT_RUN)
        return from_properties(AnalysisRun, rows[0]) if rows else None

    async def recent(self, limit: int) -> tuple[AnalysisRun, ...]:
        rows = await self._r.rows("analysis_runs", ANALYSIS_RUNS, limit=limit)
        return tuple(from_properties(AnalysisRun, r) for r in rows)

    async def by_id(self, run_id: str) -> AnalysisRun | None:
        rows = await self._r.rows("analysis_run", ANALYSIS_RUN, id=run_id)
        return from_properties(AnalysisRun, rows[0]) if rows else None
