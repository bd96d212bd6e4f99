"""graph_model's enums as GraphQL enums, with the descriptions clients see.

The enums are defined once, in graph_model; here they are only named and described.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

import strawberry

from graph_model.assist.record import RiskReason
from graph_model.community.record import CommunityOrder
from graph_model.page.record import PageOrder, PathMode, WeakReason
from graph_model.path.record import Outcome
from graph_model.run.record import AnalysisStatus

E = TypeVar("E", bound=type[Enum])


def _expose(cls: E, name: str, description: str, values: Mapping[str, str] = {}) -> E:
    exposed = strawberry.enum(cls, name=name, description=description)
    for value in exposed.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = values.get(value.name)
    return exposed


_expose(
    PageOrder,
    "PageOrder",
    "Sort order of `pages`. Figures sort highest first, pages without the figure last; ties by id.",
    {
        "ID": "Page id, ascending.",
        "TITLE": "Title, ascending.",
        "VISITS": "Visits in completed paths.",
        "PAGE_RANK": "PageRank on transitions.",
        "PATH_RANK": "PathRank (leads to success).",
        "SUCCESS_PROBABILITY": "Probability of resolving from the page.",
        "IMPACT": "Weak-page impact.",
        "TURNAROUND_RATE": "Turnaround rate.",
        "EXIT_RATE": "Exit rate.",
    },
)
_expose(
    CommunityOrder,
    "CommunityOrder",
    "Sort order of `communities`.",
    {"ID": "Community id, ascending.", "SIZE": "Customers, largest first."},
)
_expose(
    PathMode,
    "PathMode",
    "Which shortest success path.",
    {
        "FEWEST_CLICKS": "Fewest clicks along observed transitions.",
        "MOST_LIKELY": "Highest product of transition probabilities.",
    },
)
_expose(
    Outcome,
    "PathOutcome",
    "How a customer path ended: RESOLVED, ABANDONED (inactive longer than the timeout), or "
    "OPEN (still running).",
)
_expose(
    WeakReason,
    "WeakReason",
    "Why a page is weak (docs/analytics.md, section 7).",
    {
        "TURNAROUND_HOTSPOT": "Customers turn straight back significantly often.",
        "HIGH_EXIT": "Customers leave the site here significantly often.",
        "DEAD_END": "Nothing resolves here and no link leads on to success.",
        "LOW_SUCCESS": "Success probability below half the site's.",
    },
)
_expose(
    AnalysisStatus,
    "AnalysisStatus",
    "Where an analysis run is.",
    {
        "RUNNING": "Holds the analysis lock; its results are not visible yet.",
        "COMPLETE": "Finished; its results were made current in one step.",
        "FAILED": "Stopped before its results became visible (see `error`).",
    },
)
_expose(
    RiskReason,
    "RiskReason",
    "Why a path is at risk (docs/assist.md).",
    {
        "LOW_CHANCE": "After at least 3 clicks, its chance to resolve fell below the threshold.",
        "HOTSPOT_TURNAROUND": "It just turned straight back at a turnaround hotspot.",
        "MISLEADING_LINK": "It just arrived by a link marked misleading.",
    },
)
