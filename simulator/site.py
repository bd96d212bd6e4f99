"""The simulated help center: pages, declared links and the planted problem pages."""

from __future__ import annotations

import itertools
import random
import re
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum

from simulator.catalog import THEMES, Theme, article_title
from simulator.config import (
    MIN_SUBTOPICS,
    SHARED_PAGES,
    SimulationConfig,
)

UNREACHABLE = 1_000_000
RELATED_ARTICLES = 8  # "related articles" box: siblings nearest in the subtopic
FEATURED_PER_CATEGORY = 2
ZIPF_EXPONENT = 0.9  # a few problems are common, most are rare
ARTICLES_PER_SUBTOPIC = 6
NAV_EXIT = 0.04  # base exit chance on home, categories and subtopics
ARTICLE_EXIT = 0.07  # articles end more visits: read, then leave


class Kind(StrEnum):
    HOME = "home"
    CATEGORY = "category"
    SUBTOPIC = "subtopic"
    ARTICLE = "article"
    CONTACT = "contact"
    REQUEST = "request"


class Role(StrEnum):
    ORDINARY = "ordinary"
    HOTSPOT = "hotspot"  # looks right, is not: customers bounce straight back
    DEAD_END = "dead_end"  # no useful way on: customers leave
    MISLEADING = "misleading"  # long read, wrong answer: customers give up


@dataclass(slots=True)
class Page:
    index: int
    page_id: str
    title: str
    url: str
    kind: Kind
    region: int = -1  # -1: shared by all segments
    subtopic: int = -1  # page index of an article's subtopic
    role: Role = Role.ORDINARY
    links: list[int] = field(default_factory=list)
    moves: list[int] = field(default_factory=list)  # links a browsing customer follows
    lures: list[int] = field(default_factory=list)  # hotspot links that tempt customers
    return_p: float = 0.0  # background chance of going straight back
    exit_p: float = 0.0  # base chance of leaving the site from here


@dataclass(slots=True)
class Region:
    """One segment's part of the site."""

    segment: str
    category: int
    subtopics: list[int]
    articles: list[int]
    intents: list[int] = field(default_factory=list)  # solvable articles, most popular first
    intent_cum_weights: list[float] = field(default_factory=list)


@dataclass(slots=True)
class Site:
    pages: list[Page]
    regions: list[Region]
    home: int
    contact: int
    request: int
    best_in_subtopic: dict[int, int] = field(default_factory=dict)  # most popular intent
    _distances: dict[int, list[int]] = field(default_factory=dict, init=False, repr=False)
    _incoming: list[list[int]] = field(default_factory=list, init=False, repr=False)

    @property
    def page_ids(self) -> list[str]:
        return [p.page_id for p in self.pages]

    def with_role(self, role: Role) -> list[int]:
        return [p.index for p in self.pages if p.role is role]

    def region_pages(self, region: int) -> list[int]:
        return [p.index for p in self.pages if p.region == region]

    def distances_to(self, target: int) -> list[int]:
        """Fewest declared-link clicks from every page to `target` (cached BFS)."""
        cached = self._distances.get(target)
        if cached is None:
            cached = self._bfs_to(target)
            self._distances[target] = cached
        return cached

    def _bfs_to(self, target: int) -> list[int]:
        if not self._incoming:  # links are final once customers start browsing
            self._incoming = [[] for _ in self.pages]
            for page in self.pages:
                for dest in page.links:
                    self._incoming[dest].append(page.index)
        incoming = self._incoming
        dist = [UNREACHABLE] * len(self.pages)
        dist[target] = 0
        queue = deque([target])
        while queue:
            node = queue.popleft()
            for src in incoming[node]:
                if dist[src] == UNREACHABLE:
                    dist[src] = dist[node] + 1
                    queue.append(src)
        return dist

    def page_dicts(self) -> list[dict[str, object]]:
        """The `pages` topic records (docs/events.md)."""
        ids = self.page_ids
        return [
            {
                "page_id": p.page_id,
                "title": p.title,
                "url": p.url,
                "links": [ids[i] for i in p.links],
            }
            for p in self.pages
        ]


def build_site(config: SimulationConfig, rng: random.Random) -> Site:
    site = _skeleton(config)
    _plant_roles(site, config, rng)
    _rank_intents(site, rng)
    _link(site, rng)
    _draw_behaviour(site, config, rng)
    return site


# --- skeleton -------------------------------------------------------------------------


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


class _Pages:
    """Appends pages with sequential ids p000, p001, ..."""

    def __init__(self) -> None:
        self.pages: list[Page] = []

    def add(self, title: str, kind: Kind, path: str, region: int = -1, subtopic: int = -1) -> int:
        """`path` ending in "/" gets the page's id and slug appended, Zendesk style."""
        index = len(self.pages)
        page_id = f"p{index:03d}"
        if path.endswith("/"):
            path = f"{path}{page_id}-{_slug(title)}"
        url = f"/hc/en-us/{path}".rstrip("/")
        self.pages.append(Page(index, page_id, title, url, kind, region, subtopic))
        return index


def _skeleton(config: SimulationConfig) -> Site:
    out = _Pages()
    home = out.add("Help Center", Kind.HOME, "")
    contact = out.add("Contact support", Kind.CONTACT, "contact")
    request = out.add("Submit a request", Kind.REQUEST, "requests/new")
    budget = config.page_count - SHARED_PAGES
    regions = [
        _add_region(out, r, THEMES[r], budget // config.segments + (r < budget % config.segments))
        for r in range(config.segments)
    ]
    return Site(out.pages, regions, home, contact, request)


def _add_region(out: _Pages, r: int, theme: Theme, size: int) -> Region:
    n_sub = min(len(theme.subtopics), max(MIN_SUBTOPICS, (size - 1) // (ARTICLES_PER_SUBTOPIC + 1)))
    category = out.add(theme.category, Kind.CATEGORY, "categories/", region=r)
    subtopics = [
        out.add(sub.title, Kind.SUBTOPIC, "sections/", region=r) for sub in theme.subtopics[:n_sub]
    ]
    articles = []
    for j in range(size - 1 - n_sub):
        s = j % n_sub
        title = article_title(theme.subtopics[s], j // n_sub)
        articles.append(out.add(title, Kind.ARTICLE, "articles/", region=r, subtopic=subtopics[s]))
    return Region(theme.segment, category, subtopics, articles)


# --- planted roles and popularity -----------------------------------------------------


def _plant_roles(site: Site, config: SimulationConfig, rng: random.Random) -> None:
    """Spread the planted pages round-robin over the regions, at random articles."""
    roles = (
        [Role.HOTSPOT] * config.hotspots
        + [Role.DEAD_END] * config.dead_ends
        + [Role.MISLEADING] * config.misleading
    )
    for n, role in enumerate(roles):
        region = site.regions[n % len(site.regions)]
        free = [a for a in region.articles if site.pages[a].role is Role.ORDINARY]
        site.pages[rng.choice(free)].role = role


def _rank_intents(site: Site, rng: random.Random) -> None:
    for region in site.regions:
        intents = [a for a in region.articles if site.pages[a].role is Role.ORDINARY]
        rng.shuffle(intents)
        weights = [1.0 / (rank + 1) ** ZIPF_EXPONENT for rank in range(len(intents))]
        region.intents = intents
        region.intent_cum_weights = list(itertools.accumulate(weights))
        for a in intents:  # first seen is the most popular
            site.best_in_subtopic.setdefault(site.pages[a].subtopic, a)


# --- links ----------------------------------------------------------------------------


def _featured(site: Site, region: Region, count: int) -> list[int]:
    """What a category promotes: its most popular answers and its planted traps."""
    planted = [a for a in region.articles if site.pages[a].role in (Role.HOTSPOT, Role.MISLEADING)]
    return region.intents[:count] + planted


def _link(site: Site, rng: random.Random) -> None:
    pages = site.pages
    pages[site.home].links = [
        *(r.category for r in site.regions),
        *(r.intents[0] for r in site.regions),  # "Popular articles"
        site.contact,
    ]
    pages[site.contact].links = [site.request, site.home]
    pages[site.request].links = [site.home]
    for region in site.regions:
        pages[region.category].links = [
            site.home,
            *region.subtopics,
            *_featured(site, region, FEATURED_PER_CATEGORY),
            site.contact,
        ]
        for sub in region.subtopics:
            children = [a for a in region.articles if pages[a].subtopic == sub]
            pages[sub].links = [site.home, region.category, *children, site.contact]
            for n, article in enumerate(children):
                pages[article].links = _article_links(site, region, children, n, rng)
    for page in pages:
        page.links = list(dict.fromkeys(page.links))  # declared once, in order
        page.moves = [i for i in page.links if pages[i].kind not in (Kind.CONTACT, Kind.REQUEST)]
        page.lures = [i for i in page.moves if pages[i].role is Role.HOTSPOT]


def _article_links(
    site: Site, region: Region, siblings: list[int], n: int, rng: random.Random
) -> list[int]:
    article = siblings[n]
    if site.pages[article].role is Role.DEAD_END:
        # No way on at all, or only the contact form: both leave the customer stuck.
        return [] if site.with_role(Role.DEAD_END).index(article) % 2 == 0 else [site.contact]
    half = RELATED_ARTICLES // 2
    related = [siblings[(n + k) % len(siblings)] for k in range(-half, half + 1) if k != 0]
    elsewhere = [
        a for a in region.articles if site.pages[a].subtopic != site.pages[article].subtopic
    ]
    cross = [rng.choice(elsewhere)] if elsewhere else []
    sub = site.pages[article].subtopic
    links = [site.home, region.category, sub, *related, *cross, site.contact]
    return [i for i in links if i != article]


# --- per-page behaviour ---------------------------------------------------------------


def _draw_behaviour(site: Site, config: SimulationConfig, rng: random.Random) -> None:
    """Give each page its own background rates, so that ordinary pages are not identical."""
    for page in site.pages:
        base_exit = ARTICLE_EXIT if page.kind is Kind.ARTICLE else NAV_EXIT
        page.exit_p = base_exit * rng.uniform(0.5, 1.5)
        page.return_p = config.background_return * rng.uniform(0.4, 1.6)
