"""Time to resolution (docs/analytics.md, "16. Time to resolution"): for the site and each
entry page, the cumulative incidence of resolution by minutes and by clicks.

One `ResolutionCurve` is one (:ResolutionCurve {run, entryPageId, axis}) node; its points are
parallel lists (Neo4j has no list of maps).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from graph_model.properties import properties_of


class Axis(StrEnum):
    """What a curve's time is counted in."""

    MINUTES = "MINUTES"  # from the path's first click
    CLICKS = "CLICKS"  # clicks made, the resolving one included


@dataclass(frozen=True, slots=True)
class CurvePoint:
    at: float  # minutes or clicks
    incidence: float  # P(resolved within `at`)
    low: float  # 95% interval
    high: float
    survival: float  # Kaplan-Meier: P(the path has not ended in any way within `at`)
    at_risk: int  # paths still under observation at the last event time <= `at`
    resolved: int  # resolutions within `at`


@dataclass(frozen=True, slots=True)
class ResolutionCurve:
    axis: Axis
    entry_page_id: str | None = None  # None: every path of the site
    paths: int = 0  # RESOLVED + not resolved + OPEN
    resolved: int = 0
    censored: int = 0  # OPEN paths: censored at their last click
    median: float | None = None  # when half of the eventual resolutions have happened
    at: tuple[float, ...] = ()
    incidence: tuple[float, ...] = ()
    low: tuple[float, ...] = ()
    high: tuple[float, ...] = ()
    survival: tuple[float, ...] = ()
    at_risk: tuple[int, ...] = ()
    resolved_by: tuple[int, ...] = ()  # resolutions within each `at`

    @property
    def points(self) -> tuple[CurvePoint, ...]:
        return tuple(
            CurvePoint(*values)
            for values in zip(
                self.at,
                self.incidence,
                self.low,
                self.high,
                self.survival,
                self.at_risk,
                self.resolved_by,
                strict=True,
            )
        )


CURVE: Final = properties_of(ResolutionCurve)
