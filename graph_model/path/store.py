"""Ingest's writes of clicks and paths."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import Protocol

from neo4j import Driver, ManagedTransaction

from graph_model.assist.store import AssessBatch, assess_in_tx, read_states
from graph_model.path import write_cypher as q
from graph_model.path.batch import (
    ApplyResult,
    BatchWrite,
    ComputeBatch,
    click_row,
    delta_row,
    plan,
)
from graph_model.path.record import Click, EventType
from graph_model.version import bump_graph_version


class PathSink(Protocol):
    """What the ingest worker needs from the graph."""

    def apply_clicks(
        self, customer_ids: Sequence[str], compute: ComputeBatch, assess: AssessBatch | None = None
    ) -> ApplyResult:
        """Read the customers' stored clicks and the watermark, `compute` the change, write
        it (and, with `assess`, the paths' at-risk states and their announcements): one
        transaction, retried on conflicts."""

    def click_owners(self, keys: Sequence[str]) -> dict[str, str]:
        """The customer of each stored click among `keys` (absent keys are left out)."""


class Neo4jPathStore:
    def __init__(self, driver: Driver, database: str, inactivity_timeout_ms: int) -> None:
        self.driver = driver
        self.database = database
        self.timeout_ms = inactivity_timeout_ms

    def apply_clicks(
        self, customer_ids: Sequence[str], compute: ComputeBatch, assess: AssessBatch | None = None
    ) -> ApplyResult:
        with self.driver.session(database=self.database) as session:
            return session.execute_write(
                self._apply_tx, list(dict.fromkeys(customer_ids)), compute, assess
            )

    def _apply_tx(
        self,
        tx: ManagedTransaction,
        customer_ids: list[str],
        compute: ComputeBatch,
        assess: AssessBatch | None = None,
    ) -> ApplyResult:
        read = tx.run(q.READ_BATCH, ids=customer_ids).single(strict=True)
        stored_wm = read["watermark"]
        stored: dict[str, list[Click]] = defaultdict(list)
        for customer, key, page, ts, resolved, seq, referrer, attrs in read["clicks"]:
            stored[customer].append(
                Click(key, customer, page, ts, resolved, seq, referrer, attributes=_pairs(attrs))
            )
        for customer, key, kind, page, ts, seq, attrs in read["markers"]:
            marker = Click(key, customer, page or "", ts, False, seq, None, EventType(kind))
            stored[customer].append(replace(marker, attributes=_pairs(attrs)))
        batch = compute(stored, None if stored_wm is None else int(stored_wm))
        # The old versions' at-risk states, read before the write replaces them.
        states = read_states(tx, [p.id for p in batch.deleted_paths]) if assess else {}
        _write(tx, batch, stored.keys())
        watermark = batch.watermark_ms
        closed = None
        if watermark is not None:
            closed = tx.run(
                q.ADVANCE_WATERMARK, value=watermark, cutoff=watermark - self.timeout_ms
            ).single()
        paths_closed = int(closed["closed"]) if closed else 0
        announced = assess_in_tx(tx, batch, states, paths_closed, assess) if assess else ()
        bump_graph_version(tx)
        return ApplyResult(
            clicks_created=len(batch.new_clicks),
            paths_created=len(batch.created_paths),
            paths_deleted=len(batch.deleted_paths),
            paths_closed=paths_closed,
            watermark_ms=watermark,
            announcements=announced,
        )

    def click_owners(self, keys: Sequence[str]) -> dict[str, str]:
        records, _, _ = self.driver.execute_query(
            q.CLICK_OWNERS, keys=list(keys), database_=self.database
        )
        return {r["key"]: r["customer"] for r in records}


def _write(tx: ManagedTransaction, batch: BatchWrite, known_customers: Collection[str]) -> None:
    p = plan(batch, known_customers)
    if p.deleted:
        tx.run(q.DELETE_NEXT, keys=[k for path in p.deleted for k in path.keys]).consume()
        tx.run(q.DELETE_PATHS, ids=[path.id for path in p.deleted]).consume()
    if p.unplaced:
        tx.run(q.CREATE_CLICKS, clicks=[click_row(c) for c in p.unplaced]).consume()
    if p.customers:
        tx.run(q.WRITE_CUSTOMERS, pages=p.pages, customers=p.customers).consume()
    if p.markers:
        tx.run(q.CREATE_MARKERS, markers=p.markers).consume()
    if p.endings:
        tx.run(q.LINK_ENDINGS, rows=p.endings).consume()
    if p.segments:
        ids = sorted({s for row in p.segments for s in row["segments"]})
        if ids:
            tx.run(q.MERGE_SEGMENTS, ids=ids).consume()
        tx.run(q.LINK_SEGMENTS, rows=p.segments).consume()
    if batch.transitions:
        # After WRITE_CUSTOMERS, not before: with the TRANSITIONs merged first, WRITE_CUSTOMERS
        # grew with the graph (0.3 s to 3 s per batch over 100k events of long sessions).
        # A stable order keeps concurrent workers from locking pages in opposite orders.
        deltas = sorted(batch.transitions, key=lambda d: (d.from_page, d.to_page))
        adding = [delta_row(d) for d in deltas if d.count > 0 and d.turnarounds >= 0]
        other = [
            delta_row(d)
            for d in deltas
            if (d.count < 0 or d.turnarounds < 0 or (d.count == 0 and d.turnarounds != 0))
        ]
        if adding:
            tx.run(q.ADD_TRANSITIONS, deltas=adding).consume()
        if other:
            tx.run(q.APPLY_TRANSITIONS, deltas=other).consume()


def _pairs(stored: list[str] | None) -> tuple[tuple[str, str], ...]:
    """Stored "key=value" attributes back to (key, value) pairs (keys hold no "=")."""
    if not stored:
        return ()
    return tuple((k, v) for k, _, v in (item.partition("=") for item in stored))
