"""A customer's clicks into paths (docs/paths.md), as pure functions.

`resolve_paths` is a function of the *set* of a customer's clicks (plus the watermark), never
of their arrival order beyond breaking timestamp ties, so a late event is handled by simply
recomputing the customer's paths with it included.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from graph_model.path.record import Click, Outcome, Path


def resolve_paths(
    customer_id: str,
    clicks: Iterable[Click],
    *,
    watermark_ms: int,
    timeout_ms: int,
    quick_ms: int,
) -> list[Path]:
    """All paths of one customer, oldest first."""
    return [
        Path.of(customer_id, run, outcome, quick_ms)
        for run, outcome in _runs(ordered_clicks(clicks), watermark_ms, timeout_ms)
    ]


def _runs(
    ordered: Sequence[Click], watermark_ms: int, timeout_ms: int
) -> Iterator[tuple[tuple[Click, ...], Outcome]]:
    """Split time-ordered clicks into non-empty paths with their outcomes."""
    run: list[Click] = []
    for click in ordered:
        # Strictly greater: a gap of exactly the timeout continues the path.
        if run and click.ts_ms - run[-1].ts_ms > timeout_ms:
            yield tuple(run), Outcome.ABANDONED
            run = []
        run.append(click)
        if click.resolved:
            yield tuple(run), Outcome.RESOLVED
            run = []
    if run:
        idle_ms = watermark_ms - run[-1].ts_ms
        yield tuple(run), Outcome.OPEN if idle_ms <= timeout_ms else Outcome.ABANDONED


def ordered_clicks(clicks: Iterable[Click]) -> list[Click]:
    """Deduplicated by key (first arrival wins), in (timestamp, arrival) order."""
    first: dict[str, Click] = {}
    for click in clicks:
        seen = first.get(click.key)
        if seen is None or click.seq < seen.seq:
            first[click.key] = click
    return sorted(first.values(), key=lambda click: (click.ts_ms, click.seq))
