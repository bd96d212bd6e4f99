"""Time to resolution (docs/analytics.md, section 16): how likely a journey has resolved within
t minutes, or within k clicks, with unfinished journeys counted honestly.

A path is an observation: RESOLVED is the event of interest; ABANDONED and ESCALATED are
competing events (after them, resolution can no longer happen in that path); OPEN paths are
censored at their last click (they may still resolve). With competing events the
Kaplan-Meier complement overstates resolution, so the estimate is the cumulative incidence
(Aalen-Johansen):

    CIF(t) = sum over event times t_j <= t of S(t_j-) x d_res(t_j) / n(t_j)

with S the Kaplan-Meier survival of "no event of any kind yet", n(t_j) the paths still at
risk just before t_j and d_res(t_j) the resolutions at t_j. Its variance is the delta-method
estimate of Marubini and Valsecchi (1995); the 95% interval is CIF +- 1.96 sd, clipped to
[0, 1]. Without censoring CIF(t) is exactly the share of paths resolved by t.

The median time (or clicks) to resolution is the first t where CIF reaches half of its final
value: the time by which half of the journeys that resolve have resolved. None when nothing
resolves.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

Z95: Final = 1.959963984540054


class Ending(StrEnum):
    RESOLVED = "RESOLVED"  # the event of interest
    COMPETING = "COMPETING"  # abandoned or escalated: resolution can no longer happen
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


@dataclass(frozen=True, slots=True)
class Incidence:
    points: tuple[IncidencePoint, ...]  # one per distinct event time, ascending
    median: float | None  # when half of the eventual resolutions have happened
    observations: int

    @property
    def final(self) -> float:
        return self.points[-1].incidence if self.points else 0.0

    def at(self, t: float) -> float:
        """CIF(t): a step function, right-continuous."""
        value = 0.0
        for point in self.points:
            if point.at > t:
                break
            value = point.incidence
        return value


def cumulative_incidence(observations: Iterable[Observation]) -> Incidence:
    obs = list(observations)
    n = len(obs)
    ended: Counter[float] = Counter()  # any event (resolution or competing) at each time
    resolved: Counter[float] = Counter()
    censored: Counter[float] = Counter()
    for o in obs:
        if o.ending is Ending.CENSORED:
            censored[o.duration] += 1
        else:
            ended[o.duration] += 1
            if o.ending is Ending.RESOLVED:
                resolved[o.duration] += 1
    times = sorted(set(ended) | set(censored))
    at_risk = n
    survival = 1.0  # S(t-)
    incidence = 0.0
    steps: list[tuple[float, int, int, int, float, float]] = []  # t, n, d, d_res, S(t-), F(t)
    for t in times:
        d, d_res = ended[t], resolved[t]
        if d:
            incidence += survival * d_res / at_risk
            steps.append((t, at_risk, d, d_res, survival, incidence))
            survival *= 1 - d / at_risk
        at_risk -= d + censored[t]  # censored at t are at risk at t (they end after events)
    points = tuple(_point(steps, j) for j in range(len(steps)))
    return Incidence(points, _median(points), n)


def _point(steps: Sequence[tuple[float, int, int, int, float, float]], j: int) -> IncidencePoint:
    t, n_j, _, d_res_j, _, f_t = steps[j]
    variance = 0.0
    for t_i, n_i, d_i, dk_i, s_before, f_i in steps[: j + 1]:
        del t_i
        gap = f_t - f_i
        if n_i > d_i:
            variance += gap * gap * d_i / (n_i * (n_i - d_i))
        variance += s_before * s_before * dk_i * (n_i - dk_i) / n_i**3
        variance -= 2 * gap * s_before * dk_i / n_i**2
    sd = math.sqrt(max(variance, 0.0))
    return IncidencePoint(t, n_j, d_res_j, f_t, max(0.0, f_t - Z95 * sd), min(1.0, f_t + Z95 * sd))


def _median(points: Sequence[IncidencePoint]) -> float | None:
    if not points or points[-1].incidence <= 0:
        return None
    half = points[-1].incidence / 2
    return next(p.at for p in points if p.incidence >= half)
