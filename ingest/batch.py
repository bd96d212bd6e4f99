"""Turn one Kafka batch of valid clicks into the graph changes it implies.

For every customer in the batch, the customer's paths are recomputed from all of
their clicks (stored + new) and compared with the paths the stored clicks alone
give. Only paths that differ are rewritten, and TRANSITION counts move by the
difference. Replays and duplicates therefore change nothing, and a late event
gives exactly what in-order delivery would have given (DESIGN.md section 3).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from graph_model.records import BatchWrite, PathWrite, StoredClick, TransitionDelta
from graph_model.store import ApplyResult, PathGraphStore
from ingest.events import ClickEvent
from ingest.paths import Click, CustomerPath, resolve_paths, transitions


@dataclass(frozen=True, slots=True)
class PathRules:
    timeout_ms: int
    quick_ms: int


@dataclass(frozen=True, slots=True)
class IncomingClick:
    event: ClickEvent
    seq: int  # the Kafka offset: arrival order within the customer's partition


def stored_click(incoming: IncomingClick) -> StoredClick:
    e = incoming.event
    return StoredClick(
        key=e.key,
        customer_id=e.customer_id,
        page_id=e.page_id,
        ts_ms=e.ts_ms,
        resolved=e.resolved,
        seq=incoming.seq,
        referrer_page_id=e.referrer_page_id,
    )


def _click(c: StoredClick) -> Click:
    return Click(key=c.key, ts_ms=c.ts_ms, page_id=c.page_id, resolved=c.resolved, seq=c.seq)


def _path_write(p: CustomerPath) -> PathWrite:
    return PathWrite(
        id=p.id,
        customer_id=p.customer_id,
        click_keys=tuple(c.key for c in p.clicks),
        pages=p.pages,
        start_ms=p.start_ms,
        end_ms=p.end_ms,
        outcome=p.outcome,
        turnarounds=len(p.turnarounds),
        quick_turnarounds=sum(1 for t in p.turnarounds if t.quick),
    )


def _transition_counts(paths: Iterable[CustomerPath]) -> Counter[tuple[str, str, bool]]:
    counts: Counter[tuple[str, str, bool]] = Counter()
    for p in paths:
        counts.update(transitions(p))
    return counts


def new_clicks_by_customer(batch: Sequence[IncomingClick]) -> dict[str, list[StoredClick]]:
    """The batch's clicks per customer, first arrival of each key only."""
    out: dict[str, dict[str, StoredClick]] = {}
    for incoming in sorted(batch, key=lambda i: i.seq):
        by_key = out.setdefault(incoming.event.customer_id, {})
        by_key.setdefault(incoming.event.key, stored_click(incoming))
    return {customer: list(by_key.values()) for customer, by_key in out.items()}


def compute_batch(
    incoming: Mapping[str, list[StoredClick]],
    stored: Mapping[str, list[StoredClick]],
    watermark_ms: int,
    rules: PathRules,
) -> BatchWrite:
    """What to write so the graph holds the paths of stored + incoming clicks."""
    batch = BatchWrite()
    transition_delta: Counter[tuple[str, str, bool]] = Counter()
    for customer, arriving in incoming.items():
        old = stored.get(customer, [])
        known = {c.key for c in old}
        fresh = [c for c in arriving if c.key not in known]
        if not fresh:
            continue  # a replay or duplicate: nothing changes
        batch.new_clicks.extend(fresh)
        # Each stored click converted once; a customer without stored clicks had no paths.
        old_clicks = [_click(c) for c in old]
        every_clicks = old_clicks + [_click(c) for c in fresh]

        def paths(clicks: list[Click], customer: str = customer) -> list[CustomerPath]:
            if not clicks:
                return []
            return resolve_paths(
                customer,
                clicks,
                watermark_ms=watermark_ms,
                timeout_ms=rules.timeout_ms,
                quick_ms=rules.quick_ms,
            )

        before, after = paths(old_clicks), paths(every_clicks)
        before_w = {p.id: _path_write(p) for p in before}
        after_w = {p.id: _path_write(p) for p in after}
        changed_before = [w for pid, w in before_w.items() if after_w.get(pid) != w]
        changed_after = [w for pid, w in after_w.items() if before_w.get(pid) != w]
        batch.deleted_paths.extend(changed_before)
        batch.created_paths.extend(changed_after)
        changed_ids_before = {w.id for w in changed_before}
        changed_ids_after = {w.id for w in changed_after}
        transition_delta.update(_transition_counts(p for p in after if p.id in changed_ids_after))
        transition_delta.subtract(
            _transition_counts(p for p in before if p.id in changed_ids_before)
        )
        for page, count in Counter([c.page_id for c in every_clicks]).items():
            batch.visited[(customer, page)] = count
    batch.transitions.extend(_fold_transitions(transition_delta))
    return batch


def _fold_transitions(delta: Counter[tuple[str, str, bool]]) -> list[TransitionDelta]:
    """(from, to, led_to_turnaround) counts -> one delta per edge with both aggregates."""
    edges: dict[tuple[str, str], list[int]] = {}
    for (source, target, turned), n in delta.items():
        if n == 0:
            continue
        agg = edges.setdefault((source, target), [0, 0])
        agg[0] += n
        if turned:
            agg[1] += n
    return [TransitionDelta(s, t, c, ta) for (s, t), (c, ta) in edges.items() if c or ta]


def apply_batch(
    store: PathGraphStore, clicks: Sequence[IncomingClick], rules: PathRules
) -> ApplyResult:
    """Write one batch of valid clicks: the store reads the customers' stored clicks and
    writes what `compute_batch` derives, in one transaction (the worker's write, minus Kafka).
    """
    incoming = new_clicks_by_customer(clicks)
    return store.apply_clicks(
        list(incoming),
        max(i.event.ts_ms for i in clicks),
        lambda stored, watermark_ms: compute_batch(incoming, stored, watermark_ms, rules),
    )
