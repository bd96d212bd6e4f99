"""Turnaround hotspots and high-exit pages (algorithms.hotspots)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from algorithms.hotspots import (
    RateTest,
    escalation_hotspots,
    high_exit_pages,
    rate_tests,
    turnaround_hotspots,
)
from algorithms.observed import observe
from tests.paths import path_of


def by_page(tests: tuple[RateTest, ...]) -> dict[str, RateTest]:
    return {test.page_id: test for test in tests}


def test_binomial_p_value_by_hand() -> None:
    # H: 8 of 20; L: 2 of 80. Site rate = 10 / 100 = 0.1.
    tests = by_page(rate_tests({"H": (8, 20), "L": (2, 80)}))
    h, low = tests["H"], tests["L"]
    assert h.site_rate == low.site_rate == 0.1
    # P(X >= 8) for X ~ Binomial(20, 0.1)
    by_hand = sum(math.comb(20, k) * 0.1**k * 0.9 ** (20 - k) for k in range(8, 21))
    assert by_hand == pytest.approx(4.1563501884547615e-04)
    assert h.p_value == pytest.approx(by_hand, rel=1e-9)
    # P(X >= 2) for X ~ Binomial(80, 0.1) = 1 - 0.9^80 - 80 * 0.1 * 0.9^79
    assert low.p_value == pytest.approx(1 - 0.9**80 - 8 * 0.9**79, rel=1e-9)
    # BH with m = 2: q(H) = 2 * p(H) (smallest p), q(L) = p(L)
    assert h.q_value == pytest.approx(2 * by_hand, rel=1e-9)
    assert low.q_value == pytest.approx(low.p_value, rel=1e-9)
    assert (h.rate, h.events, h.trials, h.significant) == (0.4, 8, 20, True)
    assert low.significant is False


def benjamini_hochberg(p_values: list[float]) -> list[float]:
    """q_(i) = min over j >= i of p_(j) * m / j, in the original order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    q = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * m / rank)
        q[i] = running
    return q


def test_p_and_q_values_match_scipy_and_a_plain_bh() -> None:
    counts = {"A": (9, 30), "B": (5, 25), "C": (2, 40), "D": (12, 50), "E": (3, 20)}
    tests = by_page(rate_tests(counts))
    site = 31 / 165
    expected_p = {
        page: stats.binomtest(k, n, site, alternative="greater").pvalue
        for page, (k, n) in counts.items()
    }
    expected_q = dict(zip(counts, benjamini_hochberg([expected_p[p] for p in counts]), strict=True))
    scipy_q = stats.false_discovery_control([expected_p[p] for p in counts], method="bh")
    assert list(expected_q.values()) == pytest.approx(list(scipy_q))
    for page in counts:
        assert tests[page].site_rate == pytest.approx(site)
        assert tests[page].p_value == pytest.approx(expected_p[page])
        assert tests[page].q_value == pytest.approx(expected_q[page])
        assert tests[page].significant == (expected_q[page] <= 0.05)


def test_pages_below_twenty_trials_are_not_tested() -> None:
    counts = {"H": (8, 20), "L": (2, 80)}
    with_small = {**counts, "S": (19, 19), "T": (0, 5)}
    tests = by_page(rate_tests(with_small))
    small = tests["S"]
    assert (small.rate, small.p_value, small.q_value, small.significant) == (1.0, None, None, False)
    # Untested pages count towards the site rate, but not towards m in Benjamini-Hochberg.
    assert tests["H"].site_rate == pytest.approx(29 / 124)
    alone = by_page(rate_tests({"H": (8, 20), "L": (2, 80), "X": (19, 104)}))  # same site rate
    assert tests["H"].q_value != alone["H"].q_value  # X is tested: m = 3
    p_value = tests["H"].p_value
    assert p_value is not None
    assert tests["H"].q_value == pytest.approx(2 * p_value)  # m = 2


def test_exactly_twenty_trials_are_tested() -> None:
    tests = by_page(rate_tests({"A": (1, 20), "B": (1, 19)}))
    assert tests["A"].p_value is not None
    assert tests["B"].p_value is None


def test_min_trials_is_a_setting() -> None:
    tests = by_page(rate_tests({"A": (1, 5), "B": (0, 4)}, min_trials=5))
    assert tests["A"].p_value is not None
    assert tests["B"].p_value is None


def test_order_significant_first_then_by_q_value() -> None:
    counts = {
        "low": (1, 100),
        "mid": (15, 40),
        "top": (20, 30),
        "small": (5, 5),
        "none": (0, 0),
        "base": (10, 200),
    }
    tests = rate_tests(counts)
    assert [t.page_id for t in tests] == ["top", "mid", "base", "low", "small"]  # no 0-trial page
    assert [t.significant for t in tests] == [True, True, False, False, False]
    q_values = [t.q_value for t in tests if t.q_value is not None]
    assert q_values == sorted(q_values)


@given(
    st.dictionaries(
        st.text("abc", min_size=1, max_size=2),
        st.integers(0, 60).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
        max_size=8,
    )
)
def test_bh_never_lowers_p_values_and_keeps_their_order(
    counts: dict[str, tuple[int, int]],
) -> None:
    tested = [
        (t.p_value, t.q_value, t.significant)
        for t in rate_tests(counts)
        if t.p_value is not None and t.q_value is not None
    ]
    for p_value, q_value, is_significant in tested:
        assert p_value <= q_value + 1e-12
        assert is_significant == (q_value <= 0.05)
    q_by_p = [q for _, q, _ in sorted(tested)]
    assert q_by_p == sorted(q_by_p)
    assert len(tested) == sum(trials >= 20 for _, trials in counts.values())


def test_no_trials_no_tests() -> None:
    assert rate_tests({}) == ()
    assert rate_tests({"A": (0, 0)}) == ()


def test_impossible_counts_are_rejected() -> None:
    with pytest.raises(ValueError, match="events <= trials"):
        rate_tests({"A": (3, 2)})


def test_hotspots_and_high_exits_from_paths() -> None:
    # 30 paths A B A C resolved: B is turned back on every time (30 of 30 opportunities);
    # 70 paths A C D A resolved: no turnaround anywhere. 30 paths A E abandoned: E always exits.
    paths = (
        [path_of("ABAC", "RESOLVED")] * 30
        + [path_of("ACDA", "RESOLVED")] * 70
        + [path_of("AE", "ABANDONED")] * 30
    )
    observed = observe(paths)
    hot = by_page(turnaround_hotspots(observed))
    assert (hot["B"].events, hot["B"].trials, hot["B"].significant) == (30, 30, True)
    # opportunities: B 30 + A 30 (ABAC) + C 70 + D 70 (ACDA) = 200; 30 turnarounds
    assert hot["B"].site_rate == pytest.approx(30 / 200)
    assert not any(t.significant for page, t in hot.items() if page != "B")
    exits = by_page(high_exit_pages(observed))
    assert (exits["E"].events, exits["E"].trials, exits["E"].significant) == (30, 30, True)
    # visits: 120 (ABAC) + 280 (ACDA) + 60 (AE) = 460; 30 exits
    assert exits["E"].site_rate == pytest.approx(30 / 460)
    assert [t.page_id for t in high_exit_pages(observed) if t.significant] == ["E"]


def test_escalation_hotspots_from_paths() -> None:
    # 40 paths A T escalated after T (a ticket page: 40 escalations of 40 visits); 20 paths
    # A S escalated after S, 60 A S resolved on S (20 of 80); 100 A R resolved; 5 A X
    # escalated after X (5 of 5: too few visits to test).
    paths = (
        [path_of("AT", "ESCALATED")] * 40
        + [path_of("AS", "ESCALATED")] * 20
        + [path_of("AS", "RESOLVED")] * 60
        + [path_of("AR", "RESOLVED")] * 100
        + [path_of("AX", "ESCALATED")] * 5
    )
    tests = by_page(escalation_hotspots(observe(paths)))
    # visits: A 225, T 40, S 80, R 100, X 5 = 450; escalations 65
    assert tests["T"].site_rate == pytest.approx(65 / 450)
    assert (tests["T"].events, tests["T"].trials, tests["T"].significant) == (40, 40, True)
    assert (tests["S"].events, tests["S"].trials) == (20, 80)
    assert (tests["X"].rate, tests["X"].p_value, tests["X"].significant) == (1.0, None, False)
    assert (tests["A"].events, tests["A"].significant) == (0, False)
    # S: 20 of 80 against 65/450, one-sided binomial p summed by hand; 4 pages tested
    # (A, T, S, R), S ranks second: q = p * 4 / 2 = 0.0176, significant
    p_s = sum(math.comb(80, k) * (65 / 450) ** k * (385 / 450) ** (80 - k) for k in range(20, 81))
    assert tests["S"].p_value == pytest.approx(p_s)
    assert tests["S"].q_value == pytest.approx(p_s * 2)
    significant = [t.page_id for t in escalation_hotspots(observe(paths)) if t.significant]
    assert significant == ["T", "S"]
