"""The funnel aggregate: ordered steps a path may pass, and how many paths did
(docs/analytics.md, "Funnels").

A step is a page id, a page-id pattern (graph_model.funnel.pattern) or an event: a search
(a step on the search page), the path's resolution (the resolving click or resolution
marker) or its escalation (the escalation marker). The unit is the completed path. A path
enters step 1 at its first match and converts to step k+1 at the first match strictly later
in the path than its step-k match and no later than the conversion window after its step-1
match. The resolution and the escalation come after the path's last page (at the time of
the resolving click or of the marker), so "article, then RESOLUTION" converts when the
article's click is the one that resolved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from graph_model.funnel.pattern import to_cypher
from graph_model.path.record import Outcome

MIN_STEPS: Final = 2
MAX_STEPS: Final = 10
# The reserved page of search steps unless the settings name another (PATHRANK_SEARCH_PAGE).
DEFAULT_SEARCH_PAGE: Final = "search"


class FunnelError(ValueError):
    """A funnel the definition does not allow (too few or many steps, a bad window)."""


class FunnelEvent(StrEnum):
    SEARCH = "SEARCH"
    RESOLUTION = "RESOLUTION"
    ESCALATION = "ESCALATION"


_EVENT_OUTCOMES: Final = {
    FunnelEvent.RESOLUTION: Outcome.RESOLVED,
    FunnelEvent.ESCALATION: Outcome.ESCALATED,
}


@dataclass(frozen=True, slots=True)
class FunnelStepSpec:
    """Exactly one of `page_id`, `pattern` and `event`."""

    page_id: str | None = None
    pattern: str | None = None
    event: FunnelEvent | None = None

    def __post_init__(self) -> None:
        if sum(x is not None for x in (self.page_id, self.pattern, self.event)) != 1:
            raise FunnelError("a funnel step is exactly one of a page id, a pattern or an event")

    def describe(self) -> str:
        if self.page_id is not None:
            return self.page_id
        if self.pattern is not None:
            return f"/{self.pattern}/"
        return str(self.event)

    def parameter(self, search_page: str) -> dict[str, Any]:
        """The step as the funnel statement takes it: the page ids it matches ({pages}), a
        Java pattern ({pattern}), or the outcome that ends the path ({outcome})."""
        if self.page_id is not None:
            return {"pages": [self.page_id], "pattern": None, "outcome": None}
        if self.pattern is not None:
            return {"pages": None, "pattern": to_cypher(self.pattern), "outcome": None}
        if self.event is FunnelEvent.SEARCH:
            return {"pages": [search_page], "pattern": None, "outcome": None}
        assert self.event is not None
        return {"pages": None, "pattern": None, "outcome": _EVENT_OUTCOMES[self.event].value}


def checked_steps(steps: Sequence[FunnelStepSpec], within_minutes: int | None) -> None:
    if not MIN_STEPS <= len(steps) <= MAX_STEPS:
        raise FunnelError(f"a funnel has {MIN_STEPS} to {MAX_STEPS} steps, got {len(steps)}")
    if within_minutes is not None and within_minutes <= 0:
        raise FunnelError(
            f"the conversion window is a positive number of minutes, got {within_minutes}"
        )


@dataclass(frozen=True, slots=True)
class DropOff:
    """Paths that reached a step and went no further, by where they went next: the page
    right after their match of the step, or None when the path ended there; and how those
    paths ended."""

    page_id: str | None
    paths: int
    resolved: int
    abandoned: int
    escalated: int


@dataclass(frozen=True, slots=True)
class FunnelStepResult:
    step: FunnelStepSpec
    reached: int
    converted: int  # the last step's: its reached
    median_minutes_to_next: float | None  # over the paths that converted; None for the last
    drop_offs: tuple[DropOff, ...]  # most paths first, then by page id (None last)

    @property
    def dropped(self) -> int:
        return self.reached - self.converted

    @property
    def conversion_rate(self) -> float | None:
        return self.converted / self.reached if self.reached else None


@dataclass(frozen=True, slots=True)
class Funnel:
    steps: tuple[FunnelStepResult, ...]
    paths: int  # completed paths in the window and segment
    within_minutes: int | None


def funnel_from_rows(
    steps: Sequence[FunnelStepSpec],
    within_minutes: int | None,
    rows: Sequence[Mapping[str, Any]],
) -> Funnel:
    """The funnel statement's groups ({step, converted, next, outcome, paths, median}; step
    -1: the paths that entered no step) as a Funnel."""
    reached = [0] * len(steps)
    converted = [0] * len(steps)
    medians: list[float | None] = [None] * len(steps)
    drops: list[dict[str | None, list[int]]] = [{} for _ in steps]
    paths = 0
    for r in rows:
        k, n = int(r["step"]), int(r["paths"])
        if k < 0:
            paths += n
            continue
        if k == 0:
            paths += n
        reached[k] += n
        if r["converted"]:
            converted[k] += n
            if k < len(steps) - 1 and r["median"] is not None:
                medians[k] = float(r["median"])
            continue
        counts = drops[k].setdefault(r["next"], [0, 0, 0])
        outcome = Outcome(r["outcome"])
        counts[(Outcome.RESOLVED, Outcome.ABANDONED, Outcome.ESCALATED).index(outcome)] += n
    return Funnel(
        steps=tuple(
            FunnelStepResult(
                step=spec,
                reached=reached[k],
                converted=converted[k],
                median_minutes_to_next=medians[k],
                drop_offs=tuple(
                    sorted(
                        (DropOff(page, sum(c), *c) for page, c in drops[k].items()),
                        key=lambda d: (-d.paths, d.page_id is None, d.page_id or ""),
                    )
                ),
            )
            for k, spec in enumerate(steps)
        ),
        paths=paths,
        within_minutes=within_minutes,
    )
