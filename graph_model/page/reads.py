"""What the API reads about pages: the interface and its Neo4j implementation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from graph_model.keyset import Window, decode_cursor
from graph_model.page import cypher as q
from graph_model.page.record import (
    Direction,
    PageOrder,
    PageRecord,
    PageVersion,
    SiteRates,
    TransitionRecord,
    page_from_properties,
)
from graph_model.properties import from_properties
from graph_model.reader import Neo4jReads, unique


class PageReads(Protocol):
    """Unknown ids are simply absent from batch results."""

    async def by_ids(self, ids: Sequence[str]) -> dict[str, PageRecord]: ...

    async def window(self, order: PageOrder, first: int, after: str | None) -> Window[PageRecord]:
        """One keyset page of every page in `order`."""

    async def count(self) -> int: ...

    async def transitions(
        self, ids: Sequence[str], direction: Direction, limit: int
    ) -> dict[str, tuple[TransitionRecord, ...]]:
        """The most frequent transitions out of (or into) each page, by count."""

    async def route_probabilities(self, routes: Sequence[Sequence[str]]) -> list[float | None]:
        """Per route, the product of its transition probabilities (positionally)."""

    async def weak(self, limit: int, min_visits: int) -> tuple[PageRecord, ...]: ...

    async def hotspots(self, limit: int) -> tuple[PageRecord, ...]: ...

    async def escalation_hotspots(self, limit: int) -> tuple[PageRecord, ...]: ...

    async def site_rates(self) -> SiteRates: ...

    async def versions(self, ids: Sequence[str]) -> dict[str, tuple[PageVersion, ...]]:
        """Each catalog page's versions, oldest first."""


class Neo4jPageReads(Neo4jReads):
    async def by_ids(self, ids: Sequence[str]) -> dict[str, PageRecord]:
        rows = await self._r.analysed_rows("pages_by_ids", q.PAGES_BY_IDS, ids=unique(ids))
        return {r["id"]: page_from_properties(r) for r in rows}

    async def window(self, order: PageOrder, first: int, after: str | None) -> Window[PageRecord]:
        scope = f"page:{order.value}"
        params: dict[str, Any] = {"limit": first + 1}
        if order is PageOrder.ID:
            texts = (q.PAGES_BY_ID_FIRST, q.PAGES_BY_ID_AFTER)
            types: tuple[type, ...] = (str,)
        elif order is PageOrder.TITLE:
            texts = (q.PAGES_BY_TITLE_FIRST, q.PAGES_BY_TITLE_AFTER)
            types = (str, str)
        else:
            texts = q.PAGES_BY_FIGURE[order]
            types = (float, str)
        text = texts[0]
        if after is not None:
            key = decode_cursor(scope, after, types)
            params.update({"id": key[-1]} if len(key) == 1 else {"k": key[0], "id": key[1]})
            text = texts[1]
        rows = await self._r.analysed_rows(f"pages_by_{order.value.lower()}", text, **params)
        return Window.of_rows(scope, rows, first, lambda r: page_from_properties(r["page"]))

    async def count(self) -> int:
        records = await self._r.run("page_count", q.PAGE_COUNT)
        return int(records[0]["n"])

    async def transitions(
        self, ids: Sequence[str], direction: Direction, limit: int
    ) -> dict[str, tuple[TransitionRecord, ...]]:
        text = q.TRANSITIONS_OUT if direction is Direction.OUT else q.TRANSITIONS_IN
        rows = await self._r.rows(
            f"transitions_{direction.value.lower()}", text, ids=unique(ids), limit=limit
        )
        return {
            r["id"]: tuple(
                TransitionRecord(
                    from_page_id=t["from"],
                    to_page_id=t["to"],
                    count=int(t["count"]),
                    turnarounds=int(t["turnarounds"] or 0),
                    probability=float(t["probability"]),
                )
                for t in r["rows"]
            )
            for r in rows
        }

    async def route_probabilities(self, routes: Sequence[Sequence[str]]) -> list[float | None]:
        if not routes:
            return []
        rows = await self._r.rows(
            "route_probabilities", q.ROUTE_PROBABILITIES, routes=[list(r) for r in routes]
        )
        found = {int(r["i"]): r["probability"] for r in rows}
        return [_probability(found.get(i)) for i in range(len(routes))]

    async def weak(self, limit: int, min_visits: int) -> tuple[PageRecord, ...]:
        rows = await self._r.analysed_rows(
            "weak_pages", q.WEAK_PAGES, limit=limit, minVisits=min_visits
        )
        return tuple(page_from_properties(r) for r in rows)

    async def hotspots(self, limit: int) -> tuple[PageRecord, ...]:
        rows = await self._r.analysed_rows("hotspots", q.HOTSPOTS, limit=limit)
        return tuple(page_from_properties(r) for r in rows)

    async def escalation_hotspots(self, limit: int) -> tuple[PageRecord, ...]:
        rows = await self._r.analysed_rows(
            "escalation_hotspots", q.ESCALATION_HOTSPOTS, limit=limit
        )
        return tuple(page_from_properties(r) for r in rows)

    async def site_rates(self) -> SiteRates:
        r = await self._r.analysed("site_rates", q.SITE_RATES)
        return SiteRates(
            turnaround_rate=_ratio(r["turnarounds"], r["opportunities"]),
            exit_rate=_ratio(r["exits"], r["visits"]),
            escalation_rate=_ratio(r["escalations"], r["visits"]),
        )

    async def versions(self, ids: Sequence[str]) -> dict[str, tuple[PageVersion, ...]]:
        rows = await self._r.rows("page_versions", q.VERSIONS, ids=unique(ids))
        return {r["id"]: tuple(from_properties(PageVersion, v) for v in r["rows"]) for r in rows}


def _ratio(a: int | None, b: int | None) -> float | None:
    return a / b if a is not None and b else None


def _probability(value: Any) -> float | None:
    return None if value is None else float(value)
