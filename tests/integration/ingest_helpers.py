"""Shared helpers for the ingest tests: topics, graph snapshots, the pure reference."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from confluent_kafka import Producer

from graph_model.store import PathGraphStore
from ingest.events import ClickEvent, event_from_record
from ingest.paths import Click, resolve_paths, transitions

TIMEOUT_MS = 30 * 60 * 1000
NOW_MS = 1_900_000_000_000  # validation's "now": far after every test timestamp


def fresh_names() -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    return {
        "PATHRANK_TOPIC": f"clicks-{tag}",
        "PATHRANK_PAGES_TOPIC": f"pages-{tag}",
        "PATHRANK_GROUP": f"group-{tag}",
    }


def produce_raw(
    bootstrap: str, topic: str, records: Iterable[tuple[bytes | None, bytes | None]]
) -> int:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True})
    n = 0
    for key, value in records:
        producer.produce(topic, key=key, value=value)
        n += 1
    assert producer.flush(60) == 0
    return n


def produce_events(bootstrap: str, topic: str, events: Iterable[Mapping[str, Any]]) -> int:
    return produce_raw(
        bootstrap, topic, ((str(e["customer_id"]).encode(), orjson.dumps(e)) for e in events)
    )


@dataclass(frozen=True)
class Snapshot:
    """The parts of the graph DESIGN section 5 defines, in comparable form."""

    paths: frozenset[tuple[str, tuple[str, ...], str, int, int, int]]
    transitions: dict[tuple[str, str], tuple[int, int]]
    visited: dict[tuple[str, str], int]
    clicks: int


def snapshot(store: PathGraphStore) -> Snapshot:
    paths = store.paths()
    for p in paths:  # the FIRST/NEXT/LAST chain walks exactly the path's pages
        assert p.walked_pages == p.pages, p
        assert len(p.click_keys) == p.length
    return Snapshot(
        paths=frozenset(
            (p.customer_id, p.pages, p.outcome, p.start_ms, p.length, p.turnarounds) for p in paths
        ),
        transitions=store.transitions(),
        visited=store.visited(),
        clicks=store.counts().clicks,
    )


def reference(events: Iterable[Mapping[str, Any]], timeout_ms: int = TIMEOUT_MS) -> Snapshot:
    """What DESIGN sections 3-5 say the graph must hold, from the pure functions."""
    parsed: list[ClickEvent] = [event_from_record(e, now_ms=NOW_MS) for e in events]
    watermark = max(e.ts_ms for e in parsed)
    by_customer: dict[str, list[Click]] = defaultdict(list)
    for seq, e in enumerate(parsed):
        by_customer[e.customer_id].append(Click(e.key, e.ts_ms, e.page_id, e.resolved, seq))
    paths = []
    trans: Counter[tuple[str, str]] = Counter()
    turned: Counter[tuple[str, str]] = Counter()
    visited: dict[tuple[str, str], int] = {}
    for customer, clicks in by_customer.items():
        unique = {c.key: c for c in reversed(clicks)}.values()
        for page, n in Counter(c.page_id for c in unique).items():
            visited[(customer, page)] = n
        for p in resolve_paths(customer, clicks, watermark_ms=watermark, timeout_ms=timeout_ms):
            paths.append((customer, p.pages, p.outcome, p.start_ms, p.length, len(p.turnarounds)))
            for a, b, t in transitions(p):
                trans[(a, b)] += 1
                turned[(a, b)] += int(t)
    return Snapshot(
        paths=frozenset(paths),
        transitions={k: (v, turned[k]) for k, v in trans.items()},
        visited=visited,
        clicks=sum(visited.values()),
    )


def load_events(store: PathGraphStore, events: list[Mapping[str, Any]], batch: int = 5000) -> None:
    """Ingest events straight through the store (what the worker does, minus Kafka)."""
    from ingest.batch import IncomingClick, PathRules, apply_batch

    rules = PathRules(timeout_ms=TIMEOUT_MS, quick_ms=10_000)
    for start in range(0, len(events), batch):
        incoming = [
            IncomingClick(event_from_record(e, now_ms=NOW_MS), start + i)
            for i, e in enumerate(events[start : start + batch])
        ]
        apply_batch(store, incoming, rules)
