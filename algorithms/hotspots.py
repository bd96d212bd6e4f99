"""Turnaround hotspots, high-exit pages and escalation hotspots (docs/paths.md, "Turnaround
hotspots"; docs/analytics.md, "Escalation pages").

One test for both: a page's rate (events / trials) against the site-wide rate (all events /
all trials, over every page, tested or not), one-sided binomial test "greater", then
Benjamini-Hochberg over the tested pages only. Pages with too few trials are reported with
their rate but not tested: they neither get a p-value nor take part in the FDR correction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from scipy import stats

from algorithms.observed import Observed

MIN_TRIALS: Final = 20
FDR: Final = 0.05


@dataclass(frozen=True, slots=True)
class RateTest:
    """One page's test. For hotspots: events = turnarounds, trials = opportunities,
    significant = is a hotspot; for high-exit pages: events = exits, trials = visits; for
    escalation hotspots: events = escalations, trials = visits."""

    page_id: str
    events: int
    trials: int
    rate: float
    site_rate: float
    p_value: float | None  # None: fewer than MIN_TRIALS trials, not tested
    q_value: float | None  # Benjamini-Hochberg adjusted p-value
    significant: bool  # q_value <= FDR


def turnaround_hotspots(observed: Observed) -> tuple[RateTest, ...]:
    return rate_tests(
        {p: (o.turnarounds, o.turnaround_opportunities) for p, o in observed.pages.items()}
    )


def high_exit_pages(observed: Observed) -> tuple[RateTest, ...]:
    return rate_tests({p: (o.exits, o.visits) for p, o in observed.pages.items()})


def escalation_hotspots(observed: Observed) -> tuple[RateTest, ...]:
    """Pages after which customers give up on self-service and contact support: escalations
    out of visits against the site's escalations / visits."""
    return rate_tests({p: (o.escalations, o.visits) for p, o in observed.pages.items()})


def rate_tests(
    counts: Mapping[str, tuple[int, int]],
    *,
    min_trials: int = MIN_TRIALS,
    fdr: float = FDR,
) -> tuple[RateTest, ...]:
    """Every page with trials > 0 (events, trials per page), significant ones first,
    then by q-value, then by rate (highest first)."""
    if any(not 0 <= events <= trials for events, trials in counts.values()):
        raise ValueError("need 0 <= events <= trials")
    all_events = sum(events for events, _ in counts.values())
    all_trials = sum(trials for _, trials in counts.values())
    if not all_trials:
        return ()
    site_rate = all_events / all_trials
    tested = [page for page, (_, trials) in counts.items() if trials >= min_trials]
    p_values = [
        float(stats.binomtest(*counts[page], site_rate, alternative="greater").pvalue)
        for page in tested
    ]
    q_values = (
        [float(q) for q in stats.false_discovery_control(p_values, method="bh")] if p_values else []
    )
    tests = dict(zip(tested, zip(p_values, q_values, strict=True), strict=True))

    results = []
    for page, (events, trials) in counts.items():
        if not trials:
            continue
        p_value, q_value = tests.get(page, (None, None))
        significant = q_value is not None and q_value <= fdr
        rate = events / trials
        results.append(
            RateTest(page, events, trials, rate, site_rate, p_value, q_value, significant)
        )
    return tuple(sorted(results, key=_rank))


def _rank(test: RateTest) -> tuple[bool, float, float, str]:
    q_value = 2.0 if test.q_value is None else test.q_value  # untested after every tested
    return (not test.significant, q_value, -test.rate, test.page_id)
