"""Every page's figures, assembled from the steps of an analysis: the one place that says
which step gives which `PageFigures` field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from algorithms.gds.routes import SuccessRoute
from algorithms.hotspots import RateTest
from algorithms.markov import SuccessChain
from algorithms.observed import Observed
from algorithms.weak_pages import WeakPage
from graph_model.page.record import PageFigures


@dataclass(frozen=True, slots=True)
class PageSteps:
    """The per-page results of an analysis' steps, keyed by page id."""

    observed: Observed
    chain: SuccessChain
    hotspots: Mapping[str, RateTest]
    exits: Mapping[str, RateTest]
    weak: Mapping[str, WeakPage]
    escalations: Mapping[str, RateTest] = field(default_factory=dict)
    page_rank: Mapping[str, float] = field(default_factory=dict)
    path_rank: Mapping[str, float] = field(default_factory=dict)
    fewest: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # route, start first
    likely: Mapping[str, tuple[tuple[str, ...], SuccessRoute]] = field(default_factory=dict)


def page_figures(page: str, s: PageSteps) -> PageFigures:
    obs = s.observed.pages.get(page)
    success = s.chain.pages.get(page)
    hot, exit_test, weak = s.hotspots.get(page), s.exits.get(page), s.weak.get(page)
    escalation = s.escalations.get(page)
    fewest = s.fewest.get(page)
    likely = s.likely.get(page)
    return PageFigures(
        visits=obs.visits if obs else 0,
        entries=obs.entries if obs else 0,
        exits=obs.exits if obs else 0,
        exit_rate=obs.exit_rate if obs else None,
        resolutions=obs.resolutions if obs else 0,
        escalations=obs.escalations if obs else 0,
        escalation_rate=obs.escalation_rate if obs else None,
        turnarounds=obs.turnarounds if obs else 0,
        turnaround_opportunities=obs.turnaround_opportunities if obs else 0,
        turnaround_rate=obs.turnaround_rate if obs else None,
        observed_mean_clicks_to_resolution=obs.mean_clicks_to_resolution if obs else None,
        page_rank=s.page_rank.get(page),
        path_rank=s.path_rank.get(page),
        success_probability=success.success_probability if success else None,
        expected_clicks_to_resolution=success.expected_clicks_to_resolution if success else None,
        escalation_probability=success.escalation_probability if success else None,
        is_hotspot=hot.significant if hot else False,
        hotspot_p_value=hot.p_value if hot else None,
        hotspot_q_value=hot.q_value if hot else None,
        is_high_exit=exit_test.significant if exit_test else False,
        exit_p_value=exit_test.p_value if exit_test else None,
        exit_q_value=exit_test.q_value if exit_test else None,
        is_escalation_hotspot=escalation.significant if escalation else False,
        escalation_p_value=escalation.p_value if escalation else None,
        escalation_q_value=escalation.q_value if escalation else None,
        impact=weak.impact if weak else 0.0,
        weak_reasons=weak.reasons if weak else (),
        success_path_fewest=fewest,
        success_path_fewest_clicks=len(fewest) - 1 if fewest else None,
        success_path_likely=likely[0] if likely else None,
        success_path_likely_clicks=likely[1].clicks if likely else None,
        success_path_likely_probability=likely[1].probability if likely else None,
    )
