"""What one ingest batch writes, and its plan in the shape the write statement takes.

Ingest (`ingest.batch.compute_batch`) decides what changes; this module turns that decision
into the rows of `write_cypher.WRITE_CUSTOMERS`: one row per customer, pages addressed by
their index in one sorted list, and paths that only grew kept (their chain is extended).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graph_model.assist.record import Announcement
from graph_model.path.record import Click, Path, transitions
from graph_model.properties import to_properties


@dataclass(frozen=True, slots=True)
class TransitionDelta:
    """Change of a (:Page)-[:TRANSITION]->(:Page) aggregate; may be negative (recomputed
    paths)."""

    from_page: str
    to_page: str
    count: int
    turnarounds: int


def transition_deltas(
    added: Iterable[Sequence[str]], removed: Iterable[Sequence[str]] = ()
) -> list[TransitionDelta]:
    """How the TRANSITION aggregates move when paths with the pages `added` appear and paths
    with the pages `removed` go: one delta per edge, none where nothing moves."""
    delta: Counter[tuple[str, str, bool]] = Counter()
    for pages in added:
        delta.update(transitions(pages))
    for pages in removed:
        delta.subtract(transitions(pages))
    edges: dict[tuple[str, str], list[int]] = {}
    for (source, target, turned), n in delta.items():
        if n == 0:
            continue
        agg = edges.setdefault((source, target), [0, 0])
        agg[0] += n
        if turned:
            agg[1] += n
    return [TransitionDelta(s, t, c, ta) for (s, t), (c, ta) in edges.items() if c or ta]


@dataclass(frozen=True, slots=True)
class BatchWrite:
    """Everything one ingest batch changes, applied in one transaction."""

    new_clicks: list[Click] = field(default_factory=list)
    deleted_paths: list[Path] = field(default_factory=list)
    created_paths: list[Path] = field(default_factory=list)
    transitions: list[TransitionDelta] = field(default_factory=list)
    # (customer, page) -> the batch's new clicks of that customer on that page (added to VISITED)
    visited: dict[tuple[str, str], int] = field(default_factory=dict)
    # The watermark after this batch (never below the stored one); None: there is none yet.
    watermark_ms: int | None = None

    @property
    def empty(self) -> bool:
        return not (self.new_clicks or self.deleted_paths or self.created_paths)


@dataclass(frozen=True, slots=True)
class StoredState:
    """What the batch transaction reads before deciding anything: the watermark, each batch
    customer's latest stored event, and the stored events holding one of the batch's keys."""

    watermark_ms: int | None  # None in an empty graph
    latest: Mapping[str, int] = field(default_factory=dict)  # customer -> its latest event time
    known: frozenset[str] = frozenset()  # customers with a (:Customer) node
    by_key: Mapping[str, Click] = field(default_factory=dict)  # stored events by key
    # Customers of the batch with a tombstone (docs/forget.md): their events are skipped.
    forgotten: frozenset[str] = frozenset()


# Stored clicks and markers of customers, from a time on (customer -> epoch ms; the store may
# return more, never less): what can change when events at or after that time arrive.
ReadEvents = Callable[[Mapping[str, int]], Mapping[str, list[Click]]]

# Given the stored state and a way to read stored events, return what to write, with the
# watermark after the batch. It runs inside the transaction and may run again on a retry, so
# it must be a pure function of what it reads.
ComputeBatch = Callable[[StoredState, ReadEvents], BatchWrite]


@dataclass(frozen=True, slots=True)
class ApplyResult:
    clicks_created: int
    paths_created: int
    paths_deleted: int
    paths_closed: int
    watermark_ms: int | None
    # Changes of at-risk states the batch made, written to the outbox (live assist).
    announcements: tuple[Announcement, ...] = ()
    # Stored clicks and markers the batch read to recompute its customers' paths.
    events_read: int = 0
    # Retention: the paths (and their Click nodes) of the step the previous batch started
    # beside this one, and how long this batch waited for that step to finish.
    paths_compacted: int = 0
    clicks_compacted: int = 0
    compact_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Compacted:
    """One step of retention (docs/paths.md, "Retention")."""

    paths: int
    clicks: int
    done: bool  # every path that can be compacted now is


def to_compact(rows: Sequence[tuple[str, int, int]], budget: int) -> int:
    """How many of `rows` (path id, end, clicks; in the order they ended) one step compacts:
    the longest prefix whose clicks fit in `budget`, and at least one path."""
    total = 0
    for taken, (_, _, clicks) in enumerate(rows):
        total += clicks
        if total > budget and taken > 0:
            return taken
    return len(rows)


@dataclass(slots=True)
class Plan:
    """A batch in the shape WRITE_CUSTOMERS (and the marker and segment statements) take."""

    deleted: list[Path]  # rewritten or gone: delete before writing the new versions
    unplaced: list[Click]  # new page clicks no written path holds (never expected)
    pages: list[str]
    customers: list[dict[str, Any]]
    markers: list[dict[str, Any]] = field(default_factory=list)  # new (:Marker) nodes
    # Written paths whose ending marker or segments differ from what their node had.
    endings: list[dict[str, Any]] = field(default_factory=list)  # {path, marker}
    segments: list[dict[str, Any]] = field(default_factory=list)  # {path, segments}
    # Written paths whose searched queries differ from what their node had.
    searches: list[dict[str, Any]] = field(default_factory=list)  # {path, queries}


# Path properties the write statement sets from its own rows rather than from the record.
_NOT_SET: frozenset[str] = frozenset({"id", "customer_id"})


def plan(batch: BatchWrite, known_customers: Collection[str]) -> Plan:
    """`known_customers` have a (:Customer) node (their VISITED counts are added to)."""
    fresh = {c.key: c for c in batch.new_clicks if not c.kind.marker}
    old_by_id = {p.id: p for p in batch.deleted_paths}
    extended: dict[str, list[tuple[Path, Path]]] = defaultdict(list)
    created: dict[str, list[Path]] = defaultdict(list)
    for p in batch.created_paths:
        old = old_by_id.get(p.id)
        if old is not None and grows(old, p):
            extended[p.customer_id].append((old, p))
        else:
            created[p.customer_id].append(p)
    kept = {new.id for rows in extended.values() for _, new in rows}
    deleted = [p for p in batch.deleted_paths if p.id not in kept]

    # Pages by index in sorted order, so a customer's visits sorted by index are by page id.
    pages = sorted({c.page_id for c in fresh.values()})
    page_index = {page: i for i, page in enumerate(pages)}
    fresh_pages: dict[str, set[str]] = {}
    for c in fresh.values():
        fresh_pages.setdefault(c.customer_id, set()).add(c.page_id)
    visits: dict[str, list[list[int]]] = defaultdict(list)
    for (customer, page), n in batch.visited.items():
        if page in fresh_pages.get(customer, ()):
            visits[customer].append([page_index[page], n])

    placed: set[str] = set()

    def path_row(p: Path, keys: Sequence[str]) -> dict[str, Any]:
        """`p` with `keys` (its clicks, or the appended ones) split as the chain takes them:
        new clicks to create, stored ones to find, and `order` interleaving them."""
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
            new.append(
                [
                    key,
                    page_index[c.page_id],
                    c.ts_ms,
                    c.resolved,
                    c.seq,
                    c.referrer_page_id,
                    attribute_list(c),
                    c.query,
                    c.results,
                ]
            )
        return {
            "id": p.id,
            "props": path_properties(p),
            "new": new,
            "stored": stored,
            "order": order if stored else None,
        }

    customers: list[dict[str, Any]] = []
    # A customer whose batch held only markers gets a row when a marker changed a path.
    for customer in sorted(fresh_pages.keys() | extended.keys() | created.keys()):
        known = customer in known_customers
        rows = sorted(visits[customer])
        customers.append(
            {
                "id": customer,
                # Without a Customer node there is no VISITED to add to: create it.
                "newVisits": [] if known else rows,
                "visits": rows if known else [],
                "extended": [
                    path_row(new, new.keys[len(old.keys) :])
                    for old, new in extended.get(customer, ())
                ],
                "paths": [path_row(p, p.keys) for p in created.get(customer, ())],
            }
        )
    unplaced = [c for key, c in fresh.items() if key not in placed]
    written = [(old_by_id.get(new.id), new) for new in batch.created_paths]
    return Plan(
        deleted,
        unplaced,
        pages,
        customers,
        markers=[marker_row(c) for c in batch.new_clicks if c.kind.marker],
        endings=[
            {"path": new.id, "marker": new.ended_by}
            for old, new in written
            if new.ended_by != (old.ended_by if old and new.id in kept else None)
        ],
        segments=[
            {"path": new.id, "segments": list(new.segments)}
            for old, new in written
            if new.segments != (old.segments if old and new.id in kept else ())
        ],
        searches=[
            {"path": new.id, "queries": list(searched(new))}
            for old, new in written
            if searched(new) != (searched(old) if old and new.id in kept else ())
        ],
    )


def searched(path: Path) -> tuple[str, ...]:
    """The distinct queries a path searched, sorted: its (:Query) nodes."""
    return tuple(sorted({q for q in path.queries if q}))


def path_properties(p: Path) -> dict[str, Any]:
    """What a (:Path) node holds: a path without a search has no query lists at all."""
    props = to_properties(p, skip=_NOT_SET)
    if not p.queries:
        props.update(queries=None, resultCounts=None)
    return props


def grows(old: Path, new: Path) -> bool:
    """`new` is `old` with clicks appended: the stored chain stays and is extended."""
    n = len(old.keys)
    return len(new.keys) > n and new.keys[:n] == old.keys


def attribute_list(c: Click) -> list[str] | None:
    """An event's attributes as stored: "key=value" strings, None (no property) if none."""
    return [f"{key}={value}" for key, value in c.attributes] or None


def click_row(c: Click) -> dict[str, Any]:
    return {
        "key": c.key,
        "customer": c.customer_id,
        "page": c.page_id,
        "ts": c.ts_ms,
        "resolved": c.resolved,
        "seq": c.seq,
        "referrer": c.referrer_page_id,
        "attributes": attribute_list(c),
        "query": c.query,
        "results": c.results,
    }


def marker_row(c: Click) -> dict[str, Any]:
    """A (:Marker): an outcome event, stored beside the clicks (docs/graph-model.md)."""
    return {
        "key": c.key,
        "customer": c.customer_id,
        "type": c.kind.value,
        "page": c.page_id or None,
        "ts": c.ts_ms,
        "seq": c.seq,
        "attributes": attribute_list(c),
    }


def delta_row(d: TransitionDelta) -> dict[str, Any]:
    return {"from": d.from_page, "to": d.to_page, "count": d.count, "turnarounds": d.turnarounds}
