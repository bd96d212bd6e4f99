"""What the API reads about time to resolution: the interface and its Neo4j implementation."""

from __future__ import annotations

from typing import Protocol

from graph_model.properties import from_properties
from graph_model.reader import Neo4jReads
from graph_model.resolution import cypher as q
from graph_model.resolution.record import Axis, ResolutionCurve


class ResolutionReads(Protocol):
    async def curves(self, entry_page_id: str | None) -> dict[Axis, ResolutionCurve]:
        """The run's curves of the site (None) or of paths that started on the page; empty
        when there are none (an unknown page, or no analysis yet)."""


class Neo4jResolutionReads(Neo4jReads):
    async def curves(self, entry_page_id: str | None) -> dict[Axis, ResolutionCurve]:
        if entry_page_id is None:
            rows = await self._r.analysed_rows("site_resolution_curves", q.SITE_CURVES)
        else:
            rows = await self._r.analysed_rows(
                "entry_resolution_curves", q.ENTRY_CURVES, entry=entry_page_id
            )
        found = (from_properties(ResolutionCurve, r) for r in rows)
        return {c.axis: c for c in found}
