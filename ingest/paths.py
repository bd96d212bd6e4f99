"""Customer paths and turnarounds (DESIGN.md sections 3 and 4), as pure functions.

`resolve_paths` is a function of the *set* of a customer's clicks (plus the watermark), never
of their arrival order beyond breaking timestamp ties, so a late event is handled by simply
recomputing the customer's paths with it included.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from ingest.events import ClickEvent

Outcome = Literal["RESOLVED", "ABANDONED", "OPEN"]

DEFAULT_TIMEOUT_MS: Final = 30 * 60 * 1000
DEFAULT_QUICK_MS: Final = 10_000


@dataclass(frozen=True, slots=True)
class Click:
    key: str
    ts_ms: int
    page_id: str
    resolved: bool
    # Arrival order (e.g. the Kafka offset): breaks timestamp ties and picks the FIRST arrival
    # of a duplicated key.
    seq: int


def click_from_event(event: ClickEvent, seq: int) -> Click:
    return Click(event.key, event.ts_ms, event.page_id, event.resolved, seq)


@dataclass(frozen=True, slots=True)
class Turnaround:
    position: int  # 0-based index i in the path's clicks, 0 < i < n-1
    page_id: str  # page B, where the customer turned back
    from_page_id: str  # page A
    quick: bool  # t(i+1) - t(i) < quick threshold


@dataclass(frozen=True, slots=True)
class CustomerPath:
    id: str  # f"{customer_id}:{first click key}"; changes only if a late click becomes first
    customer_id: str
    clicks: tuple[Click, ...]
    outcome: Outcome
    turnarounds: tuple[Turnaround, ...]

    @property
    def start_ms(self) -> int:
        return self.clicks[0].ts_ms

    @property
    def end_ms(self) -> int:
        return self.clicks[-1].ts_ms

    @property
    def length(self) -> int:
        return len(self.clicks)

    @property
    def pages(self) -> tuple[str, ...]:
        return tuple(click.page_id for click in self.clicks)

    @property
    def last_page_id(self) -> str:
        return self.clicks[-1].page_id


def resolve_paths(
    customer_id: str,
    clicks: Iterable[Click],
    *,
    watermark_ms: int,
    timeout_ms: int,
    quick_ms: int = DEFAULT_QUICK_MS,
) -> list[CustomerPath]:
    """All paths of one customer, oldest first (DESIGN section 3)."""
    return [
        CustomerPath(
            f"{customer_id}:{run[0].key}",
            customer_id,
            run,
            outcome,
            find_turnarounds(run, quick_ms),
        )
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
            yield tuple(run), "ABANDONED"
            run = []
        run.append(click)
        if click.resolved:
            yield tuple(run), "RESOLVED"
            run = []
    if run:
        idle_ms = watermark_ms - run[-1].ts_ms
        yield tuple(run), "OPEN" if idle_ms <= timeout_ms else "ABANDONED"


def ordered_clicks(clicks: Iterable[Click]) -> list[Click]:
    """Deduplicated by key (first arrival wins), in (timestamp, arrival) order."""
    first: dict[str, Click] = {}
    for click in clicks:
        seen = first.get(click.key)
        if seen is None or click.seq < seen.seq:
            first[click.key] = click
    return sorted(first.values(), key=lambda click: (click.ts_ms, click.seq))


def find_turnarounds(clicks: Sequence[Click], quick_ms: int) -> tuple[Turnaround, ...]:
    """Turnarounds A->B->A at 0 < i < n-1 (DESIGN section 4); A->A is not one."""
    pages = [click.page_id for click in clicks]
    return tuple(
        Turnaround(i, pages[i], pages[i - 1], clicks[i + 1].ts_ms - clicks[i].ts_ms < quick_ms)
        for i in range(1, len(pages) - 1)
        if pages[i + 1] == pages[i - 1] and pages[i] != pages[i - 1]
    )


def transitions(path: CustomerPath) -> list[tuple[str, str, bool]]:
    """(from_page, to_page, led_to_turnaround) for each consecutive pair of the path.

    The pair at positions (i-1, i) led to a turnaround when one happens at i.
    """
    turned_at = {turn.position for turn in path.turnarounds}
    pairs = itertools.pairwise(path.pages)
    return [(a, b, i in turned_at) for i, (a, b) in enumerate(pairs, start=1)]
