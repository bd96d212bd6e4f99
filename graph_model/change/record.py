"""A (:Change): one page's rate in one period against its baseline (docs/analytics.md,
"Changes"), or before and after a catalog version."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from graph_model.properties import properties_of
from graph_model.series.record import PageMetric

FDR: Final = 0.05  # Benjamini-Hochberg over every test of a run


class ChangeKind(StrEnum):
    PERIOD = "PERIOD"  # a week against the 4 weeks before it
    CATALOG = "CATALOG"  # equal windows before and after a new page version


class ChangeDirection(StrEnum):
    UP = "UP"
    DOWN = "DOWN"


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """Every field is a (:Change) property. The tested side is [period_start, period_end),
    its baseline [baseline_start, baseline_end)."""

    page_id: str
    metric: PageMetric
    kind: ChangeKind
    period_start: int  # epoch ms
    period_end: int
    baseline_start: int
    baseline_end: int
    successes: int
    trials: int
    baseline_successes: int
    baseline_trials: int
    p_value: float
    q_value: float
    rank: int = 0  # 1: the most significant of the run's changes (then the largest)
    version_since: int | None = None  # a CATALOG change: its (:PageVersion)'s `since`
    # A PERIOD change among one segment's paths (key=value); None: among everyone's.
    segment: str | None = None

    @property
    def rate(self) -> float:
        return self.successes / self.trials

    @property
    def baseline_rate(self) -> float:
        return self.baseline_successes / self.baseline_trials

    @property
    def direction(self) -> ChangeDirection:
        return ChangeDirection.DOWN if self.rate < self.baseline_rate else ChangeDirection.UP

    @property
    def significant(self) -> bool:
        return self.q_value <= FDR

    @property
    def worsening(self) -> bool:
        """A break: fewer journeys resolve, or more customers leave, turn back or escalate."""
        if self.metric is PageMetric.RESOLUTION_RATE:
            return self.direction is ChangeDirection.DOWN
        return self.metric.is_rate and self.direction is ChangeDirection.UP


CHANGE: Final = properties_of(ChangeRecord)
