"""Customers who search, and planted content gaps (docs/cli.md, "pathrank simulate").

A share of sessions search the help center: their step on the search page carries a query
(and the results count the search showed). Most queries name the customer's problem, an
article of the site: the search goes in right before the customer reaches the first
ordinary article of the session, which ends as it did (a session that reaches none
searches nothing). Planted content gaps are queries
with no good answer on the site, searched by customers whose problem it is:

- `no_result`: the search finds nothing; the customer searches again, or gives up, or goes
  to the contact page;
- `misleading`: the top result is an article that does not answer it; the customer reads
  it and comes back to search (pogo-sticking), then mostly gives up.

Stored query texts are lowercase words, so the truth names them exactly as the product
stores them; the raw text the events carry has the noise normalisation removes (case,
spaces, a question mark), and a few queries hold an order number or an e-mail address the
product must redact (their stored form has `<number>` / `<email>`). Everything draws from
its own random stream: switching search on leaves every other click of a seed where it was.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace
from typing import Any, Final

from simulator.config import SimulationConfig
from simulator.navigate import Session, Step
from simulator.site import Kind, Role, Site

# The problems no article answers, with the kind of failure each plants.
GAP_QUERIES: Final = (
    ("refund status", "no_result"),
    ("change delivery address", "misleading"),
    ("delete my account", "no_result"),
    ("invoice in another currency", "misleading"),
    ("transfer license to colleague", "no_result"),
    ("export data to csv", "misleading"),
    ("two factor without phone", "no_result"),
    ("merge two accounts", "misleading"),
)
ORDER_QUERY: Final = "where is my order <number>"
EMAIL_QUERY: Final = "<email> cannot log in"
PII_SHARE: Final = 0.03  # of ordinary searches: an order number or an e-mail address
STOP: Final = frozenset(
    [
        "a",
        "an",
        "the",
        "i",
        "my",
        "me",
        "how",
        "do",
        "does",
        "can",
        "why",
        "what",
        "when",
        "where",
        "which",
        "is",
        "are",
        "was",
        "to",
        "of",
        "for",
        "on",
        "in",
        "with",
        "your",
        "you",
        "it",
        "will",
        "get",
        "be",
        "i'm",
        "didn't",
        "haven't",
    ]
)
SEARCH_DWELL_MS: Final = (3_000, 15_000)
REFINE: Final = 0.5  # no result: search again
GIVE_UP: Final = 0.6  # ... then leave
CONTACT: Final = 0.25  # ... or go to "Contact support"
POGO: Final = 0.75  # a misleading top result: back to search
POGO_GIVE_UP: Final = 0.7
ESCALATE: Final = 0.5  # on the contact page, with escalations simulated: a ticket


@dataclass(frozen=True, slots=True)
class Search:
    """The search step at `step` of a session: the raw text sent, and its results count."""

    step: int
    raw: str
    query: str  # the stored text
    results: int | None


def query_of(title: str) -> str:
    """An article's query: the title's words without the small ones, lowercase."""
    words = [w for w in re.findall(r"[a-z0-9']+", title.lower()) if w not in STOP]
    return " ".join(w.replace("'", "") for w in words[:4]) or "help"


@dataclass(frozen=True, slots=True)
class Planted:
    gaps: tuple[tuple[str, str], ...]  # (query, kind)
    misleading_results: dict[str, int]  # a misleading gap's top result (page index)


def plan(config: SimulationConfig, site: Site) -> Planted:
    rng = random.Random(f"customer-pathrank/{config.seed}/search-plan")
    gaps = GAP_QUERIES[: config.content_gaps]
    articles = [a for region in site.regions for a in region.articles]
    return Planted(gaps, {q: rng.choice(articles) for q, kind in gaps if kind == "misleading"})


def apply(
    config: SimulationConfig, site: Site, sessions: list[Session], planted: Planted
) -> tuple[list[Session], dict[int, tuple[Search, ...]]]:
    """The sessions with their searches, and each searching session's searches by index."""
    rng = random.Random(f"customer-pathrank/{config.seed}/search")
    out: list[Session] = []
    searches: dict[int, tuple[Search, ...]] = {}
    for n, session in enumerate(sessions):
        if not config.search_share or rng.random() >= config.search_share:
            out.append(session)
            continue
        if planted.gaps and rng.random() < config.gap_share:
            query, kind = rng.choice(planted.gaps)
            searching, found = _gap(config, site, session, query, kind, planted, rng)
        elif any(_answer(site, page) for page, _, _ in session.steps):
            searching, found = _ordinary(site, session, rng)
        else:  # never reached an ordinary article: nothing to search for
            out.append(session)
            continue
        out.append(searching)
        searches[n] = found
    return out, searches


def _answer(site: Site, page: int) -> bool:
    """An ordinary article: what an ordinary search leads to (the planted problem pages
    have effects of their own, which must not make their queries look like gaps)."""
    return site.pages[page].kind is Kind.ARTICLE and site.pages[page].role is Role.ORDINARY


def _search_step(site: Site, rng: random.Random) -> Step:
    return (len(site.pages), rng.randint(*SEARCH_DWELL_MS), False)


def _raw(query: str, rng: random.Random) -> str:
    """What a customer typed: the query with some case, spacing and punctuation noise."""
    text = query.replace("<number>", str(rng.randint(10_000_000, 99_999_999)))
    text = text.replace("<email>", f"user{rng.randint(1, 9999)}@example.com")
    if rng.random() < 0.4:
        text = text[:1].upper() + text[1:]
    if rng.random() < 0.3:
        text = text.replace(" ", "  ", 1)
    if rng.random() < 0.3:
        text += "?"
    return text


def _ordinary(
    site: Site, session: Session, rng: random.Random
) -> tuple[Session, tuple[Search, ...]]:
    """A search for the customer's problem, right before the article it leads to."""
    steps = session.steps
    at = next(i for i, (page, _, _) in enumerate(steps) if _answer(site, page))
    target = steps[at][0]
    r = rng.random()
    if r < PII_SHARE:
        query = ORDER_QUERY if r < PII_SHARE / 2 else EMAIL_QUERY
    else:
        query = query_of(site.pages[target].title)
    results = None if rng.random() < 0.1 else rng.randint(1, 25)
    new = [*steps[:at], _search_step(site, rng), *steps[at:]]
    return replace(session, steps=new), (Search(at, _raw(query, rng), query, results),)


def _gap(
    config: SimulationConfig,
    site: Site,
    session: Session,
    query: str,
    kind: str,
    planted: Planted,
    rng: random.Random,
) -> tuple[Session, tuple[Search, ...]]:
    """A customer whose problem the site does not answer: search, fail, mostly give up."""
    first = session.steps[0]
    steps: list[Step] = [(first[0], first[1], False)]
    found: list[Search] = []

    def search(results: int | None) -> None:
        found.append(Search(len(steps), _raw(query, rng), query, results))
        steps.append(_search_step(site, rng))

    if kind == "no_result":
        search(0)
        if rng.random() < REFINE:
            search(0)
        r = rng.random()
        if r < GIVE_UP:
            return _ended(session, steps), tuple(found)
        if r < GIVE_UP + CONTACT:
            steps.append((site.contact, rng.randint(20_000, 60_000), False))
            return _contacted(config, session, steps, rng), tuple(found)
    else:
        search(rng.randint(3, 12))
        steps.append((planted.misleading_results[query], rng.randint(40_000, 120_000), False))
        if rng.random() < POGO:
            search(rng.randint(3, 12))
            if rng.random() < POGO_GIVE_UP:
                return _ended(session, steps), tuple(found)
        elif rng.random() < POGO_GIVE_UP:
            return _ended(session, steps), tuple(found)
    # Found a way on by browsing: the session goes on as it did.
    return replace(session, steps=steps + session.steps[1:]), tuple(found)


def _ended(session: Session, steps: list[Step]) -> Session:
    return replace(session, steps=steps, marker=None)


def _contacted(
    config: SimulationConfig, session: Session, steps: list[Step], rng: random.Random
) -> Session:
    escalates = (config.ticket_rate or config.chat_rate) and rng.random() < ESCALATE
    return replace(
        session,
        steps=steps,
        marker=("escalation", rng.randint(10_000, 120_000)) if escalates else None,
    )


def truth(planted: Planted, searches: dict[int, tuple[Search, ...]], site: Site) -> dict[str, Any]:
    queries = sorted({s.query for found in searches.values() for s in found})
    return {
        "search_page": "search",
        "content_gaps": sorted(q for q, _ in planted.gaps),
        "gap_kinds": dict(planted.gaps),
        "misleading_results": {
            q: site.page_ids[p] for q, p in sorted(planted.misleading_results.items())
        },
        "queries": queries,
        "searches": sum(len(found) for found in searches.values()),
    }
