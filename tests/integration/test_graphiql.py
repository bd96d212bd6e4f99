"""GraphiQL at /graphql works offline: `pathrank serve` in a subprocess, opened in headless
Debian Chromium (Playwright) with every request to another host aborted and recorded.

The editor must render from the vendored builds alone, a query typed into it must run with the
run button, and its result must show the graph's real figures. The screenshot is kept as
artifacts/graphiql.png; with PATHRANK_UPDATE_SCREENSHOTS=1 it also replaces docs/graphiql.png.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from neo4j import Driver
from playwright.sync_api import BrowserContext, Page, Playwright, Route
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.conftest import REPO
from tests.integration.analyzed import load_simulation
from tests.integration.api_server import serve
from tests.integration.browser import ARTIFACTS, WAIT_MS, Console, chromium_context

EVENTS = 3_000
QUERY = "{ pathStats { completed resolved } }"
SCREENSHOT = REPO / "docs" / "graphiql.png"
LOCAL_HOST = "127.0.0.1"


@pytest.fixture(scope="module")
def completed(neo4j_driver: Driver) -> dict[str, int]:
    """Simulated paths in the graph; what `pathStats` must report, counted in Cypher."""
    load_simulation(neo4j_driver, events=EVENTS)
    records, _, _ = neo4j_driver.execute_query(
        "MATCH (p:Path) RETURN p.outcome AS outcome, count(*) AS n"
    )
    by_outcome = {r["outcome"]: r["n"] for r in records}
    resolved = by_outcome.get("RESOLVED", 0)
    return {"completed": resolved + by_outcome.get("ABANDONED", 0), "resolved": resolved}


@pytest.fixture(scope="module")
def server(services: dict[str, Any], completed: dict[str, int]) -> Iterator[str]:
    with serve(services) as base:
        yield base


@pytest.fixture
def offline(playwright: Playwright) -> Iterator[tuple[BrowserContext, list[str]]]:
    """Chromium whose requests to any host but 127.0.0.1 are aborted; the list records them."""
    outside: list[str] = []

    def only_local(route: Route) -> None:
        if urlsplit(route.request.url).hostname == LOCAL_HOST:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort("internetdisconnected")

    # service_workers: a worker's fetches would bypass the route
    with chromium_context(playwright, service_workers="block") as context:
        context.route("**/*", only_local)
        yield context, outside


def _editor_value(page: Page, selector: str) -> str:
    value: str = page.eval_on_selector(f"{selector} .CodeMirror", "e => e.CodeMirror.getValue()")
    return value


def _open_graphiql(page: Page, url: str, outside: list[str]) -> None:
    page.goto(url)
    try:
        page.wait_for_selector(".graphiql-query-editor .CodeMirror")
    except PlaywrightTimeoutError:
        pytest.fail(f"GraphiQL did not render; requests to other hosts: {outside}")
    page.wait_for_selector(".graphiql-execute-button")


def test_graphiql_runs_a_typed_query_offline(
    server: str, completed: dict[str, int], offline: tuple[BrowserContext, list[str]]
) -> None:
    context, outside = offline
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    console = Console()
    console.watch(page)
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))

    _open_graphiql(page, f"{server}/graphql", outside)
    assert page.title() == "Customer PathRank — GraphiQL"
    # The schema was introspected from this server: the docs pane lists its root types.
    page.click("button[aria-label='Show Documentation Explorer']")
    page.wait_for_selector(".graphiql-doc-explorer a.graphiql-doc-explorer-type-name")
    assert "Query" in page.inner_text(".graphiql-doc-explorer")

    # Replace the example with a typed query (CodeMirror closes braces itself: typing the
    # closing ones steps over them, so the text ends up exactly as typed).
    page.click(".graphiql-query-editor .CodeMirror-lines")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(QUERY)
    page.keyboard.press("Escape")  # close the completion list, if open
    assert _editor_value(page, ".graphiql-query-editor") == QUERY

    page.click(".graphiql-execute-button")
    page.wait_for_function(
        "() => document.querySelector('.result-window .CodeMirror')"
        "?.CodeMirror.getValue().includes('pathStats')"
    )
    result = json.loads(_editor_value(page, ".result-window"))
    assert result == {"data": {"pathStats": completed}}
    assert completed["completed"] > 0
    assert re.search(rf'"completed": {completed["completed"]}\b', page.inner_text(".result-window"))

    # The explorer plugin lists the schema's fields, the typed ones ticked.
    page.click("button[aria-label='Show GraphiQL Explorer']")
    page.wait_for_selector(".graphiql-explorer-root :text('pathStats')")
    assert "weakPages" in page.inner_text(".graphiql-explorer-root")

    shot = ARTIFACTS / "graphiql.png"
    shot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000
    if os.environ.get("PATHRANK_UPDATE_SCREENSHOTS") == "1":  # a test run leaves docs alone
        shutil.copyfile(shot, SCREENSHOT)

    # A dialog works too (its injected <style> is what the page's policy allows inline).
    page.click("button[aria-label='Open settings dialog']")
    page.wait_for_selector("[role='dialog'] :text('Settings')")
    page.keyboard.press("Escape")
    page.wait_for_selector("[role='dialog']", state="detached")

    assert outside == [], f"requests left the machine: {outside}"
    assert sockets == []  # no subscription was run: no socket opened
    assert console.problems == []


def test_shared_link_opens_its_query(
    server: str, offline: tuple[BrowserContext, list[str]]
) -> None:
    context, outside = offline
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    shared = "{ latestAnalysis { finishedAt } }"
    _open_graphiql(page, f"{server}/graphql?{httpx.QueryParams(q=shared)}", outside)
    assert _editor_value(page, ".graphiql-query-editor") == shared
    assert outside == []


def test_page_is_self_contained_and_locked_down(server: str) -> None:
    """Every script and stylesheet of the page comes from this server; the policy forbids
    anything else."""
    page = httpx.get(f"{server}/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self';" in policy
    assert "connect-src 'self'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    assert "<script>" not in page.text  # no inline script: script-src needs no 'unsafe-inline'

    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(sources) >= 8
    for src in sources:
        assert src.startswith("/static/"), f"{src} is not served by this app"
        asset = httpx.get(f"{server}{src}")
        assert asset.status_code == 200, src
        for cdn in (b"unpkg.com", b"jsdelivr.net", b"esm.sh", b"fonts.googleapis.com"):
            assert cdn not in asset.content, f"{src} mentions {cdn!r}"
    graphiql = httpx.get(f"{server}/static/vendor/graphiql/graphiql.min.js")
    assert len(graphiql.content) > 1_000_000

    # A GET that is not a browser's still gets GraphQL, not the page.
    answer = httpx.get(f"{server}/graphql", params={"query": "{ pathStats { completed } }"})
    assert answer.headers["content-type"].startswith("application/json")
    assert "content-security-policy" not in answer.headers
