"""graph_model's enums as GraphQL enums, with the descriptions clients see.

The enums are defined once, in graph_model; here they are only named and described.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

import strawberry

from graph_model.alert.record import AlertKind, DeliveryState
from graph_model.assist.record import RiskReason
from graph_model.change.record import ChangeDirection, ChangeKind
from graph_model.community.record import CommunityOrder
from graph_model.funnel.record import FunnelEvent
from graph_model.page.record import PageOrder, PathMode, WeakReason
from graph_model.path.record import Outcome
from graph_model.run.record import AnalysisStatus
from graph_model.series.record import PageMetric
from graph_model.timewindow import Interval
from graph_model.work.record import Confidence, Verdict, VerifiedRate, WorkAction, WorkStatus

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
    WorkAction,
    "WorkAction",
    'What to do about a finding (docs/analytics.md, "The work queue").',
    {
        "WRITE_ARTICLE": "Customers search for something no article answers (a query).",
        "REWRITE_PAGE": "A page customers leave, turn back from or escalate after (a page).",
        "FIX_LINK": "A link after which customers turn straight back (a link).",
        "ADD_LINK": "A link that would shorten successful journeys (a link).",
        "FIX_DEAD_END": "A page where nobody finds an answer and nothing leads on (a page).",
        "INVESTIGATE_CHANGE": "A page whose rate broke: find out what changed (a page).",
        "RETIRE_PAGE": "A catalog page nobody visited for 90 days (a page).",
    },
)
_expose(
    WorkStatus,
    "WorkStatus",
    "Where a work item is.",
    {
        "OPEN": "To do.",
        "DOING": "Someone is on it.",
        "DONE": "Fixed: its verification compares its rate before and after.",
        "DISMISSED": "Not worth doing; it comes back when its tickets per week double.",
    },
)
_expose(
    Confidence,
    "Confidence",
    "How sure the statistics behind an item are.",
    {
        "HIGH": "Its test gives q <= 0.01.",
        "MEDIUM": "Its test gives q <= 0.05.",
        "LOW": "No test stands behind it (a dead end, a suggestion, a page without visits).",
    },
)
_expose(
    Verdict,
    "Verdict",
    "Whether a fix worked: the item's rate before against after.",
    {
        "WAITING": "Not enough traffic or time yet.",
        "WORKED": "The rate moved the right way (p <= 0.05).",
        "NO_EFFECT": "No significant move with 200 trials each side, or after 28 days.",
        "WORSE": "The rate moved the wrong way (p <= 0.05).",
    },
)
_expose(
    VerifiedRate,
    "VerifiedRate",
    "The rate a verification compares.",
    {
        "RESOLUTION_RATE": "Resolved / completed paths through the page.",
        "EXIT_RATE": "Abandoned paths that ended on the page / visits.",
        "ESCALATION_RATE": "Escalated paths that ended on the page / visits.",
        "TURNAROUND_RATE": "Turnarounds at the page / opportunities.",
        "U_TURN_RATE": "A -> B -> A / A -> B -> anything.",
        "FAILURE_RATE": "Failed / completed paths that searched the query.",
        "SUCCESS_RATE": "Resolved / completed paths through the link's source.",
    },
)
_expose(
    AlertKind,
    "AlertKind",
    "What an alert tells.",
    {
        "NEW_ITEM": "A new work item with at least the threshold's tickets per week.",
        "CHANGE": "A page's rate broke.",
        "VERDICT": "A fix's verification was decided.",
    },
)
_expose(
    DeliveryState,
    "DeliveryState",
    "Where one alert's delivery to one webhook is.",
    {
        "PENDING": "Not delivered yet: waiting for its next attempt.",
        "DELIVERED": "The webhook answered 2xx.",
        "FAILED": "Given up after the last attempt.",
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
