"""How one customer moves through the site in one visit (a session, which becomes a path)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from simulator.config import SimulationConfig
from simulator.customers import Customer
from simulator.site import Kind, Page, Role, Site

EXIT = -1
MAX_CLICKS = 40  # nobody browses a help center forever

# A step is (page index, ms spent on the page before the next click, is_resolved).
Step = tuple[int, int, bool]
# An outcome event after the last click: ("resolution" or "escalation", ms after that click).
Marker = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Session:
    """One visit: by construction exactly one path (docs/paths.md)."""

    customer: int
    start: int  # ms after config.start_ms
    steps: list[Step]
    marker: Marker | None = None

    @property
    def resolved(self) -> bool:
        return self.steps[-1][2] or (self.marker is not None and self.marker[0] == "resolution")

    @property
    def escalated(self) -> bool:
        return self.marker is not None and self.marker[0] == "escalation"

    @property
    def last_click(self) -> int:
        return self.start + sum(dwell for _, dwell, _ in self.steps[:-1])


RESOLVE_INTENT = 0.85  # found the answer and clicked "this solved my problem"
RESOLVE_ALTERNATE = 0.2  # a popular sibling article sometimes answers it too
SILENT_EXIT = 0.6  # found the answer but left without saying so
FATIGUE = 0.01  # extra exit chance per click already made
MAX_EXIT = 0.6
ESCALATE_BASE = 0.01  # heading for "Contact support"...
ESCALATE_PER_CLICK = 0.006  # ...more likely the longer the search takes
RELOAD = 0.01  # the same page again (A->A), which must not count as a turnaround
SEARCH_HIT = 0.25  # site search lands on the right article
REGION_AFFINITY = 0.5  # wandering customers prefer their own part of the site
ENTRY_HOME = 0.5
ENTRY_CATEGORY = 0.25  # first visits only: a deep link from the product into a category
CONTACT_EXIT = 0.6  # on "Contact support" most people just email or call
REQUEST_EXIT = 0.9
DEAD_END_SEARCH_SHARE = 0.95  # the few who stay search; going back would plant a hotspot

QUICK_MAX_S = 9.5  # a hotspot bounce is quick: under the default 10 s threshold
MIN_DWELL_S = 1.0

# Lognormal dwell times: (median seconds, sigma).
DWELL: dict[Kind, tuple[float, float]] = {
    Kind.HOME: (7.0, 0.6),
    Kind.CATEGORY: (9.0, 0.6),
    Kind.SUBTOPIC: (10.0, 0.6),
    Kind.ARTICLE: (45.0, 0.9),
    Kind.CONTACT: (40.0, 0.8),
    Kind.REQUEST: (90.0, 0.7),
}
QUICK_DWELL = (4.0, 0.35)
MISLEADING_DWELL = (100.0, 0.5)  # a long read that does not help


class Walker:
    """Generates sessions; every choice comes from the one seeded random stream."""

    def __init__(self, site: Site, config: SimulationConfig, rng: random.Random) -> None:
        self._site = site
        self._pages = site.pages
        self._config = config
        self._rng = rng
        # Dwell must stay below the inactivity timeout, or one session would become two paths.
        self._max_dwell_s = min(15 * 60.0, config.inactivity_timeout_ms / 1000 / 2)
        self._dwell_params = [_lognormal(self._dwell_kind(p)) for p in site.pages]
        self._quick = _lognormal(QUICK_DWELL)

    @staticmethod
    def _dwell_kind(page: Page) -> tuple[float, float]:
        return MISLEADING_DWELL if page.role is Role.MISLEADING else DWELL[page.kind]

    # --- sessions -----------------------------------------------------------------------

    def entry(self, customer: Customer, returning: bool) -> int:
        r = self._rng.random()
        if r < ENTRY_HOME:
            return self._site.home
        if not returning and r < ENTRY_HOME + ENTRY_CATEGORY:
            return self._site.regions[self._pages[customer.intent].region].category
        return self._search(customer)

    def session(self, customer: Customer, entry: int) -> list[Step]:
        steps: list[Step] = []
        prev, cur = EXIT, entry
        for clicks in range(1, MAX_CLICKS + 1):
            if self._resolves(customer, cur):
                steps.append((cur, self._dwell(cur), True))
                return steps
            nxt, dwell = self._next(customer, prev, cur, clicks)
            steps.append((cur, dwell, False))
            if nxt == EXIT:
                return steps
            prev, cur = cur, nxt
        return steps

    def _resolves(self, customer: Customer, page: int) -> bool:
        if page == customer.intent:
            return self._rng.random() < RESOLVE_INTENT
        if page == customer.alternate:
            return self._rng.random() < RESOLVE_ALTERNATE
        return False

    # --- one click ----------------------------------------------------------------------

    def _next(self, customer: Customer, prev: int, cur: int, clicks: int) -> tuple[int, int]:
        """The next page (or EXIT) and the time spent on `cur` before leaving it."""
        page = self._pages[cur]
        if cur == customer.intent and self._rng.random() < SILENT_EXIT:
            return EXIT, self._dwell(cur)
        if page.role is Role.HOTSPOT and prev != EXIT:
            if self._rng.random() < self._config.hotspot_return:
                return prev, self._quick_dwell()
        elif page.role is Role.DEAD_END:
            return self._dead_end(customer, prev, cur)
        elif page.role is Role.MISLEADING:
            r = self._rng.random()
            if r < self._config.misleading_exit:
                return EXIT, self._dwell(cur)
            if r < (1 + self._config.misleading_exit) / 2:
                return self._search(customer), self._dwell(cur)
        if page.kind is Kind.CONTACT or page.kind is Kind.REQUEST:
            return self._escalated(page), self._dwell(cur)
        return self._browse(customer, prev, page, clicks), self._dwell(cur)

    def _browse(self, customer: Customer, prev: int, page: Page, clicks: int) -> int:
        r = self._rng.random()
        exit_p = min(page.exit_p + FATIGUE * clicks, MAX_EXIT)
        if r < exit_p:
            return EXIT
        r -= exit_p
        if prev != EXIT and r < page.return_p:
            return prev
        r -= page.return_p
        if r < self._config.search_rate:
            return self._search(customer)
        r -= self._config.search_rate
        if r < RELOAD:
            return page.index
        r -= RELOAD
        if r < ESCALATE_BASE + ESCALATE_PER_CLICK * clicks and self._site.contact in page.links:
            return self._site.contact
        return self._follow(customer, prev, page)

    def _follow(self, customer: Customer, prev: int, page: Page) -> int:
        """Follow a declared link: towards the answer if the customer sees it, else wander."""
        rng = self._rng
        candidates = [m for m in page.moves if m != prev] or page.moves
        if not candidates:
            return EXIT
        if page.lures and rng.random() < self._config.hotspot_lure:
            lure = rng.choice(page.lures)
            if lure != prev and self._pages[lure].region == self._pages[customer.intent].region:
                return lure
        if rng.random() < customer.focus:
            dist = self._site.distances_to(customer.intent)
            best = min(dist[m] for m in candidates)
            return rng.choice([m for m in candidates if dist[m] == best])
        if rng.random() < REGION_AFFINITY:
            own = [m for m in candidates if self._pages[m].region == customer.segment]
            if own:
                return rng.choice(own)
        return rng.choice(candidates)

    def _dead_end(self, customer: Customer, prev: int, cur: int) -> tuple[int, int]:
        dwell = self._dwell(cur)
        r = self._rng.random()
        exit_p = self._config.dead_end_exit
        if r < exit_p:
            return EXIT, dwell
        if r < exit_p + (1 - exit_p) * DEAD_END_SEARCH_SHARE or prev == EXIT:
            return self._search(customer), dwell
        return prev, dwell  # the browser's back button

    def _escalated(self, page: Page) -> int:
        leave = CONTACT_EXIT if page.kind is Kind.CONTACT else REQUEST_EXIT
        if self._rng.random() < leave:
            return EXIT
        return page.links[0]  # contact -> request form; request form -> home

    def _search(self, customer: Customer) -> int:
        """Site search: the right article, or something else in the same part of the site."""
        if self._rng.random() < SEARCH_HIT:
            return customer.intent
        region = self._site.regions[self._pages[customer.intent].region]
        return self._rng.choice(region.articles)

    # --- time ---------------------------------------------------------------------------

    def _dwell(self, page: int) -> int:
        mu, sigma = self._dwell_params[page]
        seconds = self._rng.lognormvariate(mu, sigma)
        return round(min(max(seconds, MIN_DWELL_S), self._max_dwell_s) * 1000)

    def _quick_dwell(self) -> int:
        mu, sigma = self._quick
        seconds = self._rng.lognormvariate(mu, sigma)
        return round(min(max(seconds, MIN_DWELL_S), QUICK_MAX_S, self._max_dwell_s) * 1000)


def _lognormal(median_sigma: tuple[float, float]) -> tuple[float, float]:
    median, sigma = median_sigma
    return math.log(median), sigma
