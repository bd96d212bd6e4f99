"""The vectorised tests and intervals against scipy's own one-at-a-time calls."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from algorithms.proportions import (
    benjamini_hochberg,
    fisher_two_sided,
    two_proportions,
    wilson,
    wilson_one,
    z_two_sided,
)
from tests.tiers import examples


def scipy_fisher(a: int, na: int, b: int, nb: int) -> float:
    return float(stats.fisher_exact([[a, na - a], [b, nb - b]]).pvalue)


def test_fisher_equals_scipy_on_random_tables() -> None:
    rng = np.random.default_rng(7)
    n = 1500
    na, nb = rng.integers(0, 400, n), rng.integers(0, 1600, n)
    rate = rng.random(n)
    a = rng.binomial(na, rate)
    b = rng.binomial(nb, np.clip(rate + rng.normal(0, 0.08, n), 0, 1))
    a[:40], b[40:80] = 0, nb[40:80]  # empty and full sides
    got = fisher_two_sided(a, na, b, nb)
    want = np.array([scipy_fisher(*map(int, t)) for t in zip(a, na, b, nb, strict=True)])
    tiny = want < 1e-290  # below what a double's tail sum can hold
    np.testing.assert_allclose(got[~tiny], want[~tiny], rtol=1e-8, atol=1e-13)
    assert np.all(got[tiny] < 1e-280)


@settings(max_examples=examples(300), deadline=None)
@given(
    na=st.integers(0, 60),
    nb=st.integers(0, 60),
    fa=st.floats(0, 1),
    fb=st.floats(0, 1),
)
def test_fisher_equals_scipy_on_small_tables(na: int, nb: int, fa: float, fb: float) -> None:
    a, b = round(na * fa), round(nb * fb)
    [got] = fisher_two_sided([a], [na], [b], [nb])
    assert got == pytest.approx(scipy_fisher(a, na, b, nb), rel=1e-9, abs=1e-14)


def test_symmetric_tables_count_their_exact_ties() -> None:
    # 5 of 10 against 5 of 10 is the mode: p = 1; 0 of 10 against 10 of 10 is the most extreme
    assert fisher_two_sided([5, 0], [10, 10], [5, 10], [10, 10]) == pytest.approx(
        [1.0, scipy_fisher(0, 10, 10, 10)]
    )


def test_z_test_above_the_exact_limit() -> None:
    p = two_proportions([3000, 100], [6000, 200], [2600, 110], [6000, 200])
    z = (3000 / 6000 - 2600 / 6000) / np.sqrt(0.4667 * 0.5333 * (2 / 6000))
    assert p[0] == pytest.approx(2 * stats.norm.sf(z), rel=1e-3)  # 12,000 trials: z-test
    assert p[1] == pytest.approx(scipy_fisher(100, 200, 110, 200))  # 400 trials: exact
    assert z_two_sided(np.array([0]), np.array([50]), np.array([0]), np.array([50]))[0] == 1.0


def test_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError, match="successes"):
        fisher_two_sided([5], [4], [0], [1])


def test_wilson_equals_scipy_and_holds_its_rate() -> None:
    rng = np.random.default_rng(3)
    trials = rng.integers(1, 500, 400)
    successes = rng.binomial(trials, rng.random(400))
    successes[:20], successes[20:40] = 0, trials[20:40]
    low, high = wilson(successes, trials)
    for k, n, lo, hi in zip(successes, trials, low, high, strict=True):
        ci = stats.binomtest(int(k), int(n)).proportion_ci(method="wilson")
        assert (lo, hi) == pytest.approx((ci.low, ci.high), abs=1e-12)
        assert lo <= k / n <= hi
    assert wilson_one(0, 0) == (None, None)
    assert wilson_one(0, 10)[0] == 0.0
    assert wilson_one(10, 10)[1] == 1.0


def test_benjamini_hochberg() -> None:
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.5])
    # sorted p 0.01, 0.03, 0.04, 0.5: m p / rank = 0.04, 0.06, 0.0533, 0.5, then the running min
    np.testing.assert_allclose(q, [0.04, 0.0533333, 0.0533333, 0.5], rtol=1e-5)
    assert benjamini_hochberg([]).size == 0
