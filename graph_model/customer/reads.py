"""What the API reads about customers: the interface and its Neo4j implementation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from graph_model.customer import cypher as q
from graph_model.customer.record import CustomerRecord, PageVisit, SimilarCustomer
from graph_model.reader import Neo4jReads, unique


class CustomerReads(Protocol):
    async def by_ids(self, ids: Sequence[str]) -> dict[str, CustomerRecord]: ...

    async def similar(
        self, ids: Sequence[str], limit: int
    ) -> dict[str, tuple[SimilarCustomer, ...]]:
        """Each customer's most similar customers, highest score first."""

    async def visited(self, ids: Sequence[str], limit: int) -> dict[str, tuple[PageVisit, ...]]:
        """Each customer's most clicked pages."""


def customer_of(row: Mapping[str, Any]) -> CustomerRecord:
    community = row["community"]
    return CustomerRecord(str(row["id"]), None if community is None else int(community))


class Neo4jCustomerReads(Neo4jReads):
    async def by_ids(self, ids: Sequence[str]) -> dict[str, CustomerRecord]:
        rows = await self._r.analysed_rows("customers_by_ids", q.CUSTOMERS_BY_IDS, ids=unique(ids))
        return {r["id"]: customer_of(r) for r in rows}

    async def similar(
        self, ids: Sequence[str], limit: int
    ) -> dict[str, tuple[SimilarCustomer, ...]]:
        rows = await self._r.analysed_rows(
            "similar_customers", q.SIMILAR_CUSTOMERS, ids=unique(ids), limit=limit
        )
        return {
            r["id"]: tuple(SimilarCustomer(customer_of(s), float(s["score"])) for s in r["rows"])
            for r in rows
        }

    async def visited(self, ids: Sequence[str], limit: int) -> dict[str, tuple[PageVisit, ...]]:
        rows = await self._r.rows("visited_pages", q.VISITED_PAGES, ids=unique(ids), limit=limit)
        return {
            r["id"]: tuple(PageVisit(v["page"], int(v["count"])) for v in r["rows"]) for r in rows
        }
