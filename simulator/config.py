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

    # Background behaviour, so that ordinary pages have non-trivial statistics.
    background_return: float = Field(default=0.03, ge=0, le=0.5)
    cross_segment: float = Field(default=0.1, ge=0, le=1, description="intents outside segment")
    search_rate: float = Field(default=0.05, ge=0, le=0.5)

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
