"""Time on page: the seconds customers spend on a page before their next click."""

from __future__ import annotations

import strawberry

from graph_model.dwell.record import NO_DWELL
from graph_model.dwell.record import Dwell as DwellRecord
from graph_model.timewindow import TimeWindow
from graphql_api.context import Info
from graphql_api.types.common import recorded


@strawberry.type(
    description="Seconds from a click on the page to the next click of the same completed path "
    "(a path's last page is no observation); quartiles by linear interpolation, as numpy's "
    "default. Null without observations."
)
class Dwell:
    record: strawberry.Private[DwellRecord]
    observations: int = recorded("observations", "Clicks on the page that had a next click.")
    median: float | None = recorded("median", "Median seconds.")
    p25: float | None = recorded("p25", "First quartile, in seconds.")
    p75: float | None = recorded("p75", "Third quartile, in seconds.")


async def time_on_page(info: Info, page_id: str, window: TimeWindow, segment: str | None) -> Dwell:
    found = await info.context.loaders.time_on_page.load((page_id, (window, segment)))
    return Dwell(record=found or NO_DWELL)
