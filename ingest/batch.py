"""Turn one Kafka batch of valid clicks into the graph changes it implies.

For every customer in the batch, the customer's paths are recomputed from all of their
clicks (stored + new) and compared with the paths the stored clicks alone give. Only paths
that differ are rewritten, and TRANSITION counts move by the difference. Replays and
duplicates therefore change nothing, and a late event gives exactly what in-order delivery
would have given (docs/paths.md, "Late events").

A click whose event id its customer already used for another click (another page, time or
resolved flag) is rejected, not dropped: the first stored or arrived version is kept and the
caller dead-letters the other (docs/events.md, "Event keys").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from graph_model.assist.store import AssessBatch
from graph_model.path.batch import ApplyResult, BatchWrite, TransitionDelta
from graph_model.path.record import Click, Path, transitions
from graph_model.path.store import PathSink
from ingest.paths import resolve_paths

REUSED_EVENT_ID = "event_id reused with different content"
KEY_CLASH = "event key already used by another customer's click (event_id must be unique)"


@dataclass(frozen=True, slots=True)
class PathRules:
    timeout_ms: int
    quick_ms: int


@dataclass(frozen=True, slots=True)
class Rejected:
    """A valid click the batch does not write, and why (a short, fixed reason)."""

    click: Click
    reason: str


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    result: ApplyResult
    rejected: list[Rejected]  # the caller's Click objects, to find their records by


def same_content(a: Click, b: Click) -> bool:
    """What a click's identity stands for: its page, time and resolved flag (what the derived
    key hashes). The referrer is not part of it."""
    return (a.page_id, a.ts_ms, a.resolved, a.kind) == (b.page_id, b.ts_ms, b.resolved, b.kind)


def accept_clicks(
    batch: Sequence[Click], stored: Mapping[str, list[Click]]
) -> tuple[dict[str, list[Click]], list[Rejected]]:
    """Per customer, the batch's clicks to add, in arrival order, and the ones rejected.

    A key's first version is its stored click, else its first arrival in the batch. A later
    click with that key and the same content is a duplicate (left out, not rejected); with
    other content it is rejected.
    """
    out: dict[str, dict[str, Click]] = {}
    known: dict[str, dict[str, Click]] = {}
    rejected: list[Rejected] = []
    for click in sorted(batch, key=lambda c: c.seq):
        customer = click.customer_id
        if customer not in known:
            known[customer] = {c.key: c for c in stored.get(customer, ())}
        mine = out.setdefault(customer, {})
        first = known[customer].get(click.key) or mine.get(click.key)
        if first is None:
            mine[click.key] = click
        elif not same_content(first, click):
            rejected.append(Rejected(click, REUSED_EVENT_ID))
    return {customer: list(by_key.values()) for customer, by_key in out.items()}, rejected


def key_clashes(clicks: Sequence[Click], stored_owners: Mapping[str, str]) -> dict[int, str]:
    """By index, the clicks whose key another customer's click holds: a stored one (owners by
    key), else the first of `clicks` with that key. Event keys are unique graph-wide."""
    owners = dict(stored_owners)
    for click in clicks:
        owners.setdefault(click.key, click.customer_id)
    return {i: KEY_CLASH for i, c in enumerate(clicks) if owners[c.key] != c.customer_id}


def next_watermark(stored_ms: int | None, accepted: Mapping[str, list[Click]]) -> int | None:
    """The latest accepted click's time, never below the stored watermark."""
    times = [c.ts_ms for clicks in accepted.values() for c in clicks]
    if stored_ms is not None:
        times.append(stored_ms)
    return max(times, default=None)


def compute_batch(
    incoming: Mapping[str, list[Click]],
    stored: Mapping[str, list[Click]],
    watermark_ms: int,
    rules: PathRules,
) -> BatchWrite:
    """What to write so the graph holds the paths of stored + incoming clicks."""
    batch = BatchWrite(watermark_ms=watermark_ms)
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
        for page, count in Counter(c.page_id for c in every if not c.kind.marker).items():
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


def apply_batch(
    sink: PathSink, clicks: Sequence[Click], rules: PathRules, assess: AssessBatch | None = None
) -> BatchOutcome:
    """Write one batch of valid clicks: the sink reads the customers' stored clicks and
    writes what `compute_batch` derives, in one transaction (the worker's write, minus Kafka);
    with `assess`, the paths' at-risk states too (ingest/assist.py). The clicks it rejects are
    returned, not written.
    """
    customers = list(dict.fromkeys(c.customer_id for c in clicks))
    # The transaction may run `compute` more than once (retries): keep the last run's verdict.
    verdict: list[list[Rejected]] = [[]]

    def compute(stored: Mapping[str, list[Click]], stored_watermark: int | None) -> BatchWrite:
        accepted, verdict[0] = accept_clicks(clicks, stored)
        watermark = next_watermark(stored_watermark, accepted)
        if watermark is None:  # an empty graph and nothing accepted
            return BatchWrite()
        return compute_batch(accepted, stored, watermark, rules)

    if assess is None:
        result = sink.apply_clicks(customers, compute)
    else:
        result = sink.apply_clicks(customers, compute, assess)
    return BatchOutcome(result, verdict[0])


def apply_batches(
    sink: PathSink,
    clicks: Sequence[Click],
    rules: PathRules,
    batch_size: int,
    assess: Callable[[], AssessBatch] | None = None,
) -> list[Rejected]:
    """`clicks` in arrival order, in batches as the worker would write them (no Kafka);
    `assess` gives each batch's scorer (live assist), when given."""
    rejected: list[Rejected] = []
    for start in range(0, len(clicks), batch_size):
        part = clicks[start : start + batch_size]
        rejected += apply_batch(sink, part, rules, assess() if assess else None).rejected
    return rejected
