"""The page aggregate: a (:Page), the figures analysis writes on it, and its transitions.

`PageFigures` is the one declaration of every analysis figure stored on a page: its fields
are the Page properties (camelCase), what the API reads and what analysis writes
(`graph_model.properties`). docs/analytics.md gives each figure's formula.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from graph_model.properties import from_properties, properties_of


class WeakReason(StrEnum):
    """Why a page is weak (docs/analytics.md, "Weak pages")."""

    TURNAROUND_HOTSPOT = "TURNAROUND_HOTSPOT"
    HIGH_EXIT = "HIGH_EXIT"
    ESCALATION_HOTSPOT = "ESCALATION_HOTSPOT"
    DEAD_END = "DEAD_END"
    LOW_SUCCESS = "LOW_SUCCESS"
    MISLEADING_LINK = "MISLEADING_LINK"


@dataclass(frozen=True, slots=True)
class PageFigures:
    """What `pathrank analyze` writes on a page. Counts are over completed paths; figures are
    None where undefined."""

    visits: int = 0
    entries: int = 0
    exits: int = 0
    exit_rate: float | None = None
    resolutions: int = 0
    escalations: int = 0  # ESCALATED paths whose last page it is
    escalation_rate: float | None = None  # escalations / visits
    turnarounds: int = 0
    turnaround_opportunities: int = 0
    turnaround_rate: float | None = None
    observed_mean_clicks_to_resolution: float | None = None
    page_rank: float | None = None
    path_rank: float | None = None
    success_probability: float | None = None
    expected_clicks_to_resolution: float | None = None
    escalation_probability: float | None = None  # absorbed in ESCALATED, from the chain
    is_hotspot: bool = False
    hotspot_p_value: float | None = None
    hotspot_q_value: float | None = None
    is_high_exit: bool = False
    exit_p_value: float | None = None
    exit_q_value: float | None = None
    is_escalation_hotspot: bool = False
    escalation_p_value: float | None = None
    escalation_q_value: float | None = None
    impact: float = 0.0
    weak_reasons: tuple[WeakReason, ...] = ()
    # With MISLEADING_LINK: the pages whose link into this one misleads (page id order).
    misleading_links_from: tuple[str, ...] = ()
    success_path_fewest: tuple[str, ...] | None = None
    success_path_fewest_clicks: int | None = None
    success_path_likely: tuple[str, ...] | None = None
    success_path_likely_clicks: int | None = None
    success_path_likely_probability: float | None = None


FIGURES: Final = properties_of(PageFigures)


class PageOrder(StrEnum):
    """How `pages` is sorted: by id or title ascending, by a figure descending (pages without
    it last), ties by id."""

    ID = "ID"
    TITLE = "TITLE"
    VISITS = "VISITS"
    PAGE_RANK = "PAGE_RANK"
    PATH_RANK = "PATH_RANK"
    SUCCESS_PROBABILITY = "SUCCESS_PROBABILITY"
    IMPACT = "IMPACT"
    TURNAROUND_RATE = "TURNAROUND_RATE"
    EXIT_RATE = "EXIT_RATE"
    ESCALATION_RATE = "ESCALATION_RATE"

    @property
    def figure(self) -> str | None:
        """The PageFigures field this order sorts on (None: id or title)."""
        return None if self in (PageOrder.ID, PageOrder.TITLE) else self.value.lower()


@dataclass(frozen=True, slots=True)
class PageRecord:
    """A (:Page): its identity, catalog fields and analysis figures. `analyzed` is False for
    a page first seen after the last analysis (its figures are then the defaults)."""

    id: str
    title: str | None = None
    url: str | None = None
    analyzed: bool = False
    figures: PageFigures = field(default_factory=PageFigures)


def page_projection(figures: str) -> str:
    """The map projection that reads a PageRecord: identity and catalog of the page, every
    figure from the variable `figures` (the run's (:PageFigures), or null)."""
    return "{.id, .title, .url, " + FIGURES.projection(source=figures)[1:]


def page_from_properties(props: Mapping[str, Any]) -> PageRecord:
    return PageRecord(
        id=str(props["id"]),
        title=props.get("title"),
        url=props.get("url"),
        analyzed=props.get(FIGURES.prop("visits")) is not None,
        figures=from_properties(PageFigures, props),
    )


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """The site's declared structure for one page (the `pages` topic)."""

    page_id: str
    title: str | None
    url: str | None
    links: tuple[str, ...]
    since: int | None = None  # epoch ms the page took this form (None: when written)


@dataclass(frozen=True, slots=True)
class PageVersion:
    """A (:PageVersion): one form of a catalog page, from `since` until the next version."""

    page_id: str
    since: int  # epoch ms
    title: str | None = None
    url: str | None = None
    links: tuple[str, ...] = ()

    def same_content(self, entry: CatalogEntry) -> bool:
        return (self.title, self.url, self.links) == (entry.title, entry.url, entry.links)


VERSION: Final = properties_of(PageVersion)


class PathMode(StrEnum):
    """Which shortest success path: fewest clicks, or the most likely route."""

    FEWEST_CLICKS = "FEWEST_CLICKS"
    MOST_LIKELY = "MOST_LIKELY"


class Direction(StrEnum):
    OUT = "OUT"
    IN = "IN"


@dataclass(frozen=True, slots=True)
class TransitionRecord:
    """(:Page from)-[:TRANSITION]->(:Page to); probability = count / all of from's onward
    clicks."""

    from_page_id: str
    to_page_id: str
    count: int
    turnarounds: int
    probability: float


@dataclass(frozen=True, slots=True)
class SiteRates:
    """The site-wide rates the analysis tested pages against (all events / all trials)."""

    turnaround_rate: float | None
    exit_rate: float | None
    escalation_rate: float | None = None  # all escalations / all visits
