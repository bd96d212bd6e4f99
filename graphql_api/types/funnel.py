"""Funnels: ordered steps, how many completed paths reached and converted at each, and where
the others went (docs/analytics.md, "Funnels"). Computed on demand, in one statement."""

from __future__ import annotations

from typing import Annotated

import strawberry

from graph_model.funnel.pattern import PatternError
from graph_model.funnel.record import DropOff, FunnelError, FunnelEvent, FunnelStepSpec
from graph_model.funnel.record import Funnel as FunnelRecord
from graph_model.funnel.record import FunnelStepResult as FunnelStepRecord
from graphql_api.context import Info
from graphql_api.errors import user_error
from graphql_api.fields import field
from graphql_api.types import enums as _enums  # noqa: F401 -- registers the enums
from graphql_api.types.common import DEFAULT_LIMIT, Limit, limited, recorded
from graphql_api.types.lazy import PageType
from graphql_api.types.series import From, Segment, Until, filters


@strawberry.input(
    one_of=True,
    description="One funnel step: exactly one of a page id, a page-id pattern or an event.",
)
class FunnelStepInput:
    page_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="A page id, matched exactly."
    )
    pattern: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="A regular expression found anywhere in the page id (as Python's "
        "re.search), in the syntax Python and Java share; anchor it with ^ and $.",
    )
    event: FunnelEvent | None = strawberry.field(
        default=strawberry.UNSET, description="A search, the path's resolution or its escalation."
    )

    def spec(self) -> FunnelStepSpec:
        """The step (GraphQL's oneOf rule has checked that exactly one is set)."""
        if isinstance(self.page_id, str):
            return FunnelStepSpec(page_id=str(self.page_id))
        if isinstance(self.pattern, str):
            return FunnelStepSpec(pattern=self.pattern)
        if isinstance(self.event, FunnelEvent):
            return FunnelStepSpec(event=self.event)
        raise user_error("a funnel step is exactly one of `pageId`, `pattern` or `event`")


@strawberry.type(
    description="Completed paths that reached a step and went no further, by where they went "
    "next: the page right after their match of the step, or none (the path ended there)."
)
class FunnelDropOff:
    record: strawberry.Private[DropOff]
    page_id: strawberry.ID | None = strawberry.field(
        description="The page they clicked next; null: their path ended at the step."
    )
    paths: int = recorded("paths")
    resolved: int = recorded("resolved", "Of them, paths that ended RESOLVED.")
    abandoned: int = recorded("abandoned", "Of them, paths that ended ABANDONED.")
    escalated: int = recorded("escalated", "Of them, paths that ended ESCALATED.")

    @field(description="The page they clicked next (null: their path ended at the step).")
    async def page(self, info: Info) -> PageType | None:
        from graphql_api.types.page import Page

        if self.record.page_id is None:
            return None
        record = await info.context.loaders.page.load(self.record.page_id)
        return Page(record=record) if record else None


@strawberry.type(description="One step of a funnel and what the paths did at it.")
class FunnelStep:
    record: strawberry.Private[FunnelStepRecord]
    index: int = strawberry.field(description="1 for the first step.")
    page_id: strawberry.ID | None = strawberry.field(description="The step's page id, if one.")
    pattern: str | None = strawberry.field(description="The step's pattern, if one.")
    event: FunnelEvent | None = strawberry.field(description="The step's event, if one.")
    reached: int = recorded("reached", "Paths that reached the step.")
    converted: int = recorded(
        "converted",
        "Paths that went on to the next step within the window (the last step: its reached).",
    )
    dropped: int = recorded("dropped", "reached - converted.")
    conversion_rate: float | None = recorded("conversion_rate", "converted / reached.")
    median_minutes_to_next: float | None = recorded(
        "median_minutes_to_next",
        "Median minutes from this step to the next, over the paths that converted (null for "
        "the last step).",
    )

    @field(description="Where the paths that dropped here went next, most paths first.")
    def drop_off_next(self, limit: Limit = DEFAULT_LIMIT) -> list[FunnelDropOff]:
        return [
            FunnelDropOff(record=d, page_id=None if d.page_id is None else strawberry.ID(d.page_id))
            for d in self.record.drop_offs[: limited(limit)]
        ]


@strawberry.type(description="A funnel over the completed paths of a window and a segment.")
class Funnel:
    record: strawberry.Private[FunnelRecord]
    paths: int = recorded("paths", "Completed paths in the window and segment.")
    within_minutes: int | None = recorded(
        "within_minutes", "The conversion window in minutes (null: the whole path)."
    )

    @strawberry.field
    def steps(self) -> list[FunnelStep]:
        return [
            FunnelStep(
                record=s,
                index=k + 1,
                page_id=None if s.step.page_id is None else strawberry.ID(s.step.page_id),
                pattern=s.step.pattern,
                event=s.step.event,
            )
            for k, s in enumerate(self.record.steps)
        ]


FunnelSteps = Annotated[
    list[FunnelStepInput],
    strawberry.argument(description="2 to 10 steps, in order."),
]
WithinMinutes = Annotated[
    int | None,
    strawberry.argument(
        description="Conversion window: each step no later than this many minutes after the "
        "path's first step (default: the whole path)."
    ),
]


@strawberry.type
class FunnelQuery:
    @field(
        description="A funnel over the completed paths that started in the window, computed on "
        "demand: per step, the paths that reached it, converted to the next and dropped, and "
        "where the drop-offs went (docs/analytics.md, Funnels)."
    )
    async def funnel(
        self,
        info: Info,
        steps: FunnelSteps,
        within_minutes: WithinMinutes = None,
        from_: From = None,
        until: Until = None,
        segment: Segment = None,
    ) -> Funnel:
        window, chosen = filters(from_, until, segment)
        try:
            specs = [s.spec() for s in steps]
            found = await info.context.graph.funnels.funnel(specs, within_minutes, window, chosen)
        except (FunnelError, PatternError) as exc:
            raise user_error(f"`funnel`: {exc}") from None
        return Funnel(record=found)
