"""The path aggregate: clicks, the paths they form, turnarounds, and path statistics.

Definitions (docs/paths.md): a path is a run of one customer's clicks; its outcome is
RESOLVED, ABANDONED, ESCALATED (an escalation marker ended it) or OPEN; a turnaround at
position i (0 < i < n-1) is p(i+1) = p(i-1) and p(i) != p(i-1), located at page p(i).
Completed paths are RESOLVED + ABANDONED + ESCALATED.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from graph_model.timewindow import ALL_TIME, TimeWindow


class Outcome(StrEnum):
    RESOLVED = "RESOLVED"
    ABANDONED = "ABANDONED"
    ESCALATED = "ESCALATED"  # self-service failed: a ticket, chat or call followed
    OPEN = "OPEN"

    @property
    def completed(self) -> bool:
        return self is not Outcome.OPEN


COMPLETED: Final = frozenset(o for o in Outcome if o.completed)
# Path.result_counts of a step without a reported count.
NO_RESULTS_COUNT: Final = -1


class EventType(StrEnum):
    """What an event is: a page click, or an outcome marker (docs/events.md "Event types")."""

    PAGE_VIEW = "page_view"
    RESOLUTION = "resolution"
    ESCALATION = "escalation"
    # A search of the help center: a click on the search page that carries its query.
    SEARCH = "search"

    @property
    def marker(self) -> bool:
        return self in (EventType.RESOLUTION, EventType.ESCALATION)


@dataclass(frozen=True, slots=True)
class Click:
    """A page click as stored on a (:Click) node."""

    key: str  # event_id, or a hash of (customer, ts, page, resolved)
    customer_id: str
    page_id: str
    ts_ms: int  # epoch milliseconds
    resolved: bool = False
    # Arrival order (the Kafka offset): breaks timestamp ties, and the first arrival of a
    # duplicated key is the one kept.
    seq: int = 0
    referrer_page_id: str | None = None
    # A marker (resolution, escalation) is no page visit; its page_id is informative and
    # "" when the event named no page.
    kind: EventType = EventType.PAGE_VIEW
    attributes: tuple[tuple[str, str], ...] = ()  # (key, value), sorted by key
    # A search: its query as stored (graph_model.search.text) and how many results it
    # showed (None: not reported). None on every other event.
    query: str | None = None
    results: int | None = None


@dataclass(frozen=True, slots=True)
class Path:
    """A (:Path): one customer's run of clicks, in click order (repeats included)."""

    id: str  # "<customer>:<key of its first click>"
    customer_id: str
    start: int  # epoch ms of the first click
    end: int  # epoch ms of the last click
    length: int
    outcome: Outcome
    turnarounds: int
    quick_turnarounds: int
    pages: tuple[str, ...]
    timestamps: tuple[int, ...] = ()
    keys: tuple[str, ...] = ()  # the clicks' keys
    # The key of the marker that ended it (a resolution or escalation event), if one did.
    ended_by: str | None = None
    # Its attributes as "key=value", sorted: the union of its clicks', earliest value first.
    segments: tuple[str, ...] = ()
    # Aligned with `pages` when the path has a search, else empty: each step's query ("" on a
    # step that is no search) and its results count (-1: not reported, or no search). Neo4j
    # lists hold no null, hence "" and -1.
    queries: tuple[str, ...] = ()
    result_counts: tuple[int, ...] = ()

    @staticmethod
    def of(
        customer_id: str,
        clicks: Sequence[Click],
        outcome: Outcome,
        quick_ms: int,
        ended_by: Click | None = None,
    ) -> Path:
        """The path of `clicks` (page clicks in click order, at least one), ended by the
        marker `ended_by` if one did."""
        if not clicks:
            raise ValueError("a path has at least one click")
        pages = tuple(c.page_id for c in clicks)
        times = tuple(c.ts_ms for c in clicks)
        turns = find_turnarounds(pages, times, quick_ms)
        searched = any(c.query is not None for c in clicks)
        return Path(
            id=f"{customer_id}:{clicks[0].key}",
            customer_id=customer_id,
            start=times[0],
            end=times[-1],
            length=len(pages),
            outcome=outcome,
            turnarounds=len(turns),
            quick_turnarounds=sum(t.quick for t in turns),
            pages=pages,
            timestamps=times,
            keys=tuple(c.key for c in clicks),
            ended_by=ended_by.key if ended_by else None,
            segments=segments_of(clicks),
            queries=tuple(c.query or "" for c in clicks) if searched else (),
            result_counts=(
                tuple(NO_RESULTS_COUNT if c.results is None else c.results for c in clicks)
                if searched
                else ()
            ),
        )

    @property
    def completed(self) -> bool:
        return self.outcome.completed

    @property
    def last_page(self) -> str:
        return self.pages[-1]

    @property
    def turnaround_positions(self) -> tuple[int, ...]:
        return turnaround_positions(self.pages)


@dataclass(frozen=True, slots=True)
class PathFilter:
    """Which paths a list holds: started in `window`, in `segment` ("key=value"), ended so,
    through a page."""

    window: TimeWindow = ALL_TIME
    segment: str | None = None
    outcome: Outcome | None = None
    page_id: str | None = None

    def parameters(self) -> dict[str, Any]:
        return {
            "until": self.window.high,
            "segment": self.segment,
            "outcome": None if self.outcome is None else self.outcome.value,
            "page": self.page_id,
        }


EVERY_PATH: Final = PathFilter()


def segments_of(clicks: Iterable[Click]) -> tuple[str, ...]:
    """A path's segments: its clicks' attributes, the earliest click's value winning for a
    key, as sorted "key=value" ids (the (:Segment) ids)."""
    first: dict[str, str] = {}
    for click in clicks:
        for key, value in click.attributes:
            first.setdefault(key, value)
    return tuple(sorted(f"{key}={value}" for key, value in first.items()))


@dataclass(frozen=True, slots=True)
class Turnaround:
    position: int  # 0-based index i in the path, 0 < i < n-1
    page_id: str  # page B, where the customer turned back
    from_page_id: str  # page A
    quick: bool  # t(i+1) - t(i) < the quick threshold


def turnaround_positions(pages: Sequence[str]) -> tuple[int, ...]:
    """Positions of turnarounds A->B->A; A->A->A is not one."""
    return tuple(
        i
        for i in range(1, len(pages) - 1)
        if pages[i + 1] == pages[i - 1] and pages[i] != pages[i - 1]
    )


def find_turnarounds(
    pages: Sequence[str], timestamps: Sequence[int], quick_ms: int
) -> tuple[Turnaround, ...]:
    return tuple(
        Turnaround(i, pages[i], pages[i - 1], timestamps[i + 1] - timestamps[i] < quick_ms)
        for i in turnaround_positions(pages)
    )


def transitions(pages: Sequence[str]) -> list[tuple[str, str, bool]]:
    """(from, to, led_to_turnaround) for each consecutive pair: the pair at positions
    (i-1, i) led to a turnaround when one happens at i."""
    turned_at = set(turnaround_positions(pages))
    pairs = itertools.pairwise(pages)
    return [(a, b, i in turned_at) for i, (a, b) in enumerate(pairs, start=1)]


# ---- statistics -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutcomeStats:
    outcome: Outcome
    paths: int
    mean_length: float | None
    variance_length: float | None  # population variance
    with_turnarounds: int


@dataclass(frozen=True, slots=True)
class PathStats:
    """Lengths and rates over completed paths, population variance; per outcome in
    `by_outcome` (every outcome, in Outcome order). None where a denominator is 0."""

    completed: int
    resolved: int
    abandoned: int
    open: int
    mean_length: float | None
    variance_length: float | None
    turnaround_rate: float | None  # completed paths with a turnaround / completed
    self_service_rate: float | None  # resolved / completed
    by_outcome: tuple[OutcomeStats, ...]
    escalated: int = 0
    escalation_rate: float | None = None  # escalated / completed
    orphan_markers: int = 0  # markers that ended no path (docs/paths.md, rule 6)

    def of(self, outcome: Outcome) -> OutcomeStats:
        return next(o for o in self.by_outcome if o.outcome is outcome)


# Per outcome: (paths, sum of lengths, sum of squared lengths, paths with a turnaround).
OutcomeSums = tuple[int, int, int, int]


def path_stats_from_sums(
    by_outcome: Mapping[Outcome, OutcomeSums], orphan_markers: int = 0
) -> PathStats:
    """Exact integer sums in, means and population variances out (Cypher sums them on the
    server; `path_stats` sums a list of paths)."""
    zero: OutcomeSums = (0, 0, 0, 0)
    per = tuple(
        OutcomeStats(o, n, *_moments(n, s, ss), turned)
        for o in Outcome
        for n, s, ss, turned in [by_outcome.get(o, zero)]
    )
    completed = [by_outcome.get(o, zero) for o in Outcome if o.completed]
    n = sum(c[0] for c in completed)
    mean, variance = _moments(n, sum(c[1] for c in completed), sum(c[2] for c in completed))
    resolved = by_outcome.get(Outcome.RESOLVED, zero)[0]
    escalated = by_outcome.get(Outcome.ESCALATED, zero)[0]
    return PathStats(
        completed=n,
        resolved=resolved,
        abandoned=by_outcome.get(Outcome.ABANDONED, zero)[0],
        open=by_outcome.get(Outcome.OPEN, zero)[0],
        mean_length=mean,
        variance_length=variance,
        turnaround_rate=sum(c[3] for c in completed) / n if n else None,
        self_service_rate=resolved / n if n else None,
        by_outcome=per,
        escalated=escalated,
        escalation_rate=escalated / n if n else None,
        orphan_markers=orphan_markers,
    )


def path_stats(paths: Iterable[Path], orphan_markers: int = 0) -> PathStats:
    sums: dict[Outcome, list[int]] = {o: [0, 0, 0, 0] for o in Outcome}
    for p in paths:
        s = sums[p.outcome]
        s[0] += 1
        s[1] += p.length
        s[2] += p.length * p.length
        s[3] += p.turnarounds > 0
    return path_stats_from_sums(
        {o: (s[0], s[1], s[2], s[3]) for o, s in sums.items()}, orphan_markers
    )


def _moments(n: int, s: int, ss: int) -> tuple[float | None, float | None]:
    if n == 0:
        return None, None
    mean = s / n
    return mean, max(0.0, (ss - s * s / n) / n)
