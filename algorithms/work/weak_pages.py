"""Weak pages as work: REWRITE_PAGE, or FIX_DEAD_END when the page is a dead end.

A weak page is a finding when it has a reason (docs/analytics.md, "Weak pages"): a
turnaround, exit or escalation hotspot, a dead end, or a low chance of success. A page
weak only by impact (any shortfall below the site's chance of success) is not: it has no
reason a designer could act on. MISLEADING_LINK is the link's finding (FIX_LINK), not the
page's, and so is a turnaround hotspot that the misleading links into the page explain:
without the U-turns that arrived by those links, the page turns customers back no more
often than the site does (one-sided binomial test, p > 0.05).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from scipy import stats

from algorithms.hotspots import RateTest
from algorithms.observed import PageObservation
from algorithms.work.finding import (
    Finding,
    WorkFacts,
    count,
    of,
    per_hundred,
    quoted,
    strongest,
)
from graph_model.page.record import WeakReason
from graph_model.work.record import EvidenceFigure, WorkAction, WorkSubject

EXPLAINED_P: Final = 0.05
# Page findings' precedence for the item's action (algorithms.work.queue).
DEAD_END_FIRST: Final = 0
REWRITE: Final = 2


def findings(facts: WorkFacts) -> Iterable[Finding]:
    tests = {
        WeakReason.TURNAROUND_HOTSPOT: {t.page_id: t for t in facts.hotspots},
        WeakReason.HIGH_EXIT: {t.page_id: t for t in facts.exits},
        WeakReason.ESCALATION_HOTSPOT: {t.page_id: t for t in facts.escalations},
    }
    u_turns_into = _misleading_u_turns(facts)
    site = facts.chain.site_success_probability
    for weak in facts.weak:
        page = weak.page_id
        if page == facts.search_page:
            continue
        seen = facts.observed.pages[page]
        reasons = [r for r in weak.reasons if r is not WeakReason.MISLEADING_LINK]
        if WeakReason.TURNAROUND_HOTSPOT in reasons and _explained(
            seen, u_turns_into.get(page), tests[WeakReason.TURNAROUND_HOTSPOT][page]
        ):
            reasons.remove(WeakReason.TURNAROUND_HOTSPOT)
        if not reasons:
            continue
        figures = tuple(_figure(r, seen, tests, weak.success_probability, site) for r in reasons)
        dead_end = WeakReason.DEAD_END in reasons
        title = facts.title(page)
        yield Finding(
            action=WorkAction.FIX_DEAD_END if dead_end else WorkAction.REWRITE_PAGE,
            subject=WorkSubject(page_id=page),
            title=(f"Give {quoted(title)} a way on" if dead_end else f"Rewrite {quoted(title)}"),
            reason=_sentence(min(reasons, key=_SAID_FIRST.index), figures, seen),
            reasons=tuple(r.value for r in reasons),
            figures=figures,
            q_value=strongest(*(f.q_value for f in figures)),
            precedence=DEAD_END_FIRST if dead_end else REWRITE,
        )


def _misleading_u_turns(facts: WorkFacts) -> dict[str, tuple[int, int]]:
    """Page B -> (U-turns, continuations) of the misleading links into it."""
    into: dict[str, tuple[int, int]] = {}
    for link in facts.misleading:
        u, n = into.get(link.to_page_id, (0, 0))
        into[link.to_page_id] = (u + link.u_turns, n + link.continuations)
    return into


def _explained(seen: PageObservation, misleading: tuple[int, int] | None, test: RateTest) -> bool:
    if misleading is None:
        return False
    u_turns, continuations = misleading
    turns = max(0, seen.turnarounds - u_turns)
    trials = max(0, seen.turnaround_opportunities - continuations)
    if trials == 0:
        return True
    p = stats.binomtest(min(turns, trials), trials, test.site_rate, alternative="greater").pvalue
    return float(p) > EXPLAINED_P


# Which reason the item's sentence tells: tickets first, then what loses customers.
_SAID_FIRST: Final = (
    WeakReason.DEAD_END,
    WeakReason.ESCALATION_HOTSPOT,
    WeakReason.HIGH_EXIT,
    WeakReason.TURNAROUND_HOTSPOT,
    WeakReason.LOW_SUCCESS,
)

# The figures' names, as the dashboard names them.
_NAMES: Final = {
    WeakReason.TURNAROUND_HOTSPOT: "turnarounds per visit",
    WeakReason.HIGH_EXIT: "exits per visit",
    WeakReason.ESCALATION_HOTSPOT: "escalations per visit",
    WeakReason.DEAD_END: "resolutions",
    WeakReason.LOW_SUCCESS: "chance of finding an answer",
}


def _figure(
    reason: WeakReason,
    seen: PageObservation,
    tests: Mapping[WeakReason, Mapping[str, RateTest]],
    success: float | None,
    site: float | None,
) -> EvidenceFigure:
    name = _NAMES[reason]
    test = tests.get(reason, {}).get(seen.page_id)
    if test is not None:
        return EvidenceFigure(
            name, test.rate, test.events, test.trials, test.site_rate, test.q_value
        )
    if reason is WeakReason.DEAD_END:
        return EvidenceFigure(name, 0.0, seen.resolutions, seen.visits)
    return EvidenceFigure(name, success or 0.0, baseline=site)


def _sentence(
    reason: WeakReason, figures: tuple[EvidenceFigure, ...], seen: PageObservation
) -> str:
    figure = next(f for f in figures if f.name == _NAMES[reason])
    events, trials = figure.count or 0, figure.out_of or 0
    site = per_hundred(figure.baseline)
    if reason is WeakReason.ESCALATION_HOTSPOT:
        return (
            f"Customers contacted support right after {of(events, trials)} visits to this "
            f"page (site-wide {site})."
        )
    if reason is WeakReason.TURNAROUND_HOTSPOT:
        return (
            f"Customers turned straight back after {of(events, trials)} visits in the middle "
            f"of a journey (site-wide {site})."
        )
    if reason is WeakReason.HIGH_EXIT:
        return f"Customers gave up and left after {of(events, trials)} visits (site-wide {site})."
    if reason is WeakReason.DEAD_END:
        return (
            f"None of the {count(seen.visits)} visits found an answer here, and the page "
            "offers no good way on."
        )
    return (
        f"Only {per_hundred(figure.value)} customers who reach this page go on to find an "
        f"answer (site-wide {per_hundred(figure.baseline)})."
    )
