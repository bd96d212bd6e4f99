"""The path graph store: an abstract interface and its one Neo4j implementation."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from neo4j import Driver, ManagedTransaction

from graph_model import cypher
from graph_model.graph_version import bump_graph_version, bump_graph_version_now
from graph_model.records import (
    BatchWrite,
    GraphCounts,
    PageCatalogEntry,
    PathWrite,
    StoredClick,
    TransitionDelta,
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
    def click_owners(self, keys: Sequence[str]) -> dict[str, str]:
        """The customer of each stored click among `keys` (absent keys are left out)."""

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
        read = tx.run(cypher.READ_BATCH, ids=customer_ids).single(strict=True)
        stored_wm = read["watermark"]
        watermark = batch_max_ts if stored_wm is None else max(int(stored_wm), batch_max_ts)
        stored: dict[str, list[StoredClick]] = defaultdict(list)
        for customer, key, page, ts, resolved, seq, referrer in read["clicks"]:
            stored[customer].append(StoredClick(key, customer, page, ts, resolved, seq, referrer))
        batch = compute(stored, watermark)
        _write(tx, batch, stored.keys())
        closed = tx.run(
            cypher.ADVANCE_WATERMARK, value=watermark, cutoff=watermark - self.timeout_ms
        ).single()
        bump_graph_version(tx)
        return ApplyResult(
            clicks_created=len(batch.new_clicks),
            paths_created=len(batch.created_paths),
            paths_deleted=len(batch.deleted_paths),
            paths_closed=int(closed["closed"]) if closed else 0,
            watermark_ms=watermark,
        )

    def click_owners(self, keys: Sequence[str]) -> dict[str, str]:
        records, _, _ = self.driver.execute_query(
            cypher.CLICK_OWNERS, keys=list(keys), database_=self.database
        )
        return {r["key"]: r["customer"] for r in records}

    def upsert_pages(self, entries: Sequence[PageCatalogEntry]) -> None:
        if not entries:
            return
        pages = [{"id": e.page_id, "title": e.title, "url": e.url} for e in entries]
        links = [[e.page_id, target] for e in entries for target in e.links]

        def work(tx: ManagedTransaction) -> None:
            tx.run(cypher.UPSERT_PAGES, pages=pages).consume()
            tx.run(cypher.CREATE_LINKS, links=links).consume()
            bump_graph_version(tx)

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
        with self.driver.session(database=self.database) as session:
            for query in (cypher.CLEAR_RELATIONSHIPS, cypher.CLEAR_NODES):
                session.run(query).consume()
        bump_graph_version_now(self.driver, self.database)


def _write(tx: ManagedTransaction, batch: BatchWrite, known_customers: Collection[str]) -> None:
    """Apply `batch`; `known_customers` had stored clicks (so a Customer node and VISITED)."""
    plan = _plan(batch, known_customers)
    if plan.deleted:
        tx.run(cypher.DELETE_NEXT, keys=[k for p in plan.deleted for k in p.click_keys]).consume()
        tx.run(cypher.DELETE_PATHS, ids=[p.id for p in plan.deleted]).consume()
    if plan.unplaced:
        tx.run(cypher.CREATE_CLICKS, clicks=[_click_row(c) for c in plan.unplaced]).consume()
    if plan.customers:
        tx.run(cypher.WRITE_CUSTOMERS, pages=plan.pages, customers=plan.customers).consume()
    if batch.transitions:
        # After WRITE_CUSTOMERS, not before: with the TRANSITIONs merged first, WRITE_CUSTOMERS
        # grew with the graph (0.3 s to 3 s per batch over 100k events of long sessions).
        # A stable order keeps concurrent workers from locking pages in opposite orders.
        deltas = sorted(batch.transitions, key=lambda d: (d.from_page, d.to_page))
        adding = [_delta_row(d) for d in deltas if d.count > 0 and d.turnarounds >= 0]
        other = [
            _delta_row(d)
            for d in deltas
            if (d.count < 0 or d.turnarounds < 0 or (d.count == 0 and d.turnarounds != 0))
        ]
        if adding:
            tx.run(cypher.ADD_TRANSITIONS, deltas=adding).consume()
        if other:
            tx.run(cypher.APPLY_TRANSITIONS, deltas=other).consume()


@dataclass(slots=True)
class _Plan:
    """A batch in the shape WRITE_CUSTOMERS takes: one row per customer, pages by index."""

    deleted: list[PathWrite]  # rewritten or gone: delete before writing the new versions
    unplaced: list[StoredClick]  # new clicks no written path holds (not expected)
    pages: list[str]
    customers: list[dict[str, Any]]


def _plan(batch: BatchWrite, known_customers: Collection[str]) -> _Plan:
    fresh = {c.key: c for c in batch.new_clicks}
    old_by_id = {p.id: p for p in batch.deleted_paths}
    extended: dict[str, list[tuple[PathWrite, PathWrite]]] = defaultdict(list)
    created: dict[str, list[PathWrite]] = defaultdict(list)
    for p in batch.created_paths:
        old = old_by_id.get(p.id)
        if old is not None and _grows(old, p):
            extended[p.customer_id].append((old, p))
        else:
            created[p.customer_id].append(p)
    kept = {new.id for rows in extended.values() for _, new in rows}
    deleted = [p for p in batch.deleted_paths if p.id not in kept]

    # Pages by index in sorted order, so a customer's visits sorted by index are by page id.
    pages = sorted({c.page_id for c in batch.new_clicks})
    page_index = {page: i for i, page in enumerate(pages)}
    fresh_pages: dict[str, set[str]] = {}
    for c in batch.new_clicks:
        fresh_pages.setdefault(c.customer_id, set()).add(c.page_id)
    visits: dict[str, list[list[int]]] = defaultdict(list)
    for (customer, page), n in batch.visited.items():
        # Stored counts of pages without new clicks are unchanged: only fresh pages are sent.
        if page in fresh_pages.get(customer, ()):
            visits[customer].append([page_index[page], n])

    placed: set[str] = set()

    def path_row(p: PathWrite, keys: Sequence[str]) -> dict[str, Any]:
        """`p` with `keys` (its clicks, or the appended ones) split as _CHAIN takes them."""
        new: list[list[Any]] = []
        stored: list[str] = []
        order: list[int] = []
        for key in keys:
            c = fresh.get(key)
            if c is None or key in placed:
                stored.append(key)
                order.append(-len(stored))
                continue
            placed.add(key)
            order.append(len(new))
            new.append([key, page_index[c.page_id], c.ts_ms, c.resolved, c.seq, c.referrer_page_id])
        return {
            "id": p.id,
            "start": p.start_ms,
            "end": p.end_ms,
            "length": len(p.click_keys),
            "outcome": p.outcome,
            "turnarounds": p.turnarounds,
            "quick": p.quick_turnarounds,
            "pages": p.pages,
            "new": new,
            "stored": stored,
            "order": order if stored else None,
        }

    customers: list[dict[str, Any]] = []
    for customer in sorted(fresh_pages):
        known = customer in known_customers
        rows = sorted(visits[customer])
        customers.append(
            {
                "id": customer,
                # Without stored clicks there is no VISITED to merge with: create it.
                "newVisits": [] if known else rows,
                "visits": rows if known else [],
                "extended": [
                    path_row(new, new.click_keys[len(old.click_keys) :])
                    for old, new in extended.get(customer, ())
                ],
                "paths": [path_row(p, p.click_keys) for p in created.get(customer, ())],
            }
        )
    unplaced = [c for key, c in fresh.items() if key not in placed]
    return _Plan(deleted, unplaced, pages, customers)


def _grows(old: PathWrite, new: PathWrite) -> bool:
    """`new` is `old` with clicks appended: the stored chain stays and is extended."""
    n = len(old.click_keys)
    return len(new.click_keys) > n and new.click_keys[:n] == old.click_keys


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


def _delta_row(d: TransitionDelta) -> dict[str, Any]:
    return {"from": d.from_page, "to": d.to_page, "count": d.count, "turnarounds": d.turnarounds}
