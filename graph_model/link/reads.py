"""What the API (and live assist) reads about links: the interface and its Neo4j
implementation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from graph_model.link import cypher as q
from graph_model.link.record import LinkSuccess, MisleadingLink
from graph_model.properties import from_properties
from graph_model.reader import Neo4jReads, unique

Pair = tuple[str, str]  # (from page id, to page id)


class LinkReads(Protocol):
    async def misleading(self, limit: int) -> tuple[MisleadingLink, ...]:
        """The run's misleading links, most significant first."""

    async def success_of(self, pairs: Sequence[Pair]) -> dict[Pair, LinkSuccess]:
        """The second-order success of each pair that has one in the run."""

    async def all_success(self) -> dict[Pair, LinkSuccess]:
        """Every pair's second-order success in the run, at once."""


class Neo4jLinkReads(Neo4jReads):
    async def misleading(self, limit: int) -> tuple[MisleadingLink, ...]:
        rows = await self._r.analysed_rows("misleading_links", q.MISLEADING_LINKS, limit=limit)
        return tuple(from_properties(MisleadingLink, r) for r in rows)

    async def success_of(self, pairs: Sequence[Pair]) -> dict[Pair, LinkSuccess]:
        asked = [list(p) for p in unique(list(pairs))]
        rows = await self._r.analysed_rows("link_success_of", q.LINK_SUCCESS_OF, pairs=asked)
        return _by_pair(rows)

    async def all_success(self) -> dict[Pair, LinkSuccess]:
        return _by_pair(await self._r.analysed_rows("all_link_success", q.ALL_LINK_SUCCESS))


def _by_pair(rows: Sequence[Mapping[str, Any]]) -> dict[Pair, LinkSuccess]:
    found = (from_properties(LinkSuccess, r) for r in rows)
    return {(s.from_page_id, s.to_page_id): s for s in found}
