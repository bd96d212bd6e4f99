"""Per-page figures observed directly in the paths, before any model.

Conventions:
- Page figures count *completed* paths only: an OPEN path may still grow, so its last page is
  neither an exit nor a resolution yet. Every completed path ends in exactly one of a
  resolution, an exit (ABANDONED) or an escalation (ESCALATED) at its last page.
- Transition counts come from *all* paths, OPEN included, like the graph's TRANSITION
  relationships: a click already made is a fact, whatever happens next.
- `mean_clicks_to_resolution`: over resolved paths, each occurrence of the page at position
  i counts n-1-i further clicks up to and including the resolving click (0 when the page is
  itself the resolving page); mean over all those occurrences, repeats within a path
  included (each visit is a starting point, as in the Markov chain).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from graph_model.path.record import Outcome, Path

Transition = tuple[str, str]


@dataclass(frozen=True, slots=True)
class PageObservation:
    page_id: str
    visits: int  # occurrences in completed paths; also the exit opportunities
    entries: int  # completed paths that started here
    exits: int  # ABANDONED paths whose last page it is
    resolutions: int  # RESOLVED paths whose last page it is
    escalations: int  # ESCALATED paths whose last page it is
    turnaround_opportunities: int  # occurrences at 0 < i < n-1 in completed paths
    turnarounds: int  # turnarounds located at it, in completed paths
    mean_clicks_to_resolution: float | None  # None: never seen in a resolved path

    @property
    def exit_rate(self) -> float | None:
        return self.exits / self.visits if self.visits else None

    @property
    def escalation_rate(self) -> float | None:
        return self.escalations / self.visits if self.visits else None

    @property
    def turnaround_rate(self) -> float | None:
        opportunities = self.turnaround_opportunities
        return self.turnarounds / opportunities if opportunities else None


@dataclass(frozen=True, slots=True)
class Observed:
    # Every page seen in any path; a page seen only in OPEN paths has zero figures.
    pages: Mapping[str, PageObservation] = field(repr=False)
    transitions: Mapping[Transition, int] = field(repr=False)  # (from, to) -> clicks, all paths
    resolved_paths: int
    abandoned_paths: int
    open_paths: int
    escalated_paths: int = 0

    @property
    def completed_paths(self) -> int:
        return self.resolved_paths + self.abandoned_paths + self.escalated_paths

    @property
    def site_success_probability(self) -> float | None:
        """Resolved / completed paths (the self-service rate)."""
        return _ratio(self.resolved_paths, self.completed_paths)

    @property
    def site_exit_rate(self) -> float | None:
        pages = self.pages.values()
        return _ratio(sum(p.exits for p in pages), sum(p.visits for p in pages))

    @property
    def site_escalation_rate(self) -> float | None:
        """All escalations / all visits: what escalation hotspots are tested against."""
        pages = self.pages.values()
        return _ratio(sum(p.escalations for p in pages), sum(p.visits for p in pages))

    @property
    def site_turnaround_rate(self) -> float | None:
        pages = self.pages.values()
        return _ratio(
            sum(p.turnarounds for p in pages), sum(p.turnaround_opportunities for p in pages)
        )


def observe(paths: Iterable[Path]) -> Observed:
    visits: Counter[str] = Counter()
    entries: Counter[str] = Counter()
    exits: Counter[str] = Counter()
    resolutions: Counter[str] = Counter()
    escalations: Counter[str] = Counter()
    opportunities: Counter[str] = Counter()
    turnarounds: Counter[str] = Counter()
    clicks_to_resolution: Counter[str] = Counter()  # sum of n-1-i over occurrences
    resolved_visits: Counter[str] = Counter()
    transitions: Counter[Transition] = Counter()
    outcomes: Counter[Outcome] = Counter()
    seen: dict[str, None] = {}  # insertion-ordered set: first-seen order

    for path in paths:
        pages = path.pages
        outcomes[path.outcome] += 1
        seen.update(dict.fromkeys(pages))
        transitions.update(itertools.pairwise(pages))
        if not path.completed:
            continue
        visits.update(pages)
        entries[pages[0]] += 1
        opportunities.update(pages[1:-1])
        turnarounds.update(pages[i] for i in path.turnaround_positions)
        if path.outcome is Outcome.RESOLVED:
            resolutions[path.last_page] += 1
            last = len(pages) - 1
            for i, page in enumerate(pages):
                clicks_to_resolution[page] += last - i
                resolved_visits[page] += 1
        elif path.outcome is Outcome.ESCALATED:
            escalations[path.last_page] += 1
        else:
            exits[path.last_page] += 1

    observations = {
        page: PageObservation(
            page_id=page,
            visits=visits[page],
            entries=entries[page],
            exits=exits[page],
            resolutions=resolutions[page],
            escalations=escalations[page],
            turnaround_opportunities=opportunities[page],
            turnarounds=turnarounds[page],
            mean_clicks_to_resolution=_ratio(clicks_to_resolution[page], resolved_visits[page]),
        )
        for page in seen
    }
    return Observed(
        pages=MappingProxyType(observations),
        transitions=MappingProxyType(dict(transitions)),
        resolved_paths=outcomes[Outcome.RESOLVED],
        abandoned_paths=outcomes[Outcome.ABANDONED],
        open_paths=outcomes[Outcome.OPEN],
        escalated_paths=outcomes[Outcome.ESCALATED],
    )


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None
