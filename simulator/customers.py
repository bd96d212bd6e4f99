"""Customers: a segment (which part of the site they care about) and a problem to solve."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from simulator.catalog import THEMES
from simulator.config import SimulationConfig
from simulator.site import Site


@dataclass(slots=True)
class Customer:
    index: int
    customer_id: str
    segment: int
    focus: float  # chance of picking the link that really leads to the answer
    intent: int = -1  # the article that solves the current problem
    alternate: int = -1  # a popular sibling article that sometimes solves it too


class Population:
    """Draws customers and their problems from one random stream."""

    def __init__(self, site: Site, config: SimulationConfig, rng: random.Random) -> None:
        self._site = site
        self._config = config
        self._rng = rng
        self._segments = list(range(config.segments))
        self._segment_cum = list(itertools.accumulate(t.weight for t in THEMES[: config.segments]))

    def customer(self, index: int) -> Customer:
        segment = self._rng.choices(self._segments, cum_weights=self._segment_cum)[0]
        focus = self._rng.uniform(0.35, 0.8)
        customer = Customer(index, f"c{index:05d}", segment, focus)
        self.new_problem(customer)
        return customer

    def new_problem(self, customer: Customer) -> None:
        """Mostly in the segment's own region; sometimes a problem from another one."""
        rng = self._rng
        region_index = customer.segment
        if len(self._segments) > 1 and rng.random() < self._config.cross_segment:
            region_index = rng.choice([s for s in self._segments if s != customer.segment])
        region = self._site.regions[region_index]
        intent = rng.choices(region.intents, cum_weights=region.intent_cum_weights)[0]
        best = self._site.best_in_subtopic[self._site.pages[intent].subtopic]
        customer.intent = intent
        customer.alternate = best if best != intent else -1
