"""The path graph store: an abstract interface and its one Neo4j implementation."""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from neo4j import Driver, ManagedTransaction

from graph_model import cypher
from graph_model.records import (
    BatchWrite,
    GraphCounts,
    PageCatalogEntry,
    PathWrite,
    StoredClick,
)
from graph_model.schema import ensure_schema

# Given every stored click of the batch's customers and the watermark after this
# batch, return what to write. It runs inside the transaction and may run again
# on a retry, so it must be a pure function of its arguments.
ComputeBatch = Callable[[Mapping[str, list[StoredClick]], int], BatchWrite]


@dataclass(frozen=True, slots=True)
class ApplyResult:
    clicks_created: int
    paths_created: int
    paths_deleted: int
    paths_closed: int
    watermark_ms: int


@dataclass(frozen=True, slots=True)
class StoredPath:
    id: str
    customer_id: str
    start_ms: int
    end_ms: int
    length: int
    outcome: str
    turnarounds: int
    pages: tuple[str, ...]
    click_keys: tuple[str, ...]
    walked_pages: tuple[str, ...]


class PathGraphStore(ABC):
    """What ingest and tests need from the graph; Cypher stays behind this interface."""

    @abstractmethod
    def ensure_schema(self) -> None: ...

    @abstractmethod
    def apply_clicks(
        self, customer_ids: Sequence[str], batch_max_ts: int, compute: ComputeBatch
    ) -> ApplyResult: ...

    @abstractmethod
    def upsert_pages(self, entries: Sequence[PageCatalogEntry]) -> None: ...

    @abstractmethod
    def counts(self) -> GraphCounts: ...

    @abstractmethod
    def paths(self, customer_id: str | None = None) -> list[StoredPath]: ...

    @abstractmethod
    def transitions(self) -> dict[tuple[str, str], tuple[int, int]]: ...

    @abstractmethod
    def visited(self) -> dict[tuple[str, str], int]: ...

    @abstractmethod
    def clear(self) -> None: ...


class Neo4jPathGraphStore(PathGraphStore):
    def __init__(self, driver: Driver, database: str, inactivity_timeout_ms: int) -> None:
        self.driver = driver
        self.database = database
        self.timeout_ms = inactivity_timeout_ms

    def ensure_schema(self) -> None:
        ensure_schema(self.driver, self.database)

    def apply_clicks(
        self, customer_ids: Sequence[str], batch_max_ts: int, compute: ComputeBatch
    ) -> ApplyResult:
        """Read the customers' clicks, compute, write: one transaction, retried on conflicts."""
        with self.driver.session(database=self.database) as session:
            return session.execute_write(
                self._apply_tx, list(dict.fromkeys(customer_ids)), batch_max_ts, compute
            )

    def _apply_tx(
        self,
        tx: ManagedTransaction,
        customer_ids: list[str],
        batch_max_ts: int,
        compute: ComputeBatch,
    ) -> ApplyResult:
        current = tx.run(cypher.READ_WATERMARK).single()
        stored_wm = current["value"] if current is not None else None
        watermark = batch_max_ts if stored_wm is None else max(int(stored_wm), batch_max_ts)
        stored: dict[str, list[StoredClick]] = defaultdict(list)
        for r in tx.run(cypher.READ_CLICKS, ids=customer_ids):
            stored[r["customer"]].append(
                StoredClick(
                    key=r["key"],
                    customer_id=r["customer"],
                    page_id=r["page"],
                    ts_ms=r["ts"],
                    resolved=r["resolved"],
                    seq=r["seq"],
                    referrer_page_id=r["referrer"],
                )
            )
        batch = compute(stored, watermark)
        self._write(tx, batch)
        tx.run(cypher.ADVANCE_WATERMARK, value=watermark).consume()
        closed = tx.run(cypher.CLOSE_OPEN_PATHS, cutoff=watermark - self.timeout_ms).single()
        return ApplyResult(
            clicks_created=len(batch.new_clicks),
            paths_created=len(batch.created_paths),
            paths_deleted=len(batch.deleted_paths),
            paths_closed=int(closed["closed"]) if closed else 0,
            watermark_ms=watermark,
        )

    @staticmethod
    def _write(tx: ManagedTransaction, batch: BatchWrite) -> None:
        if batch.new_clicks:
            customers = sorted({c.customer_id for c in batch.new_clicks})
            pages = sorted({c.page_id for c in batch.new_clicks})
            tx.run(cypher.MERGE_CUSTOMERS, ids=customers).consume()
            tx.run(cypher.MERGE_PAGES, ids=pages).consume()
            tx.run(cypher.CREATE_CLICKS, clicks=[_click_row(c) for c in batch.new_clicks]).consume()
        if batch.deleted_paths:
            keys = [k for p in batch.deleted_paths for k in p.click_keys]
            tx.run(cypher.DELETE_NEXT, keys=keys).consume()
            tx.run(cypher.DELETE_PATHS, ids=[p.id for p in batch.deleted_paths]).consume()
        if batch.created_paths:
            tx.run(cypher.CREATE_PATHS, paths=[_path_row(p) for p in batch.created_paths]).consume()
            pairs = [list(pair) for p in batch.created_paths for pair in _pairs(p.click_keys)]
            tx.run(cypher.CREATE_NEXT, pairs=pairs).consume()
        if batch.transitions:
            # A stable order keeps concurrent workers from locking pages in opposite orders.
            deltas = sorted(batch.transitions, key=lambda d: (d.from_page, d.to_page))
            rows = [
                {
                    "from": d.from_page,
                    "to": d.to_page,
                    "count": d.count,
                    "turnarounds": d.turnarounds,
                }
                for d in deltas
                if d.count or d.turnarounds
            ]
            tx.run(cypher.APPLY_TRANSITIONS, deltas=rows).consume()
        if batch.visited:
            rows = [
                {"customer": c, "page": p, "count": n}
                for (c, p), n in sorted(batch.visited.items())
            ]
            tx.run(cypher.SET_VISITED, rows=rows).consume()

    def upsert_pages(self, entries: Sequence[PageCatalogEntry]) -> None:
        if not entries:
            return
        pages = [{"id": e.page_id, "title": e.title, "url": e.url} for e in entries]
        links = [[e.page_id, target] for e in entries for target in e.links]

        def work(tx: ManagedTransaction) -> None:
            tx.run(cypher.UPSERT_PAGES, pages=pages).consume()
            tx.run(cypher.CREATE_LINKS, links=links).consume()

        with self.driver.session(database=self.database) as session:
            session.execute_write(work)

    def counts(self) -> GraphCounts:
        records, _, _ = self.driver.execute_query(cypher.COUNTS, database_=self.database)
        r = records[0]
        return GraphCounts(
            pages=r["pages"],
            customers=r["customers"],
            paths=r["paths"],
            clicks=r["clicks"],
            transitions=r["transitions"],
            open_paths=r["open"],
            resolved_paths=r["resolved"],
            abandoned_paths=r["abandoned"],
            watermark_ms=r["watermark"],
        )

    def paths(self, customer_id: str | None = None) -> list[StoredPath]:
        records, _, _ = self.driver.execute_query(
            cypher.READ_PATHS, customer=customer_id, database_=self.database
        )
        return [
            StoredPath(
                id=r["id"],
                customer_id=r["customer"],
                start_ms=r["start"],
                end_ms=r["end"],
                length=r["length"],
                outcome=r["outcome"],
                turnarounds=r["turnarounds"],
                pages=tuple(r["pages"]),
                click_keys=tuple(r["keys"]),
                walked_pages=tuple(r["walked"]),
            )
            for r in records
        ]

    def transitions(self) -> dict[tuple[str, str], tuple[int, int]]:
        records, _, _ = self.driver.execute_query(cypher.READ_TRANSITIONS, database_=self.database)
        return {(r["source"], r["target"]): (r["count"], r["turnarounds"]) for r in records}

    def visited(self) -> dict[tuple[str, str], int]:
        records, _, _ = self.driver.execute_query(cypher.READ_VISITED, database_=self.database)
        return {(r["customer"], r["page"]): r["count"] for r in records}

    def clear(self) -> None:
        """Delete the whole graph in bounded transactions (keeps constraints and indexes)."""
        while True:
            records, _, _ = self.driver.execute_query(cypher.CLEAR_BATCH, database_=self.database)
            if records[0]["deleted"] == 0:
                return


def _click_row(c: StoredClick) -> dict[str, Any]:
    return {
        "key": c.key,
        "customer": c.customer_id,
        "page": c.page_id,
        "ts": c.ts_ms,
        "resolved": c.resolved,
        "seq": c.seq,
        "referrer": c.referrer_page_id,
    }


def _path_row(p: PathWrite) -> dict[str, Any]:
    return {
        "id": p.id,
        "customer": p.customer_id,
        "first": p.click_keys[0],
        "last": p.click_keys[-1],
        "start": p.start_ms,
        "end": p.end_ms,
        "length": p.length,
        "outcome": p.outcome,
        "turnarounds": p.turnarounds,
        "quick": p.quick_turnarounds,
        "pages": list(p.pages),
    }


def _pairs(keys: Iterable[str]) -> Iterable[tuple[str, str]]:
    return itertools.pairwise(keys)
