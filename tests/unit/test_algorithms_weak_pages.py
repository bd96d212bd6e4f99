"""Weak pages (algorithms.weak_pages)."""

from __future__ import annotations

import pytest

from algorithms.hotspots import (
    RateTest,
    escalation_hotspots,
    high_exit_pages,
    turnaround_hotspots,
)
from algorithms.markov import PageSuccess, SuccessChain, success_chain
from algorithms.observed import observe
from algorithms.weak_pages import weak_pages
from graph_model.path.record import Path
from tests.paths import path_of


def paths(*specs: tuple[str, str, int]) -> list[Path]:
    return [path_of(pages, outcome) for pages, outcome, n in specs for _ in range(n)]


def significant(page: str) -> RateTest:
    return RateTest(page, 10, 20, 0.5, 0.1, 1e-4, 1e-3, significant=True)


def test_impact_and_reasons_by_hand() -> None:
    # S G resolved 3 times; S W abandoned once. Site success = 3 / 4.
    # Chain: G resolves (1), W exits (0), S goes to G 3 times in 4 (3/4).
    observed = observe(paths(("SG", "RESOLVED", 3), ("SW", "ABANDONED", 1)))
    chain = success_chain(observed)
    weak = weak_pages(observed, chain, [significant("S")], [significant("W")], min_visits=1)
    w, s = weak  # G resolves every time: not listed
    # W: 1 visit x (3/4 - 0); no way on and never resolved: a dead end; 0 < 1/2 x 3/4
    assert (w.page_id, w.visits, w.success_probability, w.site_success_probability) == (
        "W",
        1,
        0.0,
        0.75,
    )
    assert w.impact == pytest.approx(0.75)
    assert w.reasons == ("HIGH_EXIT", "DEAD_END", "LOW_SUCCESS")
    # S: exactly as good as the site, so impact 0 (not rounding noise), but a hotspot
    assert (s.page_id, s.visits, s.impact, s.reasons) == ("S", 4, 0.0, ("TURNAROUND_HOTSPOT",))
    assert s.success_probability == pytest.approx(0.75)


def test_impact_ranks_pages() -> None:
    # Completed 10, resolved 6: site success 0.6.
    observed = observe(
        paths(
            ("R", "RESOLVED", 5),
            ("X", "ABANDONED", 2),  # X: 2 visits, success 0 -> impact 2 x 0.6 = 1.2
            ("YR", "RESOLVED", 1),  # Y: to R, exit, to Z (which exits): success 1/3,
            ("Y", "ABANDONED", 1),  # 3 visits -> impact 3 x (0.6 - 1/3) = 0.8
            ("YZ", "ABANDONED", 1),  # Z: 1 visit, success 0 -> impact 0.6
        )
    )
    weak = weak_pages(observed, success_chain(observed), [], [], min_visits=1)
    assert [w.page_id for w in weak] == ["X", "Y", "Z"]  # R succeeds: not listed
    assert [w.impact for w in weak] == pytest.approx([1.2, 0.8, 0.6])
    assert weak[1].success_probability == pytest.approx(1 / 3)


def test_dead_end_needs_min_visits_and_ignores_refreshes() -> None:
    # D is refreshed (D -> D) and then left, 20 times; it never leads anywhere else.
    observed = observe(paths(("SDD", "ABANDONED", 20), ("SR", "RESOLVED", 20)))
    chain = success_chain(observed)
    reasons = {w.page_id: w.reasons for w in weak_pages(observed, chain, [], [])}
    assert reasons["D"] == ("DEAD_END", "LOW_SUCCESS")  # 40 visits >= 20
    fewer = {w.page_id: w.reasons for w in weak_pages(observed, chain, [], [], min_visits=41)}
    assert fewer["D"] == ()  # still listed: impact > 0


def test_a_page_that_goes_on_is_no_dead_end() -> None:
    # D is left 20 times and goes on to R once; S resolves directly 20 times. Site: 21/41.
    observed = observe(
        paths(("SD", "ABANDONED", 20), ("SDR", "RESOLVED", 1), ("SR", "RESOLVED", 20))
    )
    weak = {w.page_id: w for w in weak_pages(observed, success_chain(observed), [], [])}
    assert weak["D"].success_probability == pytest.approx(1 / 21)
    assert weak["D"].reasons == ("LOW_SUCCESS",)  # 1/21 < 1/2 x 21/41, but not a dead end
    assert weak["D"].impact == pytest.approx(21 * (21 / 41 - 1 / 21))


def test_low_success_uses_half_the_site_rate() -> None:
    # Site success 28 / 56 = 1/2. A page at 1/5 (< 1/4) is low; one at 2/5 is not.
    observed = observe(
        paths(
            ("R", "RESOLVED", 16),
            ("LR", "RESOLVED", 4),
            ("LE", "ABANDONED", 16),  # L: success 4/20 = 1/5; E exits
            ("MR", "RESOLVED", 8),
            ("MF", "ABANDONED", 12),  # M: success 8/20 = 2/5
        )
    )
    weak = {w.page_id: w for w in weak_pages(observed, success_chain(observed), [], [])}
    assert weak["L"].reasons == ("LOW_SUCCESS",)
    assert weak["M"].reasons == ()  # listed for its impact only
    assert weak["M"].impact == pytest.approx(20 * (0.5 - 0.4))
    stricter = weak_pages(observed, success_chain(observed), [], [], low_success_ratio=0.9)
    assert {w.page_id: w.reasons for w in stricter}["M"] == ("LOW_SUCCESS",)  # 2/5 < 0.45


def test_an_escalation_hotspot_is_a_weak_reason() -> None:
    observed = observe(
        paths(("AT", "ESCALATED", 30), ("AR", "RESOLVED", 70), ("AS", "RESOLVED", 30))
    )
    chain = success_chain(observed)
    weak = weak_pages(observed, chain, [], [], escalation_hotspots(observed))
    by_page = {w.page_id: w for w in weak}
    # T: 30 escalations of 30 visits; success 0 against the site's 100 / 130
    assert by_page["T"].reasons == ("ESCALATION_HOTSPOT", "DEAD_END", "LOW_SUCCESS")
    assert by_page["T"].impact == pytest.approx(30 * 100 / 130)
    assert {"S", "R"}.isdisjoint(by_page)


def test_rounding_noise_is_no_impact() -> None:
    observed = observe(paths(("SG", "RESOLVED", 3), ("SW", "ABANDONED", 1)))
    exact = success_chain(observed)
    noisy = SuccessChain(
        {**exact.pages, "S": PageSuccess("S", 0.75 - 1e-15, 0.25 + 1e-15, 1.0)}, 0.75
    )
    listed = {w.page_id for w in weak_pages(observed, noisy, [], [], min_visits=1)}
    assert listed == {"W"}


def test_with_real_tests_and_no_completed_paths() -> None:
    observed = observe(paths(("ABA", "OPEN", 3)))
    chain = success_chain(observed)
    assert chain.site_success_probability is None
    hot, exits = turnaround_hotspots(observed), high_exit_pages(observed)
    assert weak_pages(observed, chain, hot, exits) == ()
