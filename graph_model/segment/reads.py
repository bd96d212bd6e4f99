"""What the API reads of segments: the interface and its Neo4j implementation."""

from __future__ import annotations

from itertools import groupby
from typing import Protocol

from graph_model.reader import Neo4jReads
from graph_model.segment import cypher as q
from graph_model.segment.record import SegmentKey, SegmentValue


class SegmentReads(Protocol):
    async def keys(self) -> tuple[SegmentKey, ...]:
        """Every segment key with its values and their paths, keys in order."""


class Neo4jSegmentReads(Neo4jReads):
    async def keys(self) -> tuple[SegmentKey, ...]:
        rows = await self._r.rows("segments", q.SEGMENTS)
        return tuple(
            SegmentKey(key, tuple(SegmentValue(r["value"], int(r["paths"])) for r in group))
            for key, group in groupby(rows, key=lambda r: r["key"])
        )
