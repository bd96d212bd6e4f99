"""What the API reads of the work queue, in the run the request pins: the interface and its
Neo4j implementation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from graph_model.reader import Neo4jReads, unique
from graph_model.work import cypher as q
from graph_model.work.record import Verdict, WorkItem, WorkStatus
from graph_model.work.store import verification_of, work_item


@dataclass(frozen=True, slots=True)
class WorkSummary:
    """Items per status (stale ones counted apart), verdicts of DONE items, and the tickets
    per week the items that WORKED avoid."""

    by_status: dict[WorkStatus, int]
    stale: int
    verdicts: dict[Verdict, int]
    tickets_avoided_per_week: float


class WorkReads(Protocol):
    async def queue(self, statuses: Sequence[WorkStatus], limit: int) -> tuple[WorkItem, ...]:
        """The run's items of `statuses`, ranked, then their stale ones."""

    async def items(self, ids: Sequence[str]) -> dict[str, WorkItem]: ...

    async def summary(self) -> WorkSummary: ...


class Neo4jWorkReads(Neo4jReads):
    async def queue(self, statuses: Sequence[WorkStatus], limit: int) -> tuple[WorkItem, ...]:
        rows = await self._r.analysed_rows(
            "work_queue", q.QUEUE, statuses=[s.value for s in statuses], limit=limit
        )
        return tuple(work_item(r) for r in rows)

    async def items(self, ids: Sequence[str]) -> dict[str, WorkItem]:
        rows = await self._r.analysed_rows("work_items", q.ITEMS, ids=unique(ids))
        found = (work_item(r) for r in rows)
        return {item.state.id: item for item in found}

    async def summary(self) -> WorkSummary:
        rows = await self._r.analysed_rows("work_summary", q.SUMMARY)
        by_status = dict.fromkeys(WorkStatus, 0)
        verdicts = dict.fromkeys(Verdict, 0)
        stale, avoided = 0, 0.0
        for r in rows:
            status = WorkStatus(r["status"])
            if r["stale"]:
                stale += 1
            else:
                by_status[status] += 1
            v = verification_of(r["verification"])
            if status is WorkStatus.DONE and v is not None:
                verdicts[v.verdict] += 1
                avoided += v.tickets_avoided_per_week
        return WorkSummary(by_status, stale, verdicts, avoided)
