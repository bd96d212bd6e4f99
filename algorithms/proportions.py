"""Tests and intervals of proportions, vectorised (docs/analytics.md, "Series" and
"Changes").

scipy has each of them one call at a time: `binomtest(k, n).proportion_ci("wilson")` and
`fisher_exact` take about 1 ms per call here, while a run tests tens of thousands of
(page, rate, period) cells and one request reads a series of 26 weeks x 5 metrics. So these
are the same formulas over numpy arrays, with scipy's special functions, and
tests/unit/test_proportions.py checks them against those scipy calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import special, stats

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

CONFIDENCE: Final = 0.95
FDR: Final = 0.05


def _ints(values: Sequence[int] | npt.ArrayLike) -> Ints:
    return np.asarray(values, dtype=np.int64)


def wilson(
    successes: npt.ArrayLike, trials: npt.ArrayLike, confidence: float = CONFIDENCE
) -> tuple[Floats, Floats]:
    """Wilson score intervals (Newcombe 1998, as scipy's `proportion_ci(method="wilson")`):
    (low, high) per element; NaN where trials is 0. 0 successes give low = 0 and
    successes = trials give high = 1 exactly, so every interval holds its rate."""
    k, n = np.asarray(successes, dtype=np.float64), np.asarray(trials, dtype=np.float64)
    z = float(special.ndtri(0.5 + 0.5 * confidence))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 2 * (n + z * z)
        center = (2 * n * p + z * z) / denom
        delta = z / denom * np.sqrt(4 * n * p * (1 - p) + z * z)
        low = np.where(k == 0, 0.0, center - delta)
        high = np.where(k == n, 1.0, center + delta)
    # Floating error must not put the rate outside its interval.
    low, high = np.minimum(low, p), np.maximum(high, p)
    empty = n == 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def wilson_one(successes: int, trials: int) -> tuple[float | None, float | None]:
    """`wilson` of one proportion; (None, None) without trials."""
    if trials <= 0:
        return None, None
    low, high = wilson([successes], [trials])
    return float(low[0]), float(high[0])


def two_proportions(
    successes_a: npt.ArrayLike,
    trials_a: npt.ArrayLike,
    successes_b: npt.ArrayLike,
    trials_b: npt.ArrayLike,
) -> Floats:
    """Two-sided p-values of successes_a / trials_a against successes_b / trials_b, per
    element: Fisher's exact test, or the pooled z-test when both sides together have more
    than EXACT_MAX_TRIALS trials."""
    a, na, b, nb = _ints(successes_a), _ints(trials_a), _ints(successes_b), _ints(trials_b)
    if np.any((a < 0) | (b < 0) | (a > na) | (b > nb)):
        raise ValueError("need 0 <= successes <= trials")
    p = np.ones(a.shape, dtype=np.float64)
    large = na + nb > EXACT_MAX_TRIALS
    exact = ~large
    if exact.any():
        p[exact] = fisher_two_sided(a[exact], na[exact], b[exact], nb[exact])
    if large.any():
        p[large] = z_two_sided(a[large], na[large], b[large], nb[large])
    return p


def z_two_sided(a: Ints, na: Ints, b: Ints, nb: Ints) -> Floats:
    """The pooled two-proportion z-test, two-sided (1 where both rates are 0 or 1)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (a + b) / (na + nb)
        se = np.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
        z = np.abs(a / na - b / nb) / se
        p = 2 * stats.norm.sf(z)
    return np.where(se > 0, p, 1.0)


def fisher_two_sided(
    successes_a: npt.ArrayLike,
    trials_a: npt.ArrayLike,
    successes_b: npt.ArrayLike,
    trials_b: npt.ArrayLike,
) -> Floats:
    """Two-sided Fisher exact test of successes_a / trials_a against successes_b / trials_b,
    per element: scipy.stats.fisher_exact([[a, na - a], [b, nb - b]]).pvalue.

    Given the margins, the successes of side a are hypergeometric; the p-value is the sum of
    the probabilities of every table no more likely than the observed one. The log pmf over
    each table's whole support comes from `scipy.special.gammaln`, all tables at once
    (scipy.stats.hypergeom costs about 0.1 ms per value)."""
    a, na, b, nb = _ints(successes_a), _ints(trials_a), _ints(successes_b), _ints(trials_b)
    if np.any((a < 0) | (b < 0) | (a > na) | (b > nb)):
        raise ValueError("need 0 <= successes <= trials")
    p = np.ones(a.shape, dtype=np.float64)
    total, hits = na + nb, a + b
    # A zero row or column: nothing to test (scipy answers 1).
    live = np.flatnonzero((na > 0) & (nb > 0) & (hits > 0) & (hits < total))
    if not live.size:
        return p
    lo, hi = _support(na[live], total[live], hits[live])
    sizes = hi - lo + 1
    # Tables in chunks of at most _CHUNK support values, so memory stays bounded.
    ends = np.cumsum(sizes)
    first = 0
    while first < live.size:
        limit = (ends[first - 1] if first else 0) + _CHUNK
        last = max(first + 1, int(np.searchsorted(ends, limit, side="right")))
        chunk = slice(first, last)
        idx = live[chunk]
        p[idx] = _fisher_chunk(a[idx], na[idx], total[idx], hits[idx], lo[chunk], sizes[chunk])
        first = last
    return p


def _support(draws: Ints, total: Ints, hits: Ints) -> tuple[Ints, Ints]:
    """The values of X (hypergeometric) whose probability can count: the support, cut to
    38 standard deviations either side of the mean (beyond, every probability is below
    1e-300 and adds nothing a double can hold)."""
    lo = np.maximum(0, draws - (total - hits))
    hi = np.minimum(hits, draws)
    share = hits / total
    mean = draws * share
    sd = np.sqrt(draws * share * (1 - share) * (total - draws) / np.maximum(total - 1, 1))
    band = 38 * sd + 1
    lo = np.maximum(lo, np.floor(mean - band).astype(np.int64))
    hi = np.minimum(hi, np.ceil(mean + band).astype(np.int64))
    return lo, hi


_CHUNK: Final = 2_000_000
EXACT_MAX_TRIALS: Final = 10_000
# Tables whose probability is within this factor of the observed one's count as as extreme
# (floating error in the log pmf must not split exact ties; R's fisher.test uses the same).
_TIE: Final = 1e-7


def _fisher_chunk(a: Ints, na: Ints, total: Ints, hits: Ints, lo: Ints, sizes: Ints) -> Floats:
    """Each table's p-value: its support as one flat array (table t holds lo[t] ..
    lo[t] + sizes[t] - 1), the log pmf from its first value by the ratio of consecutive
    probabilities, P(x + 1) / P(x) = (hits - x)(draws - x) / ((x + 1)(total - hits - draws
    + x + 1))."""
    offsets = np.cumsum(sizes) - sizes
    table = np.repeat(np.arange(sizes.size), sizes)
    x = lo[table] + (np.arange(table.size) - offsets[table])
    m, k, n = total[table], hits[table], na[table]
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.log(k - x) + np.log(n - x) - np.log(x + 1) - np.log(m - k - n + x + 1)
    last = offsets + sizes - 1
    step[last] = 0.0  # the step out of a table's last value belongs to no table
    climbed = np.cumsum(step)
    before = np.concatenate(([0.0], climbed))[offsets][table]  # the climb before each table
    log_pmf = _log_hypergeom(lo, total, hits, na)[table] + np.concatenate(([0.0], climbed[:-1]))
    log_pmf -= before
    observed = _log_hypergeom(a, total, hits, na)
    extreme = log_pmf <= observed[table] + np.log1p(_TIE)
    mass = np.where(extreme, np.exp(log_pmf), 0.0)
    return np.minimum(np.add.reduceat(mass, offsets), 1.0)


def _log_hypergeom(x: Ints, total: Ints, hits: Ints, draws: Ints) -> Floats:
    """log P(X = x), X the hits among `draws` drawn from `total` holding `hits`."""
    return _log_choose(hits, x) + _log_choose(total - hits, draws - x) - _log_choose(total, draws)


def _log_choose(n: Ints, k: Ints) -> Floats:
    g = special.gammaln
    return np.asarray(g(n + 1) - g(k + 1) - g(n - k + 1), dtype=np.float64)


def benjamini_hochberg(p_values: npt.ArrayLike) -> Floats:
    """Benjamini-Hochberg adjusted p-values (q-values), in the input order."""
    p = np.asarray(p_values, dtype=np.float64)
    if not p.size:
        return p
    return np.asarray(stats.false_discovery_control(p, method="bh"), dtype=np.float64)
