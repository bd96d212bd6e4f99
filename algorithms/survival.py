"""Time to resolution (docs/analytics.md, section 16): how likely a journey has resolved within
t minutes, or within k clicks, with unfinished journeys counted honestly.

A path is an observation: RESOLVED is the event of interest; every other ending (ABANDONED,
ESCALATED) is a competing event (after it, resolution can no longer happen in that path);
OPEN paths are censored at their last click (they may still resolve). With competing events
the Kaplan-Meier complement overstates resolution, so the estimate is the cumulative
incidence (Aalen-Johansen):

    CIF(t) = sum over event times t_j <= t of S(t_j-) x d_res(t_j) / n(t_j)

with S the Kaplan-Meier survival of "no event of any kind yet" (S(t) = product over t_j <= t
of 1 - d(t_j) / n(t_j)), n(t_j) the paths still at risk just before t_j, d(t_j) the events of
any kind at t_j and d_res(t_j) the resolutions. A path censored at t_j is at risk at t_j.
Without censoring CIF(t) is exactly the share of paths resolved by t.

Its variance is the delta-method estimate (Marubini and Valsecchi 1995; Collett, "Modelling
Survival Data in Medical Research", 3rd ed., p. 411, as lifelines has it), summed with prefix
sums so that a curve of m event times costs O(m). The 95% interval is Collett's, on the
log(-log) scale, so it stays inside [0, 1].

lifelines' Aalen-Johansen fitter, the obvious library, breaks tied times with random jitter
(clicks are all ties) and walks its event table row by row; this is exact on ties.

The median time (or clicks) to resolution is the first t where CIF reaches half of its final
value: the time by which half of the journeys that resolve have resolved. None when nothing
resolves.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import numpy as np
import numpy.typing as npt

Z95: Final = 1.959963984540054
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class Ending(StrEnum):
    RESOLVED = "RESOLVED"  # the event of interest
    COMPETING = "COMPETING"  # not resolved (abandoned, escalated): resolution cannot happen
    CENSORED = "CENSORED"  # still open: may yet resolve


@dataclass(frozen=True, slots=True)
class Observation:
    duration: float  # minutes, or clicks, from the path's start to its ending
    ending: Ending


@dataclass(frozen=True, slots=True)
class IncidencePoint:
    at: float  # an event time (minutes or clicks)
    at_risk: int  # paths still under observation just before it
    resolved: int  # resolutions at it
    incidence: float  # P(resolved by `at`)
    low: float
    high: float
    survival: float  # Kaplan-Meier: P(no ending of any kind by `at`)


@dataclass(frozen=True, slots=True)
class Curve:
    """The estimate as arrays, one entry per distinct event time (ascending)."""

    at: FloatArray
    at_risk: IntArray  # just before `at`
    resolved: IntArray  # resolutions at `at`
    incidence: FloatArray
    low: FloatArray
    high: FloatArray
    survival: FloatArray
    observations: int

    @property
    def median(self) -> float | None:
        """The first event time where the incidence reaches half of its final value."""
        if not len(self.at) or self.incidence[-1] <= 0:
            return None
        half = self.incidence[-1] / 2
        return float(self.at[int(np.argmax(self.incidence >= half - 1e-12))])

    def sampled(self, grid: FloatArray) -> tuple[FloatArray, IntArray]:
        """For each time of `grid` (ascending) at or after the first event, the index of the
        last event time at or before it; grid times where that index does not change are
        left out (a step function holds its value until its next point)."""
        j = np.searchsorted(self.at, grid, side="right") - 1
        keep = j >= 0
        keep[1:] &= j[1:] != j[:-1]
        return grid[keep], j[keep]


def estimate(durations: FloatArray, resolved: BoolArray, censored: BoolArray) -> Curve:
    """The cumulative incidence of resolution, from each path's duration and ending (neither
    resolved nor censored: a competing ending)."""
    n = len(durations)
    times, index = np.unique(durations, return_inverse=True)
    index = index.ravel()
    leaving = np.bincount(index, minlength=len(times))  # everything that ends at each time
    d = np.bincount(index, weights=~censored, minlength=len(times)).round().astype(np.int64)
    d_res = np.bincount(index, weights=resolved, minlength=len(times)).round().astype(np.int64)
    at_risk = n - np.concatenate(([0], np.cumsum(leaving)[:-1])).astype(np.int64)
    events = d > 0
    t, n_j, d, d_res = times[events], at_risk[events], d[events], d_res[events]
    survival = np.asarray(np.cumprod(1 - d / n_j), dtype=np.float64)  # S(t_j)
    before = np.concatenate(([1.0], survival[:-1]))  # S(t_j-)
    incidence = np.cumsum(before * d_res / n_j)
    low, high = _interval(incidence, _variance(incidence, before, n_j, d, d_res))
    return Curve(t, n_j, d_res, incidence, low, high, survival, n)


@dataclass(frozen=True, slots=True)
class Incidence:
    points: tuple[IncidencePoint, ...]  # one per distinct event time, ascending
    median: float | None  # when half of the eventual resolutions have happened
    observations: int

    @property
    def final(self) -> float:
        return self.points[-1].incidence if self.points else 0.0

    def point_at(self, t: float) -> IncidencePoint | None:
        """The step function at t (right-continuous): the last event time <= t."""
        j = bisect.bisect_right([p.at for p in self.points], t) - 1
        return self.points[j] if j >= 0 else None

    def at(self, t: float) -> float:
        """CIF(t)."""
        point = self.point_at(t)
        return point.incidence if point else 0.0


def cumulative_incidence(observations: Iterable[Observation]) -> Incidence:
    obs = list(observations)
    durations = np.array([o.duration for o in obs], dtype=np.float64)
    resolved = np.array([o.ending is Ending.RESOLVED for o in obs], dtype=np.bool_)
    censored = np.array([o.ending is Ending.CENSORED for o in obs], dtype=np.bool_)
    c = estimate(durations, resolved, censored)
    points = tuple(
        IncidencePoint(float(a), int(b), int(r), float(f), float(lo), float(hi), float(s))
        for a, b, r, f, lo, hi, s in zip(
            c.at, c.at_risk, c.resolved, c.incidence, c.low, c.high, c.survival, strict=True
        )
    )
    return Incidence(points, c.median, len(obs))


def _variance(
    f: FloatArray, s_before: FloatArray, n: IntArray, d: IntArray, d_res: IntArray
) -> FloatArray:
    """Var F(t_j) = sum over i <= j of (F_j - F_i)^2 d_i / (n_i (n_i - d_i))
    + S_i-^2 dres_i (n_i - dres_i) / n_i^3 - 2 (F_j - F_i) S_i- dres_i / n_i^2,
    expanded in powers of F_j and summed with prefix sums."""
    safe = n > d  # at the last time everyone may leave: its first term is 0
    a = np.where(safe, d / (n * np.where(safe, n - d, 1)), 0.0)
    b = s_before**2 * d_res * (n - d_res) / n.astype(np.float64) ** 3
    c = s_before * d_res / n.astype(np.float64) ** 2
    a_sum, af_sum, aff_sum = np.cumsum(a), np.cumsum(a * f), np.cumsum(a * f * f)
    c_sum, cf_sum = np.cumsum(c), np.cumsum(c * f)
    variance = f * f * a_sum - 2 * f * af_sum + aff_sum + np.cumsum(b) - 2 * (f * c_sum - cf_sum)
    result: FloatArray = np.maximum(variance, 0.0)
    return result


def _interval(f: FloatArray, variance: FloatArray) -> tuple[FloatArray, FloatArray]:
    """exp(-exp(log(-log F) +- z sd / (F |log F|))); F itself where F is 0 or 1."""
    inside = (f > 0) & (f < 1)
    safe = np.where(inside, f, 0.5)
    log_f = np.log(safe)
    se = np.sqrt(variance) / (safe * np.abs(log_f))
    centre = np.log(-log_f)
    one = np.exp(-np.exp(centre + Z95 * se))
    other = np.exp(-np.exp(centre - Z95 * se))
    low: FloatArray = np.where(inside, np.minimum(one, other), f)
    high: FloatArray = np.where(inside, np.maximum(one, other), f)
    return low, high
