"""What the API reads of live assist: the paths at risk now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from graph_model.assist.cypher import AT_RISK_PATHS
from graph_model.assist.record import RiskState
from graph_model.path.record import Path
from graph_model.properties import from_properties
from graph_model.reader import Neo4jReads


@dataclass(frozen=True, slots=True)
class AtRiskPath:
    """An open path at risk, with its stored state."""

    path: Path
    state: RiskState


class AssistReads(Protocol):
    async def at_risk(self, limit: int) -> tuple[AtRiskPath, ...]:
        """Open paths at risk now, the latest to become so first."""


class Neo4jAssistReads(Neo4jReads):
    async def at_risk(self, limit: int) -> tuple[AtRiskPath, ...]:
        rows = await self._r.rows("at_risk_paths", AT_RISK_PATHS, limit=limit)
        return tuple(
            AtRiskPath(from_properties(Path, r["path"]), from_properties(RiskState, r["state"]))
            for r in rows
        )
