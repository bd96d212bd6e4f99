"""Turn one Kafka batch of valid clicks into the graph changes it implies.

For every customer in the batch, the customer's paths are recomputed from their stored
clicks plus the new ones and compared with the paths the stored clicks alone give. Only paths
that differ are rewritten, and TRANSITION counts move by the difference. Replays and
duplicates therefore change nothing, and a late event gives exactly what in-order delivery
would have given (docs/paths.md, "Late events").

A click whose event id its customer already used for another click (another page, time or
resolved flag) is rejected, not dropped: the first stored or arrived version is kept and the
caller dead-letters the other (docs/events.md, "Event keys"). So is a click too late to be
placed (docs/paths.md, "Allowed lateness").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from graph_model.assist.store import AssessBatch
from graph_model.path.batch import (
    ApplyResult,
    BatchWrite,
    ReadEvents,
    StoredState,
    transition_deltas,
)
from graph_model.path.record import Click, Path
from graph_model.path.store import PathSink
from ingest.paths import resolve_paths

REUSED_EVENT_ID = "event_id reused with different content"
KEY_CLASH = "event key already used by another customer's click (event_id must be unique)"
TOO_LATE = "too late"

DAY_MS = 86_400_000
DEFAULT_ALLOWED_LATENESS_MS = 3 * DAY_MS


@dataclass(frozen=True, slots=True)
class PathRules:
    timeout_ms: int
    quick_ms: int
    # An event more than this behind its customer's latest stored event is too late.
    allowed_lateness_ms: int = DEFAULT_ALLOWED_LATENESS_MS
    # With retention, an event older than the watermark minus this is too late as well
    # (docs/paths.md, "Retention"); None: no retention.
    retention_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    """A valid click the batch does not write, and why (a short, fixed reason)."""

    click: Click
    reason: str


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    result: ApplyResult
    rejected: list[Rejected]  # the caller's Click objects, to find their records by
    forgotten: int = 0  # events of forgotten customers, skipped (docs/forget.md)


def same_content(a: Click, b: Click) -> bool:
    """What a click's identity stands for: its page, time and resolved flag (what the derived
    key hashes), and a search's query and results count. The referrer is not part of it."""
    return (a.page_id, a.ts_ms, a.resolved, a.kind, a.query, a.results) == (
        b.page_id,
        b.ts_ms,
        b.resolved,
        b.kind,
        b.query,
        b.results,
    )


def accept_clicks(
    batch: Sequence[Click], stored: Mapping[str, list[Click]]
) -> tuple[dict[str, list[Click]], list[Rejected]]:
    """Per customer, the batch's clicks to add, in arrival order, and the ones rejected
    (`stored`: the customers' stored clicks; no lateness bound)."""
    by_key = {c.key: c for clicks in stored.values() for c in clicks}
    accepted, rejected, _ = admit(batch, StoredState(None, by_key=by_key), None)
    return accepted, rejected


def admit(
    batch: Sequence[Click], state: StoredState, rules: PathRules | None
) -> tuple[dict[str, list[Click]], list[Rejected], int | None]:
    """Per customer, the batch's new clicks in arrival order; the ones rejected; and the
    watermark after the batch.

    Clicks are taken in arrival order (seq). A key's first version is its stored event, else
    its first arrival in the batch: a later click with that key and the same content is a
    duplicate (left out, not rejected); with other content it is rejected, and so is a key
    another customer holds. With `rules`, a new click is too late when it is more than the
    allowed lateness behind its customer's latest event, or older than the retention horizon
    (the watermark minus the retention), both as they stand at its arrival: stored, or moved
    by the batch's earlier clicks. So the verdicts do not depend on how arrivals are cut
    into batches.
    """
    latest = dict(state.latest)
    watermark = state.watermark_ms
    first: dict[str, Click] = dict(state.by_key)
    out: dict[str, list[Click]] = {}
    rejected: list[Rejected] = []
    for click in sorted(batch, key=lambda c: c.seq):
        customer = click.customer_id
        mine = out.setdefault(customer, [])
        held = first.get(click.key)
        if held is not None:
            if held.customer_id != customer:
                rejected.append(Rejected(click, KEY_CLASH))
            elif not same_content(held, click):
                rejected.append(Rejected(click, REUSED_EVENT_ID))
            continue
        if rules is not None and too_late(click.ts_ms, latest.get(customer), watermark, rules):
            rejected.append(Rejected(click, TOO_LATE))
            continue
        first[click.key] = click
        mine.append(click)
        latest[customer] = max(latest.get(customer, click.ts_ms), click.ts_ms)
        watermark = click.ts_ms if watermark is None else max(watermark, click.ts_ms)
    return out, rejected, watermark


def too_late(ts_ms: int, latest_ms: int | None, watermark_ms: int | None, rules: PathRules) -> bool:
    """More than the allowed lateness behind the customer's latest event, or older than the
    retention horizon (docs/paths.md, "Allowed lateness"). Exactly at a bound is in time."""
    if latest_ms is not None and ts_ms < latest_ms - rules.allowed_lateness_ms:
        return True
    horizon = retention_horizon(watermark_ms, rules)
    return horizon is not None and ts_ms < horizon


def retention_horizon(watermark_ms: int | None, rules: PathRules) -> int | None:
    """The watermark minus the retention: events older than it are too late (None: none)."""
    if watermark_ms is None or rules.retention_ms is None:
        return None
    return watermark_ms - rules.retention_ms


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
    added: list[Path] = []
    removed: list[Path] = []
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
        added.extend(changed_after)
        removed.extend(changed_before)
        for page, count in Counter(c.page_id for c in fresh if not c.kind.marker).items():
            batch.visited[(customer, page)] = count
    batch.transitions.extend(
        transition_deltas((p.pages for p in added), (p.pages for p in removed))
    )
    return batch


def apply_batch(
    sink: PathSink, clicks: Sequence[Click], rules: PathRules, assess: AssessBatch | None = None
) -> BatchOutcome:
    """Write one batch of valid clicks: the sink reads the stored state, `admit` decides
    which clicks are new, the customers' stored events are read and the change is written,
    in one transaction (the worker's write, minus Kafka); with `assess`, the paths' at-risk
    states too (ingest/assist.py). The clicks it rejects are returned, not written.
    """
    customers = list(dict.fromkeys(c.customer_id for c in clicks))
    keys = [c.key for c in clicks]
    # The transaction may run `compute` more than once (retries): keep the last run's verdict.
    verdict: list[list[Rejected]] = [[]]
    skipped = [0]

    def compute(state: StoredState, read_events: ReadEvents) -> BatchWrite:
        # A forgotten customer's events are neither written nor dead-lettered: the dead-letter
        # topic would keep a copy of what the erasure removed.
        kept = [c for c in clicks if c.customer_id not in state.forgotten]
        skipped[0] = len(clicks) - len(kept)
        accepted, verdict[0], watermark = admit(kept, state, rules)
        if watermark is None:  # an empty graph and nothing accepted
            return BatchWrite()
        arriving = {customer: new for customer, new in accepted.items() if new}
        # Only what the new events can change: from the earliest of each customer's.
        stored = read_events({c: min(e.ts_ms for e in new) for c, new in arriving.items()})
        return compute_batch(arriving, stored, watermark, rules)

    if assess is None:
        result = sink.apply_clicks(customers, keys, compute)
    else:
        result = sink.apply_clicks(customers, keys, compute, assess)
    return BatchOutcome(result, verdict[0], skipped[0])


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
    sink.settle()  # the last batch's retention step, before the caller reads the graph
    return rejected
