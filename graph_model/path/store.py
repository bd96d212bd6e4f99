"""Ingest's writes of clicks and paths."""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Any, Protocol

from neo4j import Driver, ManagedTransaction
from neo4j.exceptions import DriverError, Neo4jError

from graph_model.assist.store import AssessBatch, assess_in_tx, read_states
from graph_model.customer.store import read_forgotten
from graph_model.path import write_cypher as q
from graph_model.path.batch import (
    ApplyResult,
    BatchWrite,
    Compacted,
    ComputeBatch,
    StoredState,
    click_row,
    delta_row,
    plan,
    to_compact,
)
from graph_model.path.record import Click, EventType
from graph_model.version import bump_graph_version


class PathSink(Protocol):
    """What the ingest worker needs from the graph."""

    def apply_clicks(
        self,
        customer_ids: Sequence[str],
        keys: Sequence[str],
        compute: ComputeBatch,
        assess: AssessBatch | None = None,
    ) -> ApplyResult:
        """Read the stored state of the customers and `keys` (the batch's event keys), let
        `compute` read the stored events it needs and decide the change, write it (and, with
        `assess`, the paths' at-risk states and their announcements): one transaction,
        retried on conflicts."""

    def click_owners(self, keys: Sequence[str]) -> dict[str, str]:
        """The customer of each stored click among `keys` (absent keys are left out)."""

    def settle(self, timeout_s: float | None = None) -> Compacted:
        """Wait for the retention step the last batch started beside the next (if any; at
        most `timeout_s`, then leave it running)."""


log = logging.getLogger(__name__)


class _ForgottenMeanwhile(Exception):  # noqa: N818 -- a signal, not an error
    """Customers of the batch were forgotten while it was written: roll back, write again."""


@dataclass(frozen=True, slots=True)
class Retention:
    """Compaction (docs/paths.md, "Retention"): the Click nodes of paths that ended more than
    `retention_ms` (plus the inactivity timeout) before the watermark go."""

    retention_ms: int
    per_batch: int  # Click nodes an ingest batch compacts at most; 0: none


class Neo4jPathStore:
    def __init__(
        self,
        driver: Driver,
        database: str,
        inactivity_timeout_ms: int,
        retention: Retention | None = None,
    ) -> None:
        self.driver = driver
        self.database = database
        self.timeout_ms = inactivity_timeout_ms
        self.retention = retention
        self._salt: str | None = None  # the tombstones' salt, once seen
        # Ingest's retention step runs beside the next batch, on a thread of its own: in the
        # batch's transaction it cost ~30% of the ingest rate once every batch deleted about
        # as many Click nodes as it wrote (BENCHMARKS.md, "Months of traffic").
        self._step: Future[Compacted] | None = None
        self._compacting = threading.Lock()  # one step at a time in this process

    def compact(self, budget: int) -> Compacted:
        """One bounded step of retention (at most `budget` Click nodes, but at least one
        path), in a transaction of its own; `done` once nothing more can be compacted."""
        if self.retention is None:
            return Compacted(0, 0, True)
        self.settle()
        with self._compacting, self.driver.session(database=self.database) as session:
            return session.execute_write(self._compact_tx, budget, None)

    def settle(self, timeout_s: float | None = None) -> Compacted:
        step, self._step = self._step, None
        if step is None:
            return Compacted(0, 0, True)
        try:
            return step.result(timeout_s)
        except TimeoutError:  # a stop: the step goes on (or rolls back with the process)
            log.warning("a retention step is still running; left to finish or roll back")
        except (Neo4jError, DriverError) as e:  # the cursor did not move: the next step redoes it
            log.warning("a retention step failed (the next batch's step takes it up): %s", e)
        return Compacted(0, 0, False)

    def _compact_beside(self, watermark: int, budget: int) -> None:
        # A daemon thread, not an executor's: a stop must not wait for a step that is
        # retrying through an outage (an unfinished step rolls back with its connection).
        step: Future[Compacted] = Future()

        def run() -> None:
            step.set_running_or_notify_cancel()
            try:
                step.set_result(self._compact_at(watermark, budget))
            except BaseException as e:  # handed to whoever settles the step
                step.set_exception(e)

        threading.Thread(target=run, name="pathrank-retention", daemon=True).start()
        self._step = step

    def _compact_at(self, watermark: int, budget: int) -> Compacted:
        with self._compacting, self.driver.session(database=self.database) as session:
            return session.execute_write(self._compact_tx, budget, watermark)

    def _compact_tx(self, tx: ManagedTransaction, budget: int, watermark: int | None) -> Compacted:
        """A step at `watermark` (the batch's that started it: the next batch reads nothing
        older than that watermark's horizon), else at the stored one."""
        if watermark is None:
            row = tx.run(q.READ_WATERMARK).single()
            watermark = None if row is None or row["watermark"] is None else int(row["watermark"])
        done = self._compact(tx, watermark, budget)
        if done.paths:
            bump_graph_version(tx)
        return done

    def _compact(self, tx: ManagedTransaction, watermark: int | None, budget: int) -> Compacted:
        if self.retention is None or watermark is None:
            return Compacted(0, 0, True)
        # Ended more than the retention plus the timeout before the watermark: no event the
        # lateness rule accepts can reach such a path again (docs/paths.md, "Retention").
        cutoff = watermark - self.retention.retention_ms - self.timeout_ms
        cursor = tx.run(q.COMPACTION_CURSOR).single()
        start = _ALL_TIME if cursor is None or cursor["through"] is None else cursor["through"]
        if start >= cutoff:
            return Compacted(0, 0, True)
        limit = max(budget, 1)
        found = list(tx.run(q.TO_COMPACT, {"from": start, "cutoff": cutoff, "limit": limit}))
        rows = [(r["id"], int(r["end"]), int(r["clicks"])) for r in found]
        n = to_compact(rows, budget)
        if n:
            tx.run(q.COMPACT_PATHS, ids=[r[0] for r in rows[:n]]).consume()
        done = n == len(rows) < limit
        through = cutoff if done else rows[n - 1][1]
        tx.run(q.SET_COMPACTION_CURSOR, through=through).consume()
        return Compacted(n, sum(clicks for _, _, clicks in rows[:n]), done)

    def apply_clicks(
        self,
        customer_ids: Sequence[str],
        keys: Sequence[str],
        compute: ComputeBatch,
        assess: AssessBatch | None = None,
    ) -> ApplyResult:
        ids, unique_keys = list(dict.fromkeys(customer_ids)), list(dict.fromkeys(keys))
        with self.driver.session(database=self.database) as session:
            while True:
                try:
                    result = session.execute_write(
                        self._apply_tx, ids, unique_keys, compute, assess
                    )
                    break
                except _ForgottenMeanwhile:
                    continue  # again, without them: their tombstones are committed now
        if self.retention is None or self.retention.per_batch <= 0 or result.watermark_ms is None:
            return result
        # The previous batch's step ran beside this batch; the next runs beside the next one.
        # Waiting for it here keeps compaction abreast of ingest (one step per batch).
        started = time.perf_counter()
        previous = self.settle()
        waited = time.perf_counter() - started
        self._compact_beside(result.watermark_ms, self.retention.per_batch)
        return replace(
            result,
            paths_compacted=previous.paths,
            clicks_compacted=previous.clicks,
            compact_s=waited,
        )

    def _apply_tx(
        self,
        tx: ManagedTransaction,
        customer_ids: list[str],
        keys: list[str],
        compute: ComputeBatch,
        assess: AssessBatch | None = None,
    ) -> ApplyResult:
        self._salt, forgotten = read_forgotten(tx, customer_ids, self._salt)
        state = replace(read_state(tx, customer_ids, keys), forgotten=forgotten)
        events_read = [0]

        def read_events(since: Mapping[str, int]) -> Mapping[str, list[Click]]:
            stored = _read_events(tx, since, self.timeout_ms)
            events_read[0] += sum(len(events) for events in stored.values())
            return stored

        batch = compute(state, read_events)
        # The old versions' at-risk states, read before the write replaces them.
        states = read_states(tx, [p.id for p in batch.deleted_paths]) if assess else {}
        _write(tx, batch, state.known)
        watermark = batch.watermark_ms
        closed = None
        if watermark is not None:
            closed = tx.run(
                q.ADVANCE_WATERMARK, value=watermark, cutoff=watermark - self.timeout_ms
            ).single()
        paths_closed = int(closed["closed"]) if closed else 0
        if watermark is not None:
            # The watermark's node is locked now: an erasure that committed its tombstones
            # before shows them here, one that did not yet waits for this commit (and then
            # erases what this batch wrote). See graph_model.customer.store.
            _, now_forgotten = read_forgotten(tx, customer_ids, self._salt)
            if now_forgotten - forgotten:
                raise _ForgottenMeanwhile
        announced = assess_in_tx(tx, batch, states, paths_closed, assess) if assess else ()
        bump_graph_version(tx)
        return ApplyResult(
            clicks_created=len(batch.new_clicks),
            paths_created=len(batch.created_paths),
            paths_deleted=len(batch.deleted_paths),
            paths_closed=paths_closed,
            watermark_ms=watermark,
            announcements=announced,
            events_read=events_read[0],
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
    if p.searches:
        texts = sorted({text for row in p.searches for text in row["queries"]})
        if texts:
            tx.run(q.MERGE_QUERIES, texts=texts).consume()
        tx.run(q.LINK_QUERIES, rows=p.searches).consume()
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


def read_state(tx: ManagedTransaction, customer_ids: list[str], keys: list[str]) -> StoredState:
    """The watermark, the customers' latest stored event times and nodes, and the stored
    events that hold `keys`."""
    row = tx.run(q.READ_STATE, ids=customer_ids, keys=keys).single(strict=True)
    latest: dict[str, int] = {}
    known: set[str] = set()
    for customer, click, marker, exists in row["customers"]:
        times = [int(t) for t in (click, marker) if t is not None]
        if times:
            latest[customer] = max(times)
        if exists:
            known.add(customer)
    by_key = {c.key: c for c in _events(row["clicks"], row["markers"])}
    watermark = row["watermark"]
    return StoredState(
        None if watermark is None else int(watermark), latest, frozenset(known), by_key
    )


def _read_events(
    tx: ManagedTransaction, since: Mapping[str, int], timeout_ms: int
) -> dict[str, list[Click]]:
    """Every stored event of the customers that events at or after `since` can change the
    paths of, and the events after them: from the start of the path running at `since`
    (the customer's latest path that started before it, unless it ended more than the
    timeout before it), else from `since`. Before that point the customer's paths are
    closed whatever arrives later (docs/paths.md, "Late and out-of-order clicks"), so a
    batch reads the running path and what lies within the lateness, not all history."""
    stored: dict[str, list[Click]] = defaultdict(list)
    if not since:
        return stored
    asked = [{"id": customer, "from": ms} for customer, ms in since.items()]
    rows = []
    for r in tx.run(q.READ_ANCHORS, rows=asked):
        start, end, t = r["start"], r["end"], since[r["id"]]
        if start is not None and end is not None and end >= t - timeout_ms:
            rows.append({"id": r["id"], "from": start, "seq": r["seq"]})
        else:
            rows.append({"id": r["id"], "from": t, "seq": None})
    row = tx.run(q.READ_EVENTS, rows=rows).single(strict=True)
    for event in _events(row["clicks"], row["markers"]):
        stored[event.customer_id].append(event)
    return stored


def _events(clicks: list[list[Any]], markers: list[list[Any]]) -> list[Click]:
    """Stored clicks and markers, as READ_STATE and READ_EVENTS return them."""
    out = [
        Click(
            key,
            customer,
            page,
            ts,
            resolved,
            seq,
            referrer,
            EventType.PAGE_VIEW if query is None else EventType.SEARCH,
            _pairs(attrs),
            query,
            results,
        )
        for customer, key, page, ts, resolved, seq, referrer, attrs, query, results in clicks
    ]
    for customer, key, kind, page, ts, seq, attrs in markers:
        marker = Click(key, customer, page or "", ts, False, seq, None, EventType(kind))
        out.append(replace(marker, attributes=_pairs(attrs)))
    return out


def _pairs(stored: list[str] | None) -> tuple[tuple[str, str], ...]:
    """Stored "key=value" attributes back to (key, value) pairs (keys hold no "=")."""
    if not stored:
        return ()
    return tuple((k, v) for k, _, v in (item.partition("=") for item in stored))


_ALL_TIME = -(2**63)
