"""What the API reads about communities: the interface and its Neo4j implementation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from graph_model.community import cypher as q
from graph_model.community.record import CommunityOrder, CommunityRecord
from graph_model.customer.reads import customer_of
from graph_model.customer.record import CustomerRecord
from graph_model.keyset import SortKey, Window, decode_cursor
from graph_model.properties import from_properties
from graph_model.reader import Neo4jReads, unique

MEMBERS = "customer:id"


class CommunityReads(Protocol):
    async def by_ids(self, ids: Sequence[int]) -> dict[int, CommunityRecord]: ...

    async def window(
        self, order: CommunityOrder, first: int, after: str | None
    ) -> Window[CommunityRecord]: ...

    async def count(self) -> int: ...

    async def members(
        self, ids: Sequence[int], first: int, after: str | None
    ) -> dict[int, Window[CustomerRecord]]:
        """Each community's customers by id."""

    async def member_counts(self, ids: Sequence[int]) -> dict[int, int]: ...


class Neo4jCommunityReads(Neo4jReads):
    async def by_ids(self, ids: Sequence[int]) -> dict[int, CommunityRecord]:
        rows = await self._r.analysed_rows(
            "communities_by_ids", q.COMMUNITIES_BY_IDS, ids=unique(ids)
        )
        return {int(r["id"]): from_properties(CommunityRecord, r) for r in rows}

    async def window(
        self, order: CommunityOrder, first: int, after: str | None
    ) -> Window[CommunityRecord]:
        scope = f"community:{order.value}"
        if order is CommunityOrder.ID:
            key = decode_cursor(scope, after, (int,)) if after is not None else (None,)
            rows = await self._r.analysed_rows(
                "communities_by_id", q.COMMUNITIES_BY_ID, limit=first + 1, id=key[0]
            )
        else:
            size_key: SortKey | tuple[None, None] = (
                decode_cursor(scope, after, (int, int)) if after is not None else (None, None)
            )
            rows = await self._r.analysed_rows(
                "communities_by_size",
                q.COMMUNITIES_BY_SIZE,
                limit=first + 1,
                k=size_key[0],
                id=size_key[1],
            )
        return Window.of_rows(
            scope, rows, first, lambda r: from_properties(CommunityRecord, r["community"])
        )

    async def count(self) -> int:
        return int(await self._r.analysed("community_count", q.COMMUNITY_COUNT) or 0)

    async def members(
        self, ids: Sequence[int], first: int, after: str | None
    ) -> dict[int, Window[CustomerRecord]]:
        params: dict[str, Any] = {"ids": unique(ids), "limit": first + 1}
        text = q.COMMUNITY_MEMBERS_FIRST
        if after is not None:
            params["after"] = decode_cursor(MEMBERS, after, (str,))[0]
            text = q.COMMUNITY_MEMBERS_AFTER
        rows = await self._r.analysed_rows("community_members", text, **params)
        out: dict[int, Window[CustomerRecord]] = {}
        for r in rows:
            members = [customer_of(m) for m in r["rows"]]
            out[int(r["id"])] = Window.of(MEMBERS, members, [(m.id,) for m in members], first)
        return out

    async def member_counts(self, ids: Sequence[int]) -> dict[int, int]:
        rows = await self._r.analysed_rows(
            "community_member_count", q.COMMUNITY_MEMBER_COUNT, ids=unique(ids)
        )
        return {int(r["id"]): int(r["n"]) for r in rows}
