"""Time to resolution: cumulative incidence curves of the site and of each entry page."""

from __future__ import annotations

from typing import Annotated

import strawberry

from graph_model.resolution.record import Axis, CurvePoint
from graph_model.resolution.record import ResolutionCurve as CurveRecord
from graphql_api.context import Info
from graphql_api.fields import field
from graphql_api.types.common import capped, recorded
from graphql_api.types.page import Page, load_page


@strawberry.type(description="The curve at one time (minutes) or click count.")
class ResolutionPoint:
    record: strawberry.Private[CurvePoint]

    at: float = recorded("at", "Minutes since the path's first click, or clicks made.")
    incidence: float = recorded("incidence", "P(resolved within `at`): the cumulative incidence.")
    low: float = recorded("low", "95% interval of incidence: lower bound.")
    high: float = recorded("high", "95% interval of incidence: upper bound.")
    survival: float = recorded(
        "survival", "Kaplan-Meier: P(the path has not ended in any way within `at`)."
    )
    at_risk: int = recorded(
        "at_risk", "Paths still under observation at the last event time up to `at`."
    )
    resolved: int = recorded("resolved", "Resolutions within `at`.")


@strawberry.type(
    description="How long journeys take to resolve: the cumulative incidence of resolution "
    "by minutes and by clicks, OPEN paths censored at their last click and every other "
    "ending competing (docs/analytics.md, section 16). Points are at whole minutes and "
    "clicks where the curve changes; it holds its value until the next point."
)
class ResolutionCurve:
    minutes: strawberry.Private[CurveRecord]
    clicks: strawberry.Private[CurveRecord]

    @field(description="The entry page (first page of the paths); null for the whole site.")
    async def entry_page(self, info: Info) -> Page | None:
        page = self.minutes.entry_page_id
        return None if page is None else await load_page(info, page)

    @field(description="Paths counted: resolved, not resolved, and open.")
    def paths(self) -> int:
        return self.minutes.paths

    @field(description="Resolved paths.")
    def resolved(self) -> int:
        return self.minutes.resolved

    @field(description="OPEN paths (censored).")
    def open(self) -> int:
        return self.minutes.censored

    @field(description="Minutes by which half of the paths that resolve have resolved.")
    def median_minutes(self) -> float | None:
        return self.minutes.median

    @field(description="Clicks by which half of the paths that resolve have resolved.")
    def median_clicks(self) -> float | None:
        return self.clicks.median

    @field(description="P(resolved within t minutes), at whole minutes.")
    def by_minutes(self) -> list[ResolutionPoint]:
        points = capped("ResolutionCurve.byMinutes", self.minutes.points)
        return [ResolutionPoint(record=p) for p in points]

    @field(description="P(resolved within k clicks).")
    def by_clicks(self) -> list[ResolutionPoint]:
        points = capped("ResolutionCurve.byClicks", self.clicks.points)
        return [ResolutionPoint(record=p) for p in points]


@strawberry.type
class ResolutionQuery:
    @field(
        description="Time to resolution of the latest analysis: the site's, or of the paths "
        "that started on a page; null for a page no path started on, or before an analysis."
    )
    async def time_to_resolution(
        self,
        info: Info,
        entry_page_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The entry page; omit for the whole site."),
        ] = None,
    ) -> ResolutionCurve | None:
        entry = None if entry_page_id is None else str(entry_page_id)
        curves = await info.context.graph.resolution.curves(entry)
        if Axis.MINUTES not in curves or Axis.CLICKS not in curves:
            return None
        return ResolutionCurve(minutes=curves[Axis.MINUTES], clicks=curves[Axis.CLICKS])
