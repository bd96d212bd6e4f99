"""`simulate`: the site, the customers' sessions over time, and the resulting click events."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from simulator import effects, search
from simulator.config import SimulationConfig
from simulator.customers import Customer, Population
from simulator.navigate import Session, Walker
from simulator.site import Site, build_site
from simulator.truth import build_truth

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
MAX_SESSIONS = 5
RETRY = 0.4  # an unresolved customer comes back to try again
NEW_PROBLEM = 0.15  # a resolved customer comes back later with another problem
LEARNING = 0.1  # a returning customer knows the site a little better
MAX_FOCUS = 0.95
RETURN_GAP_MEDIAN_MS = 4 * HOUR_MS
RETURN_GAP_SIGMA = 1.0
# Traffic follows the working day (UTC): quiet at night, busiest mid-afternoon.
DIURNAL = tuple(0.15 + 0.85 * math.exp(-0.5 * ((h - 14) / 4) ** 2) for h in range(24))


@dataclass(frozen=True, slots=True)
class Simulation:
    events: list[dict[str, Any]]  # click and outcome events (docs/events.md), by timestamp
    pages: list[dict[str, Any]]  # `pages` topic records
    truth: dict[str, Any]  # the planted effects, JSON-serialisable
    # Later versions of catalog pages: (epoch ms when the change goes live, the new record).
    catalog_changes: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def simulate(config: SimulationConfig) -> Simulation:
    # Separate streams: the site does not change when only the event count does, and each
    # planted effect draws from its own stream (simulator/effects.py).
    site = build_site(config, _rng(config.seed, "site"))
    rng = _rng(config.seed, "clicks")
    population = Population(site, config, rng)
    walker = Walker(site, config, rng)
    customers, sessions = _run(config, population, walker, rng)
    planted = effects.plan(config, site)
    attributes = effects.attributes_of(customers, config.seed)
    sessions = effects.apply(config, site, sessions, attributes, planted)
    gaps = search.plan(config, site)
    sessions, searches = search.apply(config, site, sessions, gaps)
    ids = [c.customer_id for c in customers]
    events = _events(config, ids, site, sessions, attributes, searches)
    truth = build_truth(config, site, customers, sessions) | effects.truth(site, planted, config)
    if config.search_share:
        truth["search"] = search.truth(gaps, searches, site)
    # The site as it was when traffic began: its catalog versions date from then.
    pages = [{**p, "updated_at": config.start_ms} for p in site.page_dicts()]
    return Simulation(events, pages, truth, _catalog_changes(config, site, planted))


def _rng(seed: int, stream: str) -> random.Random:
    # String seeds are hashed with SHA-512: stable across runs and PYTHONHASHSEED.
    return random.Random(f"customer-pathrank/{seed}/{stream}")


def _run(
    config: SimulationConfig, population: Population, walker: Walker, rng: random.Random
) -> tuple[list[Customer], list[Session]]:
    """New customers until the target is reached; the last session is always finished."""
    span_ms = math.ceil(config.days * DAY_MS)
    customers: list[Customer] = []
    sessions: list[Session] = []
    clicks = 0
    while clicks < config.events:
        customer = population.customer(len(customers))
        customers.append(customer)
        # Customer 0 starts the clock, so the first click is exactly at start_ms.
        start = (
            0
            if customer.index == 0
            else _arrival(config.start_ms, span_ms, rng, config.weekend_traffic)
        )
        for visit in range(MAX_SESSIONS):
            steps = walker.session(customer, walker.entry(customer, returning=visit > 0))
            sessions.append(Session(customer.index, start, steps))
            clicks += len(steps)
            if clicks >= config.events:
                break
            next_start = _comeback(config, population, customer, sessions[-1], rng)
            if next_start is None or next_start >= span_ms:
                break
            start = next_start
    return customers, sessions


def _arrival(start_ms: int, span_ms: int, rng: random.Random, weekend: float = 1.0) -> int:
    """A first visit's offset in the window, following the daily and weekly traffic curves."""
    while True:
        offset = rng.randrange(span_ms)
        moment = start_ms + offset
        # 1970-01-01 was a Thursday: days 2 and 3 of a week counted from it are Sat and Sun.
        weekly = weekend if (moment // DAY_MS) % 7 in (2, 3) else 1.0
        if rng.random() < DIURNAL[moment // HOUR_MS % 24] * weekly:
            return offset


def _comeback(
    config: SimulationConfig,
    population: Population,
    customer: Customer,
    session: Session,
    rng: random.Random,
) -> int | None:
    """When the customer visits again (always after the inactivity timeout), or None."""
    if session.resolved:
        if rng.random() >= NEW_PROBLEM:
            return None
        population.new_problem(customer)
    elif rng.random() >= RETRY:
        return None
    customer.focus = min(customer.focus + LEARNING, MAX_FOCUS)
    gap = rng.lognormvariate(math.log(RETURN_GAP_MEDIAN_MS), RETURN_GAP_SIGMA)
    return session.last_click + config.inactivity_timeout_ms + 60_000 + round(gap)


def _events(
    config: SimulationConfig,
    customer_ids: list[str],
    site: Site,
    sessions: list[Session],
    attributes: list[dict[str, str]],
    searches: dict[int, tuple[search.Search, ...]],
) -> list[dict[str, Any]]:
    page_ids = site.page_ids
    # (timestamp, customer, page, resolved, outcome event type or "")
    rows: list[tuple[int, int, int, bool, str]] = []
    append = rows.append
    typed: dict[tuple[int, int], search.Search] = {}  # (timestamp, customer) of a search
    for n, session in enumerate(sessions):
        t = config.start_ms + session.start
        found = {s.step: s for s in searches.get(n, ())}
        for i, (page, dwell, resolved) in enumerate(session.steps):
            append((t, session.customer, page, resolved, ""))
            if i in found:
                typed[(t, session.customer)] = found[i]
            t += dwell
        if session.marker is not None:
            kind, delay = session.marker
            last_click = t - session.steps[-1][1]
            append((last_click + delay, session.customer, session.steps[-1][0], False, kind))
    # (timestamp, customer) is unique: a customer's clicks are at least 1 s apart, and an
    # outcome event follows its last click by at least 2 s.
    rows.sort()
    seed = config.seed
    out: list[dict[str, Any]] = []
    for n, (t, c, p, r, kind) in enumerate(rows):
        event: dict[str, Any] = {
            "customer_id": customer_ids[c],
            "page_id": page_ids[p] if p < len(page_ids) else "search",
            "timestamp": t,
            "is_resolved": r,
            "event_id": f"{seed}-{n}",
        }
        if kind:
            event["event_type"] = kind
        elif (t, c) in typed:
            del event["page_id"], event["is_resolved"]
            step = typed[(t, c)]
            event.update(event_type="search", query=step.raw)
            if step.results is not None:
                event["results"] = step.results
        if config.attributes:
            event["attributes"] = attributes[c]
        out.append(event)
    return out


def _catalog_changes(
    config: SimulationConfig, site: Site, planted: effects.Planted
) -> list[tuple[int, dict[str, Any]]]:
    """The fix of a "fix" story: the page's new title and a link to its subtopic's best
    answer, live on the day of the fix."""
    pages = site.page_dicts()
    changes = []
    for story in planted.stories:
        if story.kind != "fix":
            continue
        record = dict(pages[story.page])
        subtopic = site.pages[story.page].subtopic
        region = site.regions[site.pages[story.page].region]
        siblings = [a for a in region.intents if site.pages[a].subtopic == subtopic]
        links = [str(link) for link in record["links"]]  # type: ignore[attr-defined]
        for other in siblings:
            if other != story.page and site.page_ids[other] not in links:
                links.insert(0, site.page_ids[other])
                break
        record["title"] = f"{record['title']} (updated)"
        record["links"] = links
        record["updated_at"] = config.start_ms + story.from_ms
        changes.append((config.start_ms + story.from_ms, record))
    return changes
