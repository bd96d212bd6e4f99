"""Routes to a resolution: a page's shortest success path, by clicks or by likelihood."""

from __future__ import annotations

import strawberry

from graph_model.page.record import PageRecord, PathMode
from graphql_api.context import Info
from graphql_api.fields import field
from graphql_api.types import enums as _enums  # noqa: F401 -- registers the enums
from graphql_api.types.common import capped
from graphql_api.types.lazy import PageType


@strawberry.type(description="A shortest route to a page where customers resolve.")
class SuccessPath:
    mode: PathMode
    page_ids: list[strawberry.ID] = strawberry.field(description="The route, start first.")
    clicks: int = strawberry.field(description="Transitions along the route (0: resolves here).")
    observed_mean_clicks: float | None = strawberry.field(
        description="What customers actually take from the start page: mean further clicks "
        "in resolved paths."
    )
    likely_probability: strawberry.Private[float | None]

    @staticmethod
    def of(r: PageRecord, mode: PathMode) -> SuccessPath | None:
        f = r.figures
        route = f.success_path_likely if mode is PathMode.MOST_LIKELY else f.success_path_fewest
        if not route:
            return None
        route = tuple(capped("SuccessPath.pages", route))
        return SuccessPath(
            mode=mode,
            page_ids=[strawberry.ID(p) for p in route],
            clicks=len(route) - 1,
            observed_mean_clicks=f.observed_mean_clicks_to_resolution,
            likely_probability=f.success_path_likely_probability,
        )

    @strawberry.field
    async def pages(self, info: Info) -> list[PageType]:
        from graphql_api.types.page import load_pages

        return await load_pages(info, self.page_ids)

    @field(
        description="Chance a customer takes exactly this route: the product of its "
        "transition probabilities."
    )
    async def probability(self, info: Info) -> float | None:
        if self.mode is PathMode.MOST_LIKELY:
            return self.likely_probability
        return await info.context.loaders.route_probability.load(tuple(self.page_ids))
