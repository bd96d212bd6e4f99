"""Turn one Kafka batch of valid clicks into the graph changes it implies.

For every customer in the batch, the customer's paths are recomputed from all of their
clicks (stored + new) and compared with the paths the stored clicks alone give. Only paths
that differ are rewritten, and TRANSITION counts move by the difference. Replays and
duplicates therefore change nothing, and a late event gives exactly what in-order delivery
would have given (docs/paths.md, "Late events").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from graph_model.path.batch import ApplyResult, BatchWrite, TransitionDelta
from graph_model.path.record import Click, Path, transitions
from graph_model.path.store import PathSink
from ingest.paths import resolve_paths


@dataclass(frozen=True, slots=True)
class PathRules:
    timeout_ms: int
    quick_ms: int


def new_clicks_by_customer(batch: Sequence[Click]) -> dict[str, list[Click]]:
    """The batch's clicks per customer, first arrival of each key only."""
    out: dict[str, dict[str, Click]] = {}
    for click in sorted(batch, key=lambda c: c.seq):
        out.setdefault(click.customer_id, {}).setdefault(click.key, click)
    return {customer: list(by_key.values()) for customer, by_key in out.items()}


def compute_batch(
    incoming: Mapping[str, list[Click]],
    stored: Mapping[str, list[Click]],
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
        every = old + fresh

        def paths(clicks: list[Click], customer: str = customer) -> list[Path]:
            if not clicks:  # a customer without stored clicks had no paths
                return []
            return resolve_paths(
                customer,
                clicks,
                watermark_ms=watermark_ms,
                timeout_ms=rules.timeout_ms,
                quick_ms=rules.quick_ms,
            )

        before = {p.id: p for p in paths(old)}
        after = {p.id: p for p in paths(every)}
        changed_before = [p for pid, p in before.items() if after.get(pid) != p]
        changed_after = [p for pid, p in after.items() if before.get(pid) != p]
        batch.deleted_paths.extend(changed_before)
        batch.created_paths.extend(changed_after)
        transition_delta.update(_transition_counts(changed_after))
        transition_delta.subtract(_transition_counts(changed_before))
        for page, count in Counter(c.page_id for c in every).items():
            batch.visited[(customer, page)] = count
    batch.transitions.extend(_fold_transitions(transition_delta))
    return batch


def _transition_counts(paths: Iterable[Path]) -> Counter[tuple[str, str, bool]]:
    counts: Counter[tuple[str, str, bool]] = Counter()
    for p in paths:
        counts.update(transitions(p.pages))
    return counts


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


def apply_batch(sink: PathSink, clicks: Sequence[Click], rules: PathRules) -> ApplyResult:
    """Write one batch of valid clicks: the sink reads the customers' stored clicks and
    writes what `compute_batch` derives, in one transaction (the worker's write, minus Kafka).
    """
    incoming = new_clicks_by_customer(clicks)
    return sink.apply_clicks(
        list(incoming),
        max(c.ts_ms for c in clicks),
        lambda stored, watermark_ms: compute_batch(incoming, stored, watermark_ms, rules),
    )


def apply_batches(
    sink: PathSink, clicks: Sequence[Click], rules: PathRules, batch_size: int
) -> None:
    """`clicks` in arrival order, in batches as the worker would write them (no Kafka)."""
    for start in range(0, len(clicks), batch_size):
        apply_batch(sink, clicks[start : start + batch_size], rules)
