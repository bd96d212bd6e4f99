"""What the API reads of changes: the interface and its Neo4j implementation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from graph_model.change import cypher as q
from graph_model.change.record import FDR, ChangeKind, ChangeRecord
from graph_model.properties import from_properties
from graph_model.reader import Neo4jReads, unique
from graph_model.timewindow import EARLIEST_MS


class ChangeReads(Protocol):
    async def top(
        self,
        kind: ChangeKind,
        since: int | None,
        limit: int,
        significant: bool,
        segment: str | None = None,
    ) -> tuple[ChangeRecord, ...]:
        """The run's changes of `kind` in rank order (tested periods from `since` on), among
        everyone's paths or, with `segment`, among that segment's."""

    async def of_pages(
        self, ids: Sequence[str], limit: int, significant: bool
    ) -> dict[str, tuple[ChangeRecord, ...]]: ...


class Neo4jChangeReads(Neo4jReads):
    async def top(
        self,
        kind: ChangeKind,
        since: int | None,
        limit: int,
        significant: bool,
        segment: str | None = None,
    ) -> tuple[ChangeRecord, ...]:
        start = EARLIEST_MS if since is None else since
        if segment is None:
            rows = await self._r.analysed_rows(
                "changes",
                q.CHANGES,
                kind=kind.value,
                since=start,
                limit=limit,
                significant=significant,
                fdr=FDR,
            )
        elif kind is ChangeKind.PERIOD and significant:
            rows = await self._r.analysed_rows(
                "segment_changes",
                q.SEGMENT_CHANGES,
                segment=segment,
                since=start,
                limit=limit,
                fdr=FDR,
            )
        else:  # a segment's changes are significant period changes only
            rows = []
        return tuple(from_properties(ChangeRecord, r) for r in rows)

    async def of_pages(
        self, ids: Sequence[str], limit: int, significant: bool
    ) -> dict[str, tuple[ChangeRecord, ...]]:
        rows = await self._r.analysed_rows(
            "page_changes",
            q.PAGE_CHANGES,
            ids=unique(ids),
            limit=limit,
            significant=significant,
            fdr=FDR,
        )
        return {r["id"]: tuple(from_properties(ChangeRecord, c) for c in r["rows"]) for r in rows}
