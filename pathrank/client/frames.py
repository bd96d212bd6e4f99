"""Rows as typed DataFrames: every frame's columns and their dtypes, in one place.

Counts are nullable integers (Int64), rates and figures nullable floats (Float64), flags
nullable booleans, ids and names strings, times UTC datetimes; lists (a path's pages, a
page's weak reasons) stay Python lists. Both sources hand rows of plain Python values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import pandas as pd
from pandas.api.extensions import ExtensionDtype

ID: Final = pd.StringDtype()
TEXT: Final = ID
COUNT: Final = pd.Int64Dtype()
FIGURE: Final = pd.Float64Dtype()
FLAG: Final = pd.BooleanDtype()
TIME: Final = pd.DatetimeTZDtype("ns", "UTC")
LIST: Final = None  # Python lists, in an object column

Columns = Sequence[tuple[str, ExtensionDtype | None]]

PAGES: Final[Columns] = (
    ("id", ID),
    ("title", TEXT),
    ("url", TEXT),
    ("visits", COUNT),
    ("entries", COUNT),
    ("exits", COUNT),
    ("exit_rate", FIGURE),
    ("resolutions", COUNT),
    ("escalations", COUNT),
    ("escalation_rate", FIGURE),
    ("turnarounds", COUNT),
    ("turnaround_opportunities", COUNT),
    ("turnaround_rate", FIGURE),
    ("page_rank", FIGURE),
    ("path_rank", FIGURE),
    ("success_probability", FIGURE),
    ("expected_clicks_to_resolution", FIGURE),
    ("escalation_probability", FIGURE),
    ("is_hotspot", FLAG),
    ("is_high_exit", FLAG),
    ("is_escalation_hotspot", FLAG),
    ("impact", FIGURE),
    ("weak_reasons", LIST),
)
PATHS: Final[Columns] = (
    ("id", ID),
    ("customer_id", ID),
    ("start", TIME),
    ("end", TIME),
    ("length", COUNT),
    ("outcome", TEXT),
    ("turnarounds", COUNT),
    ("quick_turnarounds", COUNT),
    ("segments", LIST),
    ("pages", LIST),
)
TRANSITIONS: Final[Columns] = (
    ("from_id", ID),
    ("to_id", ID),
    ("count", COUNT),
    ("probability", FIGURE),
    ("turnarounds", COUNT),
    ("turnaround_rate", FIGURE),
    ("success_probability", FIGURE),
)
SERIES: Final[Columns] = (
    ("start", TIME),
    ("end", TIME),
    ("trials", COUNT),
    ("successes", COUNT),
    ("rate", FIGURE),
    ("low", FIGURE),
    ("high", FIGURE),
)
CHANGES: Final[Columns] = (
    ("page_id", ID),
    ("metric", TEXT),
    ("kind", TEXT),
    ("period_start", TIME),
    ("period_end", TIME),
    ("baseline_start", TIME),
    ("baseline_end", TIME),
    ("trials", COUNT),
    ("successes", COUNT),
    ("baseline_trials", COUNT),
    ("baseline_successes", COUNT),
    ("rate", FIGURE),
    ("baseline_rate", FIGURE),
    ("difference", FIGURE),
    ("direction", TEXT),
    ("p_value", FIGURE),
    ("q_value", FIGURE),
    ("version_since", TIME),
)
FUNNEL_STEPS: Final[Columns] = (
    ("step", COUNT),
    ("page_id", ID),
    ("pattern", TEXT),
    ("event", TEXT),
    ("reached", COUNT),
    ("converted", COUNT),
    ("dropped", COUNT),
    ("conversion_rate", FIGURE),
    ("median_minutes_to_next", FIGURE),
)
DROP_OFFS: Final[Columns] = (
    ("step", COUNT),
    ("next_page_id", ID),
    ("paths", COUNT),
    ("resolved", COUNT),
    ("abandoned", COUNT),
    ("escalated", COUNT),
)
TIME_ON_PAGE: Final[Columns] = (
    ("page_id", ID),
    ("observations", COUNT),
    ("median", FIGURE),
    ("p25", FIGURE),
    ("p75", FIGURE),
)
SEARCH_QUERIES: Final[Columns] = (
    ("text", TEXT),
    ("searches", COUNT),
    ("customers", COUNT),
    ("no_results", COUNT),
    ("no_result_rate", FIGURE),
    ("click_through_rate", FIGURE),
    ("refinement_rate", FIGURE),
    ("pogo_rate", FIGURE),
    ("exit_rate", FIGURE),
    ("resolution_rate", FIGURE),
    ("escalation_rate", FIGURE),
    ("paths", COUNT),
    ("failed_paths", COUNT),
    ("failure_rate", FIGURE),
    ("is_content_gap", FLAG),
    ("p_value", FIGURE),
    ("q_value", FIGURE),
    ("excess_failures", FIGURE),
)
WORK_QUEUE: Final[Columns] = (
    ("id", ID),
    ("action", TEXT),
    ("title", TEXT),
    ("reason", TEXT),
    ("page_id", ID),
    ("query", TEXT),
    ("link_from", ID),
    ("link_to", ID),
    ("tickets_per_week", FIGURE),
    ("customers_per_week", FIGURE),
    ("confidence", TEXT),
    ("status", TEXT),
    ("note", TEXT),
    ("stale", FLAG),
    ("verdict", TEXT),
    ("p_value", FIGURE),
    ("verified_since", TIME),
)


def frame(rows: Iterable[Mapping[str, Any]], columns: Columns) -> pd.DataFrame:
    """`rows` (dicts by column name; datetimes as aware datetimes or ISO-8601 text) as a
    DataFrame of exactly `columns`, typed."""
    listed = list(rows)
    data: dict[str, pd.Series[Any]] = {}
    for name, dtype in columns:
        values = [r.get(name) for r in listed]
        if dtype is None:
            data[name] = pd.Series(values, dtype=object)
        elif dtype == TIME:
            moments = pd.Series([_moment(v) for v in values], dtype=object)
            data[name] = pd.to_datetime(moments, utc=True).astype(TIME)
        else:
            data[name] = pd.Series(values, dtype=object).astype(dtype)
    return pd.DataFrame(data, columns=[name for name, _ in columns])


def _moment(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def snake(name: str) -> str:
    """A GraphQL field name as a column name: exitRate -> exit_rate."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def snaked(node: Mapping[str, Any]) -> dict[str, Any]:
    return {snake(k): v for k, v in node.items()}
