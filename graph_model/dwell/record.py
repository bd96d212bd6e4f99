"""Time on page (docs/analytics.md, "Time on page").

An observation is the seconds from a click on the page to the next click of the same
completed path; a path's last page has no next click, so it is no observation. The
quartiles interpolate linearly between the sorted observations (numpy's default, Cypher's
percentileCont): the q-quantile of x(0) <= ... <= x(n-1) is at position q * (n - 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Dwell:
    observations: int
    median: float | None  # seconds; None without observations
    p25: float | None
    p75: float | None


NO_DWELL: Final = Dwell(0, None, None, None)
