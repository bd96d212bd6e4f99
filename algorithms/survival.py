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
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import numpy as np

Z95: Final = 1.959963984540054


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
    n = len(obs)
    if not n:
        return Incidence((), None, 0)
    durations = np.fromiter((o.duration for o in obs), dtype=np.float64, count=n)
    endings = [o.ending for o in obs]
    resolved = np.fromiter((e is Ending.RESOLVED for e in endings), dtype=bool, count=n)
    censored = np.fromiter((e is Ending.CENSORED for e in endings), dtype=bool, count=n)
    times, index = np.unique(durations, return_inverse=True)
    leaving = np.bincount(index, minlength=len(times))  # everything that ends at each time
    d = np.bincount(index, weights=~censored, minlength=len(times)).astype(np.int64)
    d_res = np.bincount(index, weights=resolved, minlength=len(times)).astype(np.int64)
    at_risk = n - np.concatenate(([0], np.cumsum(leaving)[:-1]))  # just before each time
    events = d > 0
    t, n_j, d, d_res = times[events], at_risk[events], d[events], d_res[events]
    survival = np.cumprod(1 - d / n_j)  # S(t_j)
    before = np.concatenate(([1.0], survival[:-1]))  # S(t_j-)
    incidence = np.cumsum(before * d_res / n_j)
    low, high = _interval(incidence, _variance(incidence, before, n_j, d, d_res))
    points = tuple(
        IncidencePoint(float(a), int(b), int(c), float(f), float(lo), float(hi), float(s))
        for a, b, c, f, lo, hi, s in zip(t, n_j, d_res, incidence, low, high, survival, strict=True)
    )
    return Incidence(points, _median(points), n)


def _variance(
    f: np.ndarray, s_before: np.ndarray, n: np.ndarray, d: np.ndarray, d_res: np.ndarray
) -> np.ndarray:
    """Var F(t_j) = sum over i <= j of (F_j - F_i)^2 d_i / (n_i (n_i - d_i))
    + S_i-^2 dres_i (n_i - dres_i) / n_i^3 - 2 (F_j - F_i) S_i- dres_i / n_i^2,
    expanded in powers of F_j and summed with prefix sums."""
    safe = n > d  # at the last time everyone may leave: its first term is 0
    a = np.where(safe, d / (n * np.where(safe, n - d, 1)), 0.0)
    b = s_before**2 * d_res * (n - d_res) / n**3
    c = s_before * d_res / n**2
    a_sum, af_sum, aff_sum = np.cumsum(a), np.cumsum(a * f), np.cumsum(a * f * f)
    c_sum, cf_sum = np.cumsum(c), np.cumsum(c * f)
    variance = f * f * a_sum - 2 * f * af_sum + aff_sum + np.cumsum(b) - 2 * (f * c_sum - cf_sum)
    result: np.ndarray = np.maximum(variance, 0.0)
    return result


def _interval(f: np.ndarray, variance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """exp(-exp(log(-log F) +- z sd / (F |log F|))); F itself where F is 0 or 1."""
    inside = (f > 0) & (f < 1)
    safe = np.where(inside, f, 0.5)
    log_f = np.log(safe)
    se = np.sqrt(variance) / (safe * np.abs(log_f))
    centre = np.log(-log_f)
    one = np.exp(-np.exp(centre + Z95 * se))
    other = np.exp(-np.exp(centre - Z95 * se))
    low = np.where(inside, np.minimum(one, other), f)
    high = np.where(inside, np.maximum(one, other), f)
    return low, high


def _median(points: Sequence[IncidencePoint]) -> float | None:
    if not points or points[-1].incidence <= 0:
        return None
    half = points[-1].incidence / 2
    return next(p.at for p in points if p.incidence >= half - 1e-12)


def sampled(curve: Incidence, grid: Iterable[float]) -> list[IncidencePoint]:
    """The curve read at each time of `grid` (ascending): `at` the grid time, the value,
    interval and survival of the last event time at or before it, `at_risk` the paths at risk
    at that event time and `resolved` every resolution up to it. Grid times before the first
    event, and those where nothing changed since the previous grid time, are left out (a step
    function holds its value until its next point)."""
    points = curve.points
    times = [p.at for p in points]
    resolved_by = np.cumsum([p.resolved for p in points]).tolist()
    out: list[IncidencePoint] = []
    last = -1
    for t in grid:
        j = bisect.bisect_right(times, t) - 1
        if j < 0 or j == last:
            continue
        last = j
        p = points[j]
        out.append(
            IncidencePoint(
                t, p.at_risk, int(resolved_by[j]), p.incidence, p.low, p.high, p.survival
            )
        )
    return out


def grid_to(curve: Incidence, step: float = 1.0) -> list[float]:
    """0, step, 2 step, ... up to the first multiple of step at or after the last event."""
    if not curve.points:
        return []
    last = math.ceil(curve.points[-1].at / step)
    return [k * step for k in range(last + 1)]
