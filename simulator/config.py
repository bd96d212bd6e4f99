"""What to simulate: size, time window and the strength of the planted effects."""

from __future__ import annotations

import math
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from simulator.catalog import THEMES

SHARED_PAGES = 3  # home, "Contact support", "Submit a request"
MIN_SUBTOPICS = 2
MIN_ARTICLES_PER_SUBTOPIC = 3
MIN_ORDINARY_ARTICLES = 3  # per region, so every segment has problems to solve
DEFAULT_PAGES = 120
DEFAULT_EVENTS = 50_000
MAX_AUTO_PAGES = 3_000
STORY_MIN_DAYS = 42  # a story needs a 4-week baseline before it, and weeks after it


class SimulationConfig(BaseModel):
    """Frozen, validated parameters; the same config always gives the same output."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int
    events: int = Field(default=DEFAULT_EVENTS, ge=1, description="target number of clicks")
    pages: int | None = Field(default=None, description="None: ~120, growing with sqrt(events)")
    segments: int = Field(default=4, ge=1, le=len(THEMES))
    start_ms: int = Field(default=1_767_600_000_000, ge=0, description="2026-01-05T08:00Z")
    days: float = Field(default=7.0, gt=0)
    # At least 20 s, so that dwell times (capped at half the timeout) stay >= 1 s apart.
    inactivity_timeout_ms: int = Field(default=30 * 60 * 1000, ge=20_000)

    # Planted effects: how many of each, and how strongly they act.
    hotspots: int = Field(default=4, ge=0)
    dead_ends: int = Field(default=3, ge=0)
    misleading: int = Field(default=1, ge=0)
    hotspot_return: float = Field(default=0.5, ge=0, le=1, description="P(quick A->B->A at B)")
    hotspot_lure: float = Field(default=0.1, ge=0, le=1, description="P(clicking a hotspot link)")
    dead_end_exit: float = Field(default=0.8, ge=0, le=1)
    misleading_exit: float = Field(default=0.5, ge=0, le=1)

    # Outcome events and attributes (off by default: a v1 clickstream of page views only).
    vote_share: float = Field(
        default=0.0, ge=0, le=1, description="resolutions told by a `resolution` vote event"
    )
    escalation_pages: int = Field(default=0, ge=0, description="planted escalation articles")
    escalation_rate: float = Field(
        default=0.35, ge=0, le=1, description="P(visitor of one escalates there)"
    )
    ticket_rate: float = Field(default=0.0, ge=0, le=1, description="request form -> ticket")
    chat_rate: float = Field(default=0.0, ge=0, le=1, description="contact page -> chat")
    attributes: bool = Field(default=False, description="platform and locale on every event")

    # Time: a weekly cycle, and stories bounded in time (need a span of several weeks).
    weekend_traffic: float = Field(default=1.0, gt=0, le=1, description="Sat/Sun vs weekdays")
    stories: bool = Field(default=False, description="a break, a fix, a segment's break")
    story_drop: float = Field(default=0.6, ge=0, le=1, description="P(leaving at a broken page)")

    # Second order: links whose customers expected something else.
    misleading_links: int = Field(default=0, ge=0)
    misleading_link_return: float = Field(
        default=0.6, ge=0, le=1, description="P(coming straight back after the link)"
    )

    # Background behaviour, so that ordinary pages have non-trivial statistics.
    background_return: float = Field(default=0.03, ge=0, le=0.5)
    cross_segment: float = Field(default=0.1, ge=0, le=1, description="intents outside segment")
    search_rate: float = Field(default=0.05, ge=0, le=0.5)

    # Searches with a query (off by default): a share of sessions search the help center,
    # some of them for planted content gaps (simulator/search.py).
    search_share: float = Field(default=0.0, ge=0, le=1, description="sessions that search")
    content_gaps: int = Field(default=0, ge=0, le=8, description="planted gap queries")
    gap_share: float = Field(
        default=0.2, ge=0, le=1, description="searching sessions whose problem is a gap"
    )

    @classmethod
    def full(cls, seed: int, **overrides: object) -> SimulationConfig:
        """Every planted effect on: resolution votes, escalations, attributes, a weekly cycle,
        a misleading link, and the time-bounded stories when the span is long enough."""
        days = overrides.get("days", cls.model_fields["days"].default)
        values: dict[str, object] = {
            "vote_share": 0.4,
            "escalation_pages": 2,
            "ticket_rate": 0.8,
            "chat_rate": 0.3,
            "attributes": True,
            "weekend_traffic": 0.6,
            "misleading_links": 1,
            "stories": isinstance(days, int | float) and days >= STORY_MIN_DAYS,
        }
        return cls.model_validate({"seed": seed, **values, **overrides})

    @property
    def special_pages(self) -> int:
        return self.hotspots + self.dead_ends + self.misleading

    @property
    def min_pages(self) -> int:
        """Smallest site that fits every segment's region and the planted pages."""
        specials = math.ceil(self.special_pages / self.segments)
        articles = max(MIN_SUBTOPICS * MIN_ARTICLES_PER_SUBTOPIC, specials + MIN_ORDINARY_ARTICLES)
        return SHARED_PAGES + self.segments * (1 + MIN_SUBTOPICS + articles)

    @property
    def page_count(self) -> int:
        if self.pages is not None:
            return self.pages
        scaled = round(DEFAULT_PAGES * math.sqrt(self.events / DEFAULT_EVENTS))
        return min(max(scaled, self.min_pages), max(MAX_AUTO_PAGES, self.min_pages))

    @model_validator(mode="after")
    def _site_fits(self) -> Self:
        if self.pages is not None and self.pages < self.min_pages:
            raise ValueError(f"pages={self.pages} is too small: need at least {self.min_pages}")
        return self
