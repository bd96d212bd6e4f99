"""Queries that once froze `pathrank serve`, against the real server and Neo4j.

The graph: a small simulated help center, one click in 2000 (the timestamp floor: every
open-window series then spans ~26 years) and a bot customer whose single path has
3,000 clicks (200,000 in the long tier). The queries are the benchmark's
(bench/hostile.py, which measures their latencies). Before, the series query ran 82 s and the
bot's path returned 14 MB in 9 s, while every other request waited. Now each is refused or
answered small, and a `{ pathStats }` sent while the heaviest queries the limits allow run is
answered before them (the order of completion, not a timing).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from neo4j import Driver

from bench.hostile import HEAVY_PATH, HEAVY_SERIES, ISSUE_PATH, ISSUE_SERIES, hostile_events
from simulator import SimulationConfig, simulate
from tests.integration.api_server import serve
from tests.integration.ingest_helpers import NOW_MS, clean_graph, wiring
from tests.tiers import tiered

STATS = {"query": "{ pathStats { completed } }"}


# The bot's clicks: 3,000 in `make test`, 200,000 in `make soak`.
@pytest.fixture(scope="module", params=tiered(3_000, 200_000, "bot-"))
def graph(request: pytest.FixtureRequest, neo4j_driver: Driver) -> dict[str, Any]:
    clean_graph(neo4j_driver)
    sim = simulate(SimulationConfig(seed=5, events=2_000))
    pages = [p["page_id"] for p in sim.pages]
    hostile = hostile_events(pages, request.param, NOW_MS)
    wiring().load(neo4j_driver, [*sim.events, *hostile], sim.pages, now_ms=NOW_MS)
    return {"pages": len(pages), "bot_clicks": request.param}


@pytest.fixture(scope="module")
def base(services: dict[str, Any], graph: dict[str, Any]) -> Iterator[str]:
    with serve(services, PATHRANK_API_CACHE="0") as url:
        yield url


def _post(base: str, body: dict[str, Any], timeout: float = 120) -> httpx.Response:
    return httpx.post(f"{base}/graphql", json=body, timeout=timeout)


def test_every_pages_day_series_since_2000_is_refused_at_once(base: str) -> None:
    response = _post(base, {"query": ISSUE_SERIES})
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "too costly" in error["message"]
    # Refused before any series was read: one statement (the paths' span) besides the version.
    assert int(response.headers["x-neo4j-queries"]) <= 2


def test_the_bots_path_is_answered_with_its_first_pages(base: str, graph: dict[str, Any]) -> None:
    response = _post(base, {"query": ISSUE_PATH})
    [path] = response.json()["data"]["customer"]["paths"]["nodes"]
    assert path["length"] == graph["bot_clicks"]
    assert len(path["pages"]) == 100  # the default `first`
    assert len(response.content) < 20_000
    more = ISSUE_PATH.replace("pages {", "pageIds(first: 500) pages(first: 500) {")
    [path] = _post(base, {"query": more}).json()["data"]["customer"]["paths"]["nodes"]
    assert len(path["pages"]) == len(path["pageIds"]) == 500
    over = ISSUE_PATH.replace("pages {", "pages(first: 501) {")
    [error] = _post(base, {"query": over}).json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def _operations_running(base: str) -> float:
    text = httpx.get(f"{base}/metrics", timeout=30).text
    found = re.search(r"^pathrank_graphql_operations_in_progress (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


@pytest.mark.parametrize("heavy", [HEAVY_SERIES, HEAVY_PATH], ids=["series", "bot-path"])
def test_path_stats_sent_while_a_heavy_query_runs_is_answered_first(base: str, heavy: str) -> None:
    done: dict[str, float] = {}
    answers: dict[str, httpx.Response] = {}

    def send_heavy() -> None:
        answers["heavy"] = _post(base, {"query": heavy})
        done["heavy"] = time.monotonic()

    thread = threading.Thread(target=send_heavy)
    thread.start()
    deadline = time.monotonic() + 60
    while _operations_running(base) < 1:  # the server has started it
        assert "heavy" not in done, "the heavy query ended before anything was measured"
        assert time.monotonic() < deadline
    answers["stats"] = _post(base, STATS)
    done["stats"] = time.monotonic()
    thread.join(120)
    assert answers["stats"].json()["data"]["pathStats"]["completed"] > 0
    assert done["stats"] < done["heavy"]
    heavy_body = answers["heavy"].json()
    codes = [e["extensions"]["code"] for e in heavy_body.get("errors") or []]
    assert heavy_body["data"] is not None or codes == ["TIMEOUT"], heavy_body
