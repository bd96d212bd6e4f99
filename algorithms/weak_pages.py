"""Weak pages (docs/analytics.md, section 7): where content changes would help most customers.

impact = visits x max(0, site success probability - page success probability), with visits in
completed paths, the site figure = resolved / completed paths, and the page figure from the
absorbing chain. Reasons:
- TURNAROUND_HOTSPOT, HIGH_EXIT: the page is significant in the section 4 tests;
  ESCALATION_HOTSPOT: in the same test on escalations out of visits (section 10).
- DEAD_END: no path ever resolved here and the page offers no way on. When the site catalog
  declares the page's links, "a way on" is a declared link to another page from which
  customers succeed reasonably often (success probability at least `low_success_ratio` of
  the site's): a page linking only to "Contact support" is a dead end even though a few
  customers leave it by searching. Without declared links, a way
  on is any observed TRANSITION to another page (a refresh A->A is not one). Needs
  `min_visits` visits, so a page seen once or twice is not labelled.
- LOW_SUCCESS: success probability below `low_success_ratio` (default half) of the site's,
  also with at least `min_visits` visits: a fixed ratio rather than any shortfall, because
  impact already ranks small shortfalls; this flags pages that fail badly.
Shortfalls within solver precision (below 1e-9) count as none, so a page exactly as good as the
site is not listed for rounding noise. Only pages with impact > 0 or a reason are listed, by
impact (highest first), then page id.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from algorithms.hotspots import RateTest
from algorithms.markov import SuccessChain
from algorithms.observed import Observed
from graph_model.page.record import WeakReason

MIN_VISITS: Final = 20
_PRECISION: Final = 1e-9
LOW_SUCCESS_RATIO: Final = 0.5


@dataclass(frozen=True, slots=True)
class WeakPage:
    page_id: str
    impact: float
    reasons: tuple[WeakReason, ...]  # in the order of `WeakReason`
    visits: int
    success_probability: float | None  # None: page not in the chain
    site_success_probability: float


def weak_pages(
    observed: Observed,
    chain: SuccessChain,
    hotspots: Iterable[RateTest],
    high_exits: Iterable[RateTest],
    escalations: Iterable[RateTest] = (),
    *,
    min_visits: int = MIN_VISITS,
    low_success_ratio: float = LOW_SUCCESS_RATIO,
    declared_links: Mapping[str, Collection[str]] | None = None,
) -> tuple[WeakPage, ...]:
    site = chain.site_success_probability
    if site is None:  # no completed path: nothing to compare with
        return ()
    hot = {test.page_id for test in hotspots if test.significant}
    exiting = {test.page_id for test in high_exits if test.significant}
    escalating = {test.page_id for test in escalations if test.significant}
    goes_on = _pages_with_a_way_on(observed, chain, declared_links or {}, low_success_ratio * site)

    weak = []
    for page, seen in observed.pages.items():
        success = chain.pages[page].success_probability if page in chain.pages else None
        shortfall = 0.0 if success is None else site - success
        impact = seen.visits * shortfall if shortfall > _PRECISION else 0.0
        enough = seen.visits >= min_visits
        flags: dict[WeakReason, bool] = {
            WeakReason.TURNAROUND_HOTSPOT: page in hot,
            WeakReason.HIGH_EXIT: page in exiting,
            WeakReason.ESCALATION_HOTSPOT: page in escalating,
            WeakReason.DEAD_END: enough and seen.resolutions == 0 and page not in goes_on,
            WeakReason.LOW_SUCCESS: (
                enough and success is not None and success < low_success_ratio * site
            ),
        }
        reasons = tuple(reason for reason, flagged in flags.items() if flagged)
        if impact > 0 or reasons:
            weak.append(WeakPage(page, impact, reasons, seen.visits, success, site))
    weak.sort(key=lambda w: (-w.impact, w.page_id))
    return tuple(weak)


def _pages_with_a_way_on(
    observed: Observed,
    chain: SuccessChain,
    declared: Mapping[str, Collection[str]],
    enough_success: float,
) -> set[str]:
    def succeeds(page: str) -> bool:
        success = chain.pages[page].success_probability if page in chain.pages else None
        return success is not None and success >= enough_success

    observed_way = {a for a, b in observed.transitions if a != b and a not in declared}
    declared_way = {
        page for page, links in declared.items() if any(t != page and succeeds(t) for t in links)
    }
    return observed_way | declared_way
