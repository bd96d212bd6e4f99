"""The dashboard's states beyond the analysis, in headless Debian Chromium on `pathrank serve`:
API errors and an unreachable server shown with a way to try again, assets served by the app
alone, the live panel of customers in trouble, and the empty graph saying what to run.
Screenshots in artifacts/: dashboard-error.png, dashboard-assist.png, dashboard-empty.png."""

from __future__ import annotations

import re
import time

import httpx
from neo4j import Driver
from playwright.sync_api import BrowserContext, Page

from tests.integration import datasets
from tests.integration.analyzed import Analyzed
from tests.integration.browser import WAIT_MS, open_dashboard, open_page, shot, wait_drawn
from tests.integration.ingest_helpers import (
    RunningIngest,
    TestGraph,
    fresh_names,
    produce_events,
)

# test_dashboard's data set: one build for both.
DATASET = datasets.HELP_CENTER
# It writes to the graph (live clicks, then it empties it): after the modules that read it.
WRITES_DATASET = True


def _shot(page: Page, name: str) -> None:
    assert shot(page, name).stat().st_size > 10_000


def test_api_errors_are_shown(server: str, browser: BrowserContext) -> None:
    page = browser.new_page()
    page.set_default_timeout(WAIT_MS)
    page.route(
        "**/graphql",
        lambda route: route.fulfill(
            status=200,
            content_type="application/json",
            body='{"data": null, "errors": [{"message": "Neo4j is unavailable"}]}',
        ),
    )
    page.goto(f"{server}/")
    page.wait_for_selector("#banner.error:not([hidden])")
    assert "Neo4j is unavailable" in page.inner_text("#banner")
    assert "Neo4j is unavailable" in page.inner_text("#weak-table")
    assert page.locator("#banner button").inner_text() == "Try again"
    _shot(page, "dashboard-error.png")

    # Once the API answers again, "Try again" fills the dashboard.
    page.unroute("**/graphql")
    page.click("#banner button")
    wait_drawn(page)
    assert page.locator("#banner").is_hidden()
    assert page.locator("#weak-table tbody tr[data-page-id]").count() > 0


def test_unreachable_server_is_shown(server: str, browser: BrowserContext) -> None:
    page = browser.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{server}/")
    wait_drawn(page)
    page.route("**/graphql", lambda route: route.abort())
    page.click("#refresh")
    page.wait_for_selector("#banner.error:not([hidden])")
    assert "cannot reach the server" in page.inner_text("#banner")


def test_static_assets_are_vendored(server: str) -> None:
    """Nothing is loaded from another origin: the page works offline."""
    html = httpx.get(f"{server}/").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    for src in sources:
        assert src.startswith("/"), f"{src} is not served by this app"
        if src.startswith("/static/"):
            assert httpx.get(f"{server}{src}").status_code == 200, src
    echarts = httpx.get(f"{server}/static/vendor/echarts.min.js")
    assert echarts.status_code == 200
    assert len(echarts.content) > 500_000


def test_customers_in_trouble_appear_live_and_leave_when_resolved(
    server: str, data: Analyzed, browser: BrowserContext, neo4j_driver: Driver, kafka_bootstrap: str
) -> None:
    """The live panel: a customer drifting through hopeless pages appears while the page is
    open (pushed over the subscription), and leaves once the path resolves."""
    names = {**fresh_names(), "PATHRANK_ASSIST_TOPIC": "assist"}  # the one the server reads
    worker = RunningIngest(names)
    try:
        deadline = time.monotonic() + 60
        while httpx.get(f"{server}/healthz").json().get("assist") != "live":
            assert time.monotonic() < deadline, "the server never read the assist topic"
            time.sleep(0.5)
        page, console = open_dashboard(browser, f"{server}/")
        page.wait_for_selector("#assist-status[data-state='live']")
        records, _, _ = neo4j_driver.execute_query(
            "MATCH (p:Page) WHERE p.successProbability < 0.2 AND NOT p.isHotspot "
            "RETURN p.id AS id, p.title AS title ORDER BY p.successProbability, id LIMIT 3"
        )
        hopeless = [(r["id"], r["title"]) for r in records]
        assert len(hopeless) == 3
        customer = f"lost-{names['PATHRANK_TOPIC']}"
        now = int(time.time() * 1000) - 20_000
        clicks = [
            {"customer_id": customer, "page_id": pid, "timestamp": now + 4_000 * i}
            for i, (pid, _) in enumerate(hopeless)
        ]
        produce_events(kafka_bootstrap, names["PATHRANK_TOPIC"], clicks)
        row = page.locator(f"#assist-table tr[data-customer='{customer}']")
        row.wait_for(timeout=30_000)
        assert hopeless[2][1] in row.inner_text()
        assert row.locator(".badge.LOW_CHANCE").inner_text() == "Low chance"
        assert row.locator("td").nth(4).inner_text() == "3"
        _shot(page, "dashboard-assist.png")

        resolved = {**clicks[0], "timestamp": now + 16_000, "is_resolved": True}
        produce_events(kafka_bootstrap, names["PATHRANK_TOPIC"], [resolved])
        row.wait_for(state="detached", timeout=30_000)
        assert console.problems == []
    finally:
        worker.terminate()


def test_empty_graph_says_what_to_run(
    server: str, browser: BrowserContext, neo4j_driver: Driver
) -> None:
    """Last in this module: it empties the graph (every other module loads its own)."""
    TestGraph(neo4j_driver).clear()
    page, console = open_page(browser, f"{server}/")
    page.wait_for_selector("#dashboard[aria-busy='false']")
    banner = page.inner_text("#banner")
    assert "No customer journeys yet" in banner
    assert "pathrank analyze" in banner
    for table in (
        "#weak-table",
        "#hotspot-table",
        "#escalation-table",
        "#misleading-table",
        "#links-table",
    ):
        assert "No analysis yet — run pathrank analyze" in page.inner_text(table)
    page.wait_for_selector("#resolution-empty:not([hidden])")
    assert "No analysis yet" in page.inner_text("#resolution-empty")
    assert page.inner_text("#kpi-completed") == "0"
    assert "No pages yet" in page.inner_text("#flow-empty")
    _shot(page, "dashboard-empty.png")
    assert console.problems == []
