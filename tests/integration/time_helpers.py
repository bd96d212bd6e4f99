"""Shared by the tests of windows, series, changes and segments: the API in-process on the
real Neo4j, the stored paths read back with the test's own Cypher, and a reference that
recomputes every windowed figure from those paths without the product's code.

The reference restates docs/analytics.md ("Windows", "Series"): completed paths that
started in [since, until); a page's paths are those it occurs in; visits count repeats;
exits and escalations are abandoned / escalated paths that ended on the page; opportunities
are positions 1 < i < n, turnarounds those with p(i-1) = p(i+1) != p(i).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from neo4j import Driver

from graphql_api.app import create_app
from tests.integration.ingest_helpers import wiring

DAY = 86_400_000
WEEK = 7 * DAY
MONDAY = 4 * DAY  # 1970-01-05, the first Monday after the epoch


@dataclass(frozen=True)
class StoredPath:
    customer: str
    start: int
    pages: tuple[str, ...]
    outcome: str
    segments: tuple[str, ...] = ()

    @property
    def completed(self) -> bool:
        return self.outcome != "OPEN"


def stored_paths(driver: Driver) -> list[StoredPath]:
    records, _, _ = driver.execute_query(
        "MATCH (p:Path) RETURN p.customerId AS c, p.start AS s, p.pages AS pages, "
        "p.outcome AS o, coalesce(p.segments, []) AS seg"
    )
    return [StoredPath(r["c"], r["s"], tuple(r["pages"]), r["o"], tuple(r["seg"])) for r in records]


@dataclass
class Tally:
    """A page's (or the site's) counts, as the reference computes them."""

    paths: int = 0
    resolved: int = 0
    visits: int = 0
    exits: int = 0
    opportunities: int = 0
    turnarounds: int = 0
    escalations: int = 0
    clicks: int = 0

    def rate(self, metric: str) -> tuple[int, int]:
        """(successes, trials) of a metric."""
        return {
            "RESOLUTION_RATE": (self.resolved, self.paths),
            "EXIT_RATE": (self.exits, self.visits),
            "TURNAROUND_RATE": (self.turnarounds, self.opportunities),
            "ESCALATION_RATE": (self.escalations, self.visits),
            "VISITS": (self.visits, self.clicks),
        }[metric]


def tally(paths: Iterable[StoredPath], page: str | None) -> Tally:
    """The counts of `page` (None: the site, where every click is a visit) over `paths`
    (which must already be the window's completed paths)."""
    t = Tally()
    for p in paths:
        n = len(p.pages)
        t.clicks += n
        if page is None:
            positions = list(range(n))
        else:
            positions = [i for i, x in enumerate(p.pages) if x == page]
            if not positions:
                continue
        t.paths += 1
        t.resolved += p.outcome == "RESOLVED"
        t.visits += len(positions)
        ended_here = page is None or p.pages[-1] == page
        t.exits += ended_here and p.outcome == "ABANDONED"
        t.escalations += ended_here and p.outcome == "ESCALATED"
        for i in positions:
            if 0 < i < n - 1:
                t.opportunities += 1
                t.turnarounds += p.pages[i - 1] == p.pages[i + 1] != p.pages[i]
    return t


def in_window(
    paths: Iterable[StoredPath], since: int | None, until: int | None, segment: str | None = None
) -> list[StoredPath]:
    return [
        p
        for p in paths
        if p.completed
        and (since is None or p.start >= since)
        and (until is None or p.start < until)
        and (segment is None or segment in p.segments)
    ]


def period_start(ms: int, interval: str) -> int:
    if interval == "DAY":
        return ms - ms % DAY
    return ms - (ms - MONDAY) % WEEK


def reference_series(
    paths: list[StoredPath],
    page: str | None,
    metric: str,
    interval: str,
    since: int,
    until: int,
    segment: str | None = None,
) -> list[dict[str, Any]]:
    """Every period of `interval` from the one holding `since` to `until`: its start and end
    (cut to the window), trials and successes of `metric`."""
    step = DAY if interval == "DAY" else WEEK
    out = []
    start = period_start(since, interval)
    while start < until:
        low, high = max(start, since), min(start + step, until)
        window = in_window(paths, low, high, segment)
        t = tally(window, page)
        successes, trials = t.rate(metric)
        out.append({"start": iso(low), "end": iso(high), "trials": trials, "successes": successes})
        start += step
    return out


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()


def ms_of(text: str) -> int:
    return round(datetime.fromisoformat(text).timestamp() * 1000)


def outcome_counts(paths: Iterable[StoredPath]) -> Counter[str]:
    return Counter(p.outcome for p in paths)


@dataclass
class InProcessApi:
    """The ASGI app on the real Neo4j (the product's reads), without a server process."""

    loop: asyncio.AbstractEventLoop
    client: httpx.AsyncClient
    calls: list[str] = field(default_factory=list)

    def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.loop.run_until_complete(
            self.client.post("/graphql", json={"query": query, "variables": variables or {}})
        )
        body: dict[str, Any] = response.json()
        return body

    def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = self.post(query, variables)
        assert "errors" not in body, body["errors"]
        result: dict[str, Any] = body["data"]
        return result

    def error(self, query: str, variables: dict[str, Any] | None = None) -> str:
        body = self.post(query, variables)
        assert body.get("errors"), body
        message: str = body["errors"][0]["message"]
        return message


@contextmanager
def in_process_api(**options: Any) -> Iterator[InProcessApi]:
    """`options`: more of create_app's arguments (a mutation's service)."""
    app = create_app(wiring().graph_reads(), cache_responses=False, **options)
    loop = asyncio.new_event_loop()
    lifespan = app.router.lifespan_context(app)
    loop.run_until_complete(lifespan.__aenter__())
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")
    try:
        yield InProcessApi(loop, client)
    finally:
        loop.run_until_complete(client.aclose())
        loop.run_until_complete(lifespan.__aexit__(None, None, None))
        loop.close()
