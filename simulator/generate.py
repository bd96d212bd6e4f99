"""`simulate`: the site, the customers' sessions over time, and the resulting click events."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from simulator.config import SimulationConfig
from simulator.customers import Customer, Population
from simulator.navigate import Session, Walker
from simulator.site import build_site
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
    events: list[dict[str, Any]]  # click events (docs/events.md), sorted by timestamp
    pages: list[dict[str, Any]]  # `pages` topic records
    truth: dict[str, Any]  # the planted effects, JSON-serialisable


def simulate(config: SimulationConfig) -> Simulation:
    # Separate streams: the site does not change when only the event count does.
    site = build_site(config, _rng(config.seed, "site"))
    rng = _rng(config.seed, "clicks")
    population = Population(site, config, rng)
    walker = Walker(site, config, rng)
    customers, sessions = _run(config, population, walker, rng)
    events = _events(config, [c.customer_id for c in customers], site.page_ids, sessions)
    truth = build_truth(config, site, customers, sessions)
    return Simulation(events, site.page_dicts(), truth)


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
        start = 0 if customer.index == 0 else _arrival(config.start_ms, span_ms, rng)
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


def _arrival(start_ms: int, span_ms: int, rng: random.Random) -> int:
    """A first visit's offset in the window, following the daily traffic curve."""
    while True:
        offset = rng.randrange(span_ms)
        if rng.random() < DIURNAL[(start_ms + offset) // HOUR_MS % 24]:
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
    page_ids: list[str],
    sessions: list[Session],
) -> list[dict[str, Any]]:
    rows: list[tuple[int, int, int, bool]] = []
    append = rows.append
    for session in sessions:
        t = config.start_ms + session.start
        for page, dwell, resolved in session.steps:
            append((t, session.customer, page, resolved))
            t += dwell
    # (timestamp, customer) is unique: a customer's clicks are at least 1 s apart.
    rows.sort()
    seed = config.seed
    return [
        {
            "customer_id": customer_ids[c],
            "page_id": page_ids[p],
            "timestamp": t,
            "is_resolved": r,
            "event_id": f"{seed}-{n}",
        }
        for n, (t, c, p, r) in enumerate(rows)
    ]
