"""graph_model's enums as GraphQL enums, with the descriptions clients see.

The enums are defined once, in graph_model; here they are only named and described.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

import strawberry

from graph_model.assist.record import RiskReason
from graph_model.change.record import ChangeDirection, ChangeKind
from graph_model.community.record import CommunityOrder
from graph_model.funnel.record import FunnelEvent
from graph_model.page.record import PageOrder, PathMode, WeakReason
from graph_model.path.record import Outcome
from graph_model.run.record import AnalysisStatus
from graph_model.series.record import PageMetric
from graph_model.timewindow import Interval

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
        "ESCALATION_RATE": "Escalation rate.",
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
    "How a customer path ended: RESOLVED, ABANDONED (inactive longer than the timeout), "
    "ESCALATED (an escalation event ended it: self-service failed), or OPEN (still running).",
    {
        "RESOLVED": "A resolving click or a resolution event ended it.",
        "ABANDONED": "The customer was inactive longer than the timeout.",
        "ESCALATED": "An escalation event (a ticket, chat or call) ended it.",
        "OPEN": "Still running: the customer may click on.",
    },
)
_expose(
    WeakReason,
    "WeakReason",
    "Why a page is weak (docs/analytics.md, section 7).",
    {
        "TURNAROUND_HOTSPOT": "Customers turn straight back significantly often.",
        "HIGH_EXIT": "Customers leave the site here significantly often.",
        "ESCALATION_HOTSPOT": "Customers contact support after this page significantly often.",
        "DEAD_END": "Nothing resolves here and no link leads on to success.",
        "LOW_SUCCESS": "Success probability below half the site's.",
        "MISLEADING_LINK": "A misleading link leads here: customers arriving by it turn "
        "straight back (see `misleadingFrom`); the link may be what needs fixing.",
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
    PageMetric,
    "PageMetric",
    "A page's (or the site's) figure per period: a proportion, successes out of trials.",
    {
        "RESOLUTION_RATE": "Completed paths through the page that resolved / those paths.",
        "EXIT_RATE": "Abandoned paths that ended on the page / visits.",
        "TURNAROUND_RATE": "Turnarounds at the page / turnaround opportunities.",
        "ESCALATION_RATE": "Escalated paths that ended on the page / visits.",
        "VISITS": "Visits / every click on the site: the page's share of traffic.",
    },
)
_expose(
    Interval,
    "Interval",
    "Periods of a series, in UTC.",
    {"DAY": "Days from 00:00 UTC.", "WEEK": "Weeks from Monday 00:00 UTC."},
)
_expose(
    ChangeKind,
    "ChangeKind",
    "What a change compares.",
    {
        "PERIOD": "A week against the 4 weeks before it.",
        "CATALOG": "Equal windows before and after a new version of the page in the catalog.",
    },
)
_expose(ChangeDirection, "ChangeDirection", "Whether the rate went up or down.")
_expose(
    RiskReason,
    "RiskReason",
    "Why a path is at risk (docs/assist.md).",
    {
        "LOW_CHANCE": "After at least 3 clicks, its chance to resolve fell below the threshold.",
        "HOTSPOT_TURNAROUND": "It just turned straight back at a turnaround hotspot.",
        "MISLEADING_LINK": "It just arrived by a link marked misleading.",
        "FAILED_SEARCH": "It just searched and found nothing, or searched again without "
        "clicking a result.",
    },
)
_expose(
    FunnelEvent,
    "FunnelEvent",
    "An event a funnel step can be (docs/analytics.md, Funnels).",
    {
        "SEARCH": "A search: a step on the search page.",
        "RESOLUTION": "The path's resolution: its resolving click or resolution event, after "
        "its last page.",
        "ESCALATION": "The path's escalation event (a ticket, chat or call), after its last page.",
    },
)
