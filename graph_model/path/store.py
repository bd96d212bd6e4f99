"""Ingest's writes of clicks and paths, the watermark, and retention."""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import replace
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
from graph_model.path.record import Click, EventType, PathRules
from graph_model.path.watermark import PartitionMark, Reading, next_watermark
from graph_model.version import bump_graph_version


class PathSink(Protocol):
    """What the ingest worker needs from the graph."""

    @property
    def rules(self) -> PathRules:
        """The path rules every batch is written with (the one copy of them)."""

    def apply_clicks(
        self,
        customer_ids: Sequence[str],
        keys: Sequence[tuple[str, str]],
        compute: ComputeBatch,
        assess: AssessBatch | None = None,
        reading: Reading | None = None,
    ) -> ApplyResult:
        """Read the stored state of the customers and `keys` (the batch's (customer, event
        key) pairs), let `compute` read the stored events it needs and decide the change,
        write it, move the high marks of `reading`'s partitions and the watermark (and, with
        `assess`, write the paths' at-risk states and their announcements): one transaction,
        retried on conflicts. `reading` None: the batch does not come from Kafka."""

    def settle(self, timeout_s: float | None = None) -> Compacted:
        """Wait for the retention step the last batch started beside the next (if any; at
        most `timeout_s`, then leave it running)."""


log = logging.getLogger(__name__)


class _ForgottenMeanwhile(Exception):  # noqa: N818 -- a signal, not an error
    """Customers of the batch were forgotten while it was written: roll back, write again."""


class Neo4jPathStore:
    def __init__(
        self, driver: Driver, database: str, rules: PathRules, compact_per_batch: int = 0
    ) -> None:
        """`compact_per_batch`: Click nodes each batch's retention step compacts at most (0:
        none; only with `rules.retention_ms`)."""
        self.driver = driver
        self.database = database
        self._rules = rules
        self.compact_per_batch = compact_per_batch
        self._salt: str | None = None  # the tombstones' salt, once seen
        # Ingest's retention step runs beside the next batch, on a thread of its own: in the
        # batch's transaction it cost ~30% of the ingest rate once every batch deleted about
        # as many Click nodes as it wrote (BENCHMARKS.md, "Months of traffic").
        self._step: Future[Compacted] | None = None
        self._compacting = threading.Lock()  # one step at a time in this process

    @property
    def rules(self) -> PathRules:
        return self._rules

    def compact(self, budget: int) -> Compacted:
        """One bounded step of retention (at most `budget` Click nodes, but at least one
        path), in a transaction of its own; `done` once nothing more can be compacted."""
        if self._rules.retention_ms is None:
            return Compacted(0, 0, True)
        self.settle()
        with self._compacting, self.driver.session(database=self.database) as session:
            return session.execute_write(self._compact_tx, budget, None, None)

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

    def _compact_beside(self, watermark: int, budget: int, customers: Sequence[str]) -> None:
        # A daemon thread, not an executor's: a stop must not wait for a step that is
        # retrying through an outage (an unfinished step rolls back with its connection).
        step: Future[Compacted] = Future()

        def run() -> None:
            step.set_running_or_notify_cancel()
            try:
                step.set_result(self._compact_at(watermark, budget, customers))
            except BaseException as e:  # handed to whoever settles the step
                step.set_exception(e)

        threading.Thread(target=run, name="pathrank-retention", daemon=True).start()
        self._step = step

    def _compact_at(self, watermark: int, budget: int, customers: Sequence[str]) -> Compacted:
        with self._compacting, self.driver.session(database=self.database) as session:
            return session.execute_write(self._compact_tx, budget, watermark, customers)

    def _compact_tx(
        self,
        tx: ManagedTransaction,
        budget: int,
        watermark: int | None,
        customers: Sequence[str] | None,
    ) -> Compacted:
        """A step at `watermark` (the batch's that started it), else at the stored one;
        `customers`: the batch's, whose paths their new events may have put out of reach
        (None: every customer's)."""
        if watermark is None:
            row = tx.run(q.READ_WATERMARK).single()
            watermark = None if row is None or row["watermark"] is None else int(row["watermark"])
        done = self._compact(tx, watermark, budget, customers)
        if done.paths:
            bump_graph_version(tx)
        return done

    def _compact(
        self,
        tx: ManagedTransaction,
        watermark: int | None,
        budget: int,
        customers: Sequence[str] | None,
    ) -> Compacted:
        """Paths are compacted when no event the lateness rule accepts can change them
        (docs/paths.md, "Retention"): they ended more than the retention plus the timeout
        before the watermark, and more than the lateness plus the timeout before their
        customer's latest event. The cursor walks the first condition in the order paths
        ended; a path it passes that fails the second is labelled `Reachable` and compacted
        once its customer's later events put it out of reach."""
        rules = self._rules
        if rules.retention_ms is None or watermark is None:
            return Compacted(0, 0, True)
        limit = max(budget, 1)
        params = {"reach": rules.reach_ms, "limit": limit}
        if customers is None:
            due = tx.run(q.REACHABLE_DUE_ALL, params)
        else:
            due = tx.run(q.REACHABLE_DUE, params, customers=list(customers))
        found = [(r["id"], 0, int(r["clicks"]), True) for r in due]
        n = to_compact(found, budget)
        paths, clicks = _compact_paths(tx, found[:n])
        reachable_done = n == len(found) < limit
        left = budget - clicks
        if left <= 0 and found:
            return Compacted(paths, clicks, False)
        cutoff = watermark - rules.retention_ms - rules.timeout_ms
        cursor = tx.run(q.COMPACTION_CURSOR).single()
        start = _ALL_TIME if cursor is None or cursor["through"] is None else cursor["through"]
        if start >= cutoff:
            return Compacted(paths, clicks, reachable_done)
        rows = [
            (r["id"], int(r["end"]), int(r["clicks"]), _out_of_reach(r, rules))
            for r in tx.run(q.TO_COMPACT, {"from": start, "cutoff": cutoff, "limit": limit})
        ]
        n = to_compact(rows, max(left, 0))
        more_paths, more_clicks = _compact_paths(tx, rows[:n])
        kept = [r[0] for r in rows[:n] if not r[3]]
        if kept:
            tx.run(q.MARK_REACHABLE, ids=kept).consume()
        done = n == len(rows) < limit
        through = cutoff if done else rows[n - 1][1]
        tx.run(q.SET_COMPACTION_CURSOR, through=through).consume()
        return Compacted(paths + more_paths, clicks + more_clicks, done and reachable_done)

    def apply_clicks(
        self,
        customer_ids: Sequence[str],
        keys: Sequence[tuple[str, str]],
        compute: ComputeBatch,
        assess: AssessBatch | None = None,
        reading: Reading | None = None,
    ) -> ApplyResult:
        ids, unique_keys = list(dict.fromkeys(customer_ids)), [list(k) for k in dict.fromkeys(keys)]
        read = reading or Reading.unpartitioned(None)
        with self.driver.session(database=self.database) as session:
            while True:
                try:
                    result = session.execute_write(
                        self._apply_tx, ids, unique_keys, compute, assess, read
                    )
                    break
                except _ForgottenMeanwhile:
                    continue  # again, without them: their tombstones are committed now
        if self._rules.retention_ms is None or self.compact_per_batch <= 0:
            return result
        if result.watermark_ms is None:
            return result
        # The previous batch's step ran beside this batch; the next runs beside the next one.
        # Waiting for it here keeps compaction abreast of ingest (one step per batch).
        started = time.perf_counter()
        previous = self.settle()
        waited = time.perf_counter() - started
        self._compact_beside(result.watermark_ms, self.compact_per_batch, ids)
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
        keys: list[list[str]],
        compute: ComputeBatch,
        assess: AssessBatch | None,
        reading: Reading,
    ) -> ApplyResult:
        self._salt, forgotten = read_forgotten(tx, customer_ids, self._salt)
        state = replace(read_state(tx, customer_ids, keys), forgotten=forgotten)
        events_read = [0]

        def read_events(since: Mapping[str, int]) -> Mapping[str, list[Click]]:
            stored = _read_events(tx, since, self._rules.timeout_ms)
            events_read[0] += sum(len(events) for events in stored.values())
            return stored

        batch = compute(state, read_events)
        # The old versions' at-risk states, read before the write replaces them.
        states = read_states(tx, [p.id for p in batch.deleted_paths]) if assess else {}
        _write(tx, batch, state.known)
        watermark, paths_closed = self._advance(tx, reading)
        # The watermark's node is locked now: an erasure that committed its tombstones before
        # shows them here, one that did not yet waits for this commit (and then erases what
        # this batch wrote). See graph_model.customer.store.
        _, now_forgotten = read_forgotten(tx, customer_ids, self._salt)
        if now_forgotten - forgotten:
            raise _ForgottenMeanwhile
        batch = replace(batch, watermark_ms=watermark)
        announced = (
            assess_in_tx(tx, batch, states, paths_closed, assess, self._rules) if assess else ()
        )
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

    def _advance(self, tx: ManagedTransaction, reading: Reading) -> tuple[int | None, int]:
        """The batch's partitions' high marks written, the watermark's node locked (so the
        marks read next include every batch committed before), the watermark moved, and the
        OPEN paths it passed by more than the timeout closed: the watermark and how many."""
        if reading.partitioned and reading.marks:
            ordered = sorted(reading.marks, key=lambda m: m.partition)  # a stable lock order
            rows = [
                {"partition": m.partition, "high": m.high_ms, "offset": m.offset} for m in ordered
            ]
            tx.run(q.WRITE_MARKS, topic=reading.topic, marks=rows).consume()
        row = tx.run(q.LOCK_WATERMARK, topic=reading.topic).single(strict=True)
        if reading.partitioned:
            marks = {p: PartitionMark(p, high, offset) for p, high, offset in row["marks"]}
        else:
            marks = {m.partition: m for m in reading.marks}
        stored = row["watermark"]
        watermark = next_watermark(None if stored is None else int(stored), marks, reading)
        if watermark is None:
            return None, 0
        closed = tx.run(
            q.ADVANCE_WATERMARK, value=watermark, cutoff=watermark - self._rules.timeout_ms
        ).single(strict=True)
        return watermark, int(closed["closed"])


def _out_of_reach(row: Any, rules: PathRules) -> bool:
    """A path no event the lateness rule accepts can change: it ended more than the lateness
    plus the timeout before its customer's latest stored event (`row`: end, click, marker)."""
    times = [int(t) for t in (row["click"], row["marker"]) if t is not None]
    return bool(times) and int(row["end"]) < max(times) - rules.reach_ms


def _compact_paths(
    tx: ManagedTransaction, rows: Sequence[tuple[str, int, int, bool]]
) -> tuple[int, int]:
    """Compact the paths of `rows` (id, end, clicks, out of reach) that are out of reach:
    how many, and their clicks."""
    ids = [r[0] for r in rows if r[3]]
    if ids:
        tx.run(q.COMPACT_PATHS, ids=ids).consume()
    return len(ids), sum(r[2] for r in rows if r[3])


def _write(tx: ManagedTransaction, batch: BatchWrite, known_customers: Collection[str]) -> None:
    p = plan(batch, known_customers)
    if p.deleted:
        keys = [[path.customer_id, k] for path in p.deleted for k in path.keys]
        tx.run(q.DELETE_NEXT, keys=keys).consume()
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


def read_state(
    tx: ManagedTransaction, customer_ids: list[str], keys: list[list[str]]
) -> StoredState:
    """The watermark, the customers' latest stored event times and nodes, and the stored
    events that hold `keys` ([customer, key] pairs)."""
    row = tx.run(q.READ_STATE, ids=customer_ids, keys=keys).single(strict=True)
    latest: dict[str, int] = {}
    known: set[str] = set()
    for customer, click, marker, exists in row["customers"]:
        times = [int(t) for t in (click, marker) if t is not None]
        if times:
            latest[customer] = max(times)
        if exists:
            known.add(customer)
    by_key = {(c.customer_id, c.key): c for c in _events(row["clicks"], row["markers"])}
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
