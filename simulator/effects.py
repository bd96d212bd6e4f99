"""Effects planted on top of the customers' sessions, each from its own random stream, so that
switching one on leaves every other click of a seed where it was.

- votes: a resolution told by a separate `resolution` event ("this article helped") instead of
  a resolving click;
- escalations: customers who give up on self-service and open a ticket or a chat, on the
  contact pages and on planted escalation articles;
- misleading links: a link A -> B whose customers come straight back to A (they expected
  something else), while customers reaching B otherwise do not;
- stories: time-bounded changes (a page that breaks, a page fixed by a catalog change, one
  segment for which a step breaks for two weeks).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Any

from simulator.config import STORY_MIN_DAYS, SimulationConfig
from simulator.customers import Customer
from simulator.navigate import Session, Step
from simulator.site import Kind, Site

DAY_MS = 24 * 3_600_000
VOTE_DELAY_MS = (2_000, 20_000)  # reading, then clicking "this helped"
ESCALATION_DELAY_MS = (10_000, 120_000)  # filling in the form, starting the chat
QUICK_BACK_MS = (1_500, 6_000)
BACK_ON_A_MS = 50_000
SEGMENT_STORY_DAYS = 14
AFFECTED_SHARE = 0.005  # pages a story changed fewer of the paths of are not listed
PLATFORMS = (("desktop", 0.6), ("mobile", 0.35), ("tablet", 0.05))
LOCALES = (("en-US", 0.55), ("de-DE", 0.15), ("fr-FR", 0.15), ("es-ES", 0.15))


@dataclass(frozen=True, slots=True)
class Story:
    kind: str  # "break", "fix" or "segment_break"
    page: int
    from_ms: int  # offset from config.start_ms
    until_ms: int | None = None  # None: from then on
    segment: tuple[str, str] | None = None  # (key, value) the story applies to

    def applies(self, start: int, attributes: dict[str, str]) -> bool:
        """Whether a session starting at `start` meets the broken page."""
        if self.segment is not None and attributes.get(self.segment[0]) != self.segment[1]:
            return False
        if self.kind == "fix":  # broken until the fix
            return start < self.from_ms
        return start >= self.from_ms and (self.until_ms is None or start < self.until_ms)


@dataclass(frozen=True, slots=True)
class Planted:
    escalation_articles: list[int] = field(default_factory=list)
    misleading_links: list[tuple[int, int]] = field(default_factory=list)
    innocent_links: list[tuple[int, int]] = field(default_factory=list)  # into the same pages
    stories: list[Story] = field(default_factory=list)
    # Per story (same order), per page index: [sessions through the page while the story
    # applied, of which the story changed] (filled by `apply`).
    reach: list[dict[int, list[int]]] = field(default_factory=list)


def attributes_of(customers: list[Customer], seed: int) -> list[dict[str, str]]:
    """A platform and a locale per customer, drawn from their own stream."""
    rng = random.Random(f"customer-pathrank/{seed}/attributes")
    out = []
    for _ in customers:
        out.append({"platform": _weighted(rng, PLATFORMS), "locale": _weighted(rng, LOCALES)})
    return out


def plan(config: SimulationConfig, site: Site) -> Planted:
    """Which pages and links the effects use (the site's structure is not changed)."""
    rng = random.Random(f"customer-pathrank/{config.seed}/effects-plan")
    taken: set[int] = set()
    misleading, innocent = _pick_links(site, config.misleading_links, taken, rng)
    escalation = _pick_articles(site, config.escalation_pages, taken, rng)
    stories = _stories(config, site, taken) if config.stories else []
    return Planted(escalation, misleading, innocent, stories)


def apply(
    config: SimulationConfig,
    site: Site,
    sessions: list[Session],
    attributes: list[dict[str, str]],
    planted: Planted,
) -> list[Session]:
    rng = random.Random(f"customer-pathrank/{config.seed}/effects")
    misleading = set(planted.misleading_links)
    escalating = set(planted.escalation_articles)
    out = []
    planted.reach[:] = [{} for _ in planted.stories]
    for session in sessions:
        steps = list(session.steps)
        if misleading:
            steps = _u_turns(steps, misleading, config.misleading_link_return, rng)
        for story, reach in zip(planted.stories, planted.reach, strict=True):
            if story.applies(session.start, attributes[session.customer]):
                before = steps
                steps = _drop_after(steps, story.page, config.story_drop, rng)
                changed = steps != before
                for page in {step[0] for step in before}:
                    tally = reach.setdefault(page, [0, 0])
                    tally[0] += 1
                    tally[1] += changed
        current = replace(session, steps=steps)
        current = _escalate(config, site, current, escalating, rng)
        out.append(_vote(config, current, rng))
    return out


def truth(site: Site, planted: Planted, config: SimulationConfig) -> dict[str, Any]:
    ids = site.page_ids
    return {
        "escalation_articles": sorted(ids[p] for p in planted.escalation_articles),
        # Every page planted to escalate: the articles, and the contact pages where tickets
        # and chats start (what the escalation-hotspot test should find).
        "escalation_hotspots": sorted(
            [ids[p] for p in planted.escalation_articles]
            + ([ids[site.contact]] if config.chat_rate > 0 else [])
            + ([ids[site.request]] if config.ticket_rate > 0 else [])
        ),
        "misleading_links": sorted([ids[a], ids[b]] for a, b in planted.misleading_links),
        "innocent_links": sorted([ids[a], ids[b]] for a, b in planted.innocent_links),
        "stories": [
            {
                "kind": s.kind,
                "page": ids[s.page],
                "from_ms": config.start_ms + s.from_ms,
                "until_ms": None if s.until_ms is None else config.start_ms + s.until_ms,
                "segment": None if s.segment is None else "=".join(s.segment),
                # While the story applied, the share of each page's paths it changed: the
                # pages whose rates it moved (the story's own page and the ones before it).
                "affected": {
                    ids[page]: round(changed / through, 4)
                    for page, (through, changed) in sorted(reach.items())
                    if changed and changed / through >= AFFECTED_SHARE
                },
            }
            for s, reach in zip(
                planted.stories, planted.reach or [{}] * len(planted.stories), strict=True
            )
        ],
    }


# ---- planting -------------------------------------------------------------------------------


def _pick_articles(site: Site, count: int, taken: set[int], rng: random.Random) -> list[int]:
    """Popular ordinary articles (so the effect has traffic to show in), one region at a time."""
    picked: list[int] = []
    for n in range(count):
        region = site.regions[n % len(site.regions)]
        free = [a for a in region.intents[1:8] if a not in taken]
        if free:
            choice = rng.choice(free)
            picked.append(choice)
            taken.add(choice)
    return picked


def _pick_links(
    site: Site, count: int, taken: set[int], rng: random.Random
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Category -> the region's most popular article (misleading), with home's "Popular
    articles" link to the same article as its innocent sibling: both carry a lot of traffic."""
    misleading: list[tuple[int, int]] = []
    innocent: list[tuple[int, int]] = []
    for n in range(count):
        region = site.regions[n % len(site.regions)]
        target = region.intents[0]
        if target in taken or target not in site.pages[region.category].links:
            continue
        taken.add(target)
        misleading.append((region.category, target))
        innocent.append((site.home, target))
    return misleading, innocent


def _stories(config: SimulationConfig, site: Site, taken: set[int]) -> list[Story]:
    if config.days < STORY_MIN_DAYS:
        return []
    span = round(config.days * DAY_MS)
    regions = site.regions
    chosen = []
    for r in range(3):
        region = regions[r % len(regions)]
        free = [a for a in region.intents[:6] if a not in taken]
        chosen.append(free[0])
        taken.add(free[0])
    whole_days = int(config.days)
    # The segment's story is the faintest (a third of the page's customers, two weeks): it
    # gets the most visited page, the top problem of the largest segment.
    return [
        Story("fix", chosen[1], _day(round(whole_days * 0.45))),
        Story("break", chosen[2], _day(round(whole_days * 0.65))),
        Story(
            "segment_break",
            chosen[0],
            _day(round(whole_days * 0.55)),
            min(span, _day(round(whole_days * 0.55) + SEGMENT_STORY_DAYS)),
            ("platform", "mobile"),
        ),
    ]


def _day(day: int) -> int:
    return day * DAY_MS


# ---- applying -------------------------------------------------------------------------------


def _u_turns(
    steps: list[Step], links: set[tuple[int, int]], chance: float, rng: random.Random
) -> list[Step]:
    """After A -> B on a planted link, sometimes straight back to A (quickly)."""
    out: list[Step] = []
    for i, (page, dwell, resolved) in enumerate(steps):
        prev = steps[i - 1][0] if i else None
        if prev is not None and (prev, page) in links and rng.random() < chance:
            out.append((page, rng.randint(*QUICK_BACK_MS), False))
            # Back on A, then on as before; under a minute, so the session keeps its end well
            # before the customer's next visit (which starts at least a minute after timeout).
            out.append((prev, min(steps[i - 1][1], BACK_ON_A_MS), False))
            if resolved:  # the answer was not here after all for this customer
                return out
            continue
        out.append((page, dwell, resolved))
    return out


def _drop_after(steps: list[Step], page: int, chance: float, rng: random.Random) -> list[Step]:
    """The customer meets a broken page and leaves there (it does not resolve)."""
    for i, (at, dwell, _) in enumerate(steps):
        if at == page:
            if rng.random() < chance:
                return [*steps[:i], (at, dwell, False)]
            return steps
    return steps


def _escalate(
    config: SimulationConfig,
    site: Site,
    session: Session,
    escalating: set[int],
    rng: random.Random,
) -> Session:
    steps = session.steps
    for i, (page, _dwell, resolved) in enumerate(steps):
        if resolved:
            break
        if page in escalating and rng.random() < config.escalation_rate:
            return _marked(session, [*steps[: i + 1]], "escalation", ESCALATION_DELAY_MS, rng)
    if session.resolved:
        return session
    last = site.pages[steps[-1][0]].kind
    chance = {Kind.REQUEST: config.ticket_rate, Kind.CONTACT: config.chat_rate}.get(last, 0.0)
    if chance and rng.random() < chance:
        return _marked(session, steps, "escalation", ESCALATION_DELAY_MS, rng)
    return session


def _vote(config: SimulationConfig, session: Session, rng: random.Random) -> Session:
    if session.marker is not None or not session.steps[-1][2]:
        return session
    if config.vote_share and rng.random() < config.vote_share:
        page, dwell, _ = session.steps[-1]
        steps = [*session.steps[:-1], (page, dwell, False)]
        return _marked(session, steps, "resolution", VOTE_DELAY_MS, rng)
    return session


def _marked(
    session: Session, steps: list[Step], kind: str, delay: tuple[int, int], rng: random.Random
) -> Session:
    return replace(session, steps=steps, marker=(kind, rng.randint(*delay)))


def _weighted(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    r = rng.random()
    for value, weight in choices:
        if r < weight:
            return value
        r -= weight
    return choices[-1][0]
