"""A customer's clicks into paths (docs/paths.md), as pure functions.

`resolve_paths` is a function of the *set* of a customer's clicks (plus the watermark), never
of their arrival order beyond breaking timestamp ties, so a late event is handled by simply
recomputing the customer's paths with it included.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from graph_model.path.record import Click, EventType, Outcome, Path

# What a marker ends a running path as (docs/paths.md, rule 6).
_ENDS = {EventType.RESOLUTION: Outcome.RESOLVED, EventType.ESCALATION: Outcome.ESCALATED}


def resolve_paths(
    customer_id: str,
    clicks: Iterable[Click],
    *,
    watermark_ms: int,
    timeout_ms: int,
    quick_ms: int,
) -> list[Path]:
    """All paths of one customer, oldest first. `clicks` may hold outcome markers: they end
    paths and add no page; a marker that ends none is an orphan (`orphan_markers`)."""
    return [
        Path.of(customer_id, run, outcome, quick_ms, marker)
        for run, outcome, marker in _runs(ordered_clicks(clicks), watermark_ms, timeout_ms)
    ]


def orphan_markers(clicks: Iterable[Click], paths: Iterable[Path]) -> list[Click]:
    """The markers among `clicks` that end none of `paths` (the customer's)."""
    ending = {p.ended_by for p in paths}
    return [c for c in clicks if c.kind.marker and c.key not in ending]


def _runs(
    ordered: Sequence[Click], watermark_ms: int, timeout_ms: int
) -> Iterator[tuple[tuple[Click, ...], Outcome, Click | None]]:
    """Split time-ordered events into non-empty paths of page clicks, each with its outcome
    and the marker that ended it (None if none did)."""
    run: list[Click] = []
    for event in ordered:
        # Strictly greater: a gap of exactly the timeout continues the path.
        if run and event.ts_ms - run[-1].ts_ms > timeout_ms:
            yield tuple(run), Outcome.ABANDONED, None
            run = []
        if event.kind.marker:
            if run:  # it ends the running path; with none running it is an orphan
                yield tuple(run), _ENDS[event.kind], event
                run = []
            continue
        run.append(event)
        if event.resolved:
            yield tuple(run), Outcome.RESOLVED, None
            run = []
    if run:
        idle_ms = watermark_ms - run[-1].ts_ms
        outcome = Outcome.OPEN if idle_ms <= timeout_ms else Outcome.ABANDONED
        yield tuple(run), outcome, None


def ordered_clicks(clicks: Iterable[Click]) -> list[Click]:
    """Deduplicated by key (first arrival wins), in (timestamp, arrival) order."""
    first: dict[str, Click] = {}
    for click in clicks:
        seen = first.get(click.key)
        if seen is None or click.seq < seen.seq:
            first[click.key] = click
    return sorted(first.values(), key=lambda click: (click.ts_ms, click.seq))
