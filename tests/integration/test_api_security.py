"""What `pathrank serve` refuses, against the real Neo4j: requests for a foreign host name
(DNS rebinding), bodies that are not GraphQL requests, reads without the key when the key
is required (the dashboard then asks for it, in headless Chromium), and a request past its
time budget. `serve` fails a test whose server logged a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Playwright

from tests.integration.analyzed import Analyzed
from tests.integration.api_server import serve
from tests.integration.browser import WAIT_MS, Console, chromium_context

EVENTS = 3_000
KEY = "s3cret-for-reads"
STATS = {"query": "{ pathStats { completed } }"}
JSON = {"content-type": "application/json"}


def _code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


def test_foreign_hosts_and_bodies_that_are_not_graphql(
    services: dict[str, Any], data: Analyzed
) -> None:
    with serve(services) as base:
        ok = httpx.post(f"{base}/graphql", json=STATS)
        assert ok.json()["data"]["pathStats"]["completed"] > 0
        for path in ("/graphql", "/", "/metrics"):
            for host in ("evil.example", "evil.example:80", "localhost.evil.example"):
                refused = httpx.get(f"{base}{path}", headers={"host": host})
                assert refused.status_code == 400, (path, host)
        refused = httpx.post(f"{base}/graphql", json=STATS, headers={"host": "evil.example"})
        assert refused.status_code == 400
        assert _code(refused) == "BAD_REQUEST"
        assert httpx.get(f"{base}/healthz", headers={"host": "10.1.2.3"}).status_code == 200
        port = base.rsplit(":", 1)[1]
        local = httpx.post(f"{base}/graphql", json=STATS, headers={"host": f"localhost:{port}"})
        assert local.json() == ok.json()
        for body in (b"null", b"42", b'"x"', b"true", b"[]", b'{"query": 1}'):
            response = httpx.post(f"{base}/graphql", content=body, headers=JSON)
            assert response.status_code == 400, body
            assert _code(response) == "BAD_REQUEST"


@pytest.fixture(scope="module")
def keyed(services: dict[str, Any], data: Analyzed) -> Iterator[str]:
    """A server whose reads need the key."""
    with serve(services, PATHRANK_API_KEY=KEY, PATHRANK_API_KEY_FOR_READS="true") as base:
        yield base


def test_reads_need_the_key(keyed: str) -> None:
    refused = httpx.post(f"{keyed}/graphql", json=STATS)
    assert refused.status_code == 401
    assert _code(refused) == "UNAUTHENTICATED"
    assert httpx.get(f"{keyed}/metrics").status_code == 401
    answered = httpx.post(f"{keyed}/graphql", json=STATS, headers={"x-api-key": KEY})
    assert answered.json()["data"]["pathStats"]["completed"] > 0
    metrics = httpx.get(f"{keyed}/metrics", headers={"authorization": f"Bearer {KEY}"})
    assert "pathrank_http_requests_total" in metrics.text
    assert httpx.get(f"{keyed}/healthz").status_code == 200
    assert httpx.get(f"{keyed}/graphql", headers={"accept": "text/html"}).status_code == 200


@pytest.fixture
def browser(playwright: Playwright) -> Iterator[BrowserContext]:
    with chromium_context(playwright) as context:
        yield context


def test_the_dashboard_asks_for_the_key_once(keyed: str, browser: BrowserContext) -> None:
    page = browser.new_page()
    console = Console()
    console.watch(page)
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{keyed}/")
    page.wait_for_selector("#banner #api-key")
    assert "needs an API key" in page.inner_text("#banner")
    page.fill("#api-key", "wrong")
    page.press("#api-key", "Enter")
    page.wait_for_function(
        "() => document.querySelector('#banner')?.innerText.includes('was not accepted')"
    )
    page.fill("#api-key", KEY)
    page.click("#banner button[type=submit]")
    page.wait_for_selector("#dashboard[aria-busy='false']")
    page.wait_for_selector("#weak-table tbody tr[data-page-id]")
    page.wait_for_selector("#flow-chart svg path")
    assert page.locator("#banner").is_hidden()
    refusals = console.problems.count(f"HTTP 401: {keyed}/graphql")
    assert refusals >= 2  # no key, then the wrong one
    # The key lasts the tab's session: a reload does not ask again, and nothing is refused.
    page.reload()
    page.wait_for_selector("#weak-table tbody tr[data-page-id]")
    page.wait_for_selector("#flow-chart svg path")
    assert page.locator("#api-key").count() == 0
    assert console.problems.count(f"HTTP 401: {keyed}/graphql") == refusals
    # Only the refusals, which Chromium also logs.
    assert [p for p in console.problems if "401" not in p] == []


def test_a_request_past_its_budget_times_out(services: dict[str, Any], data: Analyzed) -> None:
    # 1 ms: every execution runs out while its first Neo4j read is in flight.
    with serve(services, PATHRANK_API_TIME_BUDGET_S="0.001", PATHRANK_API_CACHE="0") as base:
        for _ in range(3):
            response = httpx.post(f"{base}/graphql", json=STATS)
            assert response.status_code == 200
            body = response.json()
            assert body["data"] is None
            assert _code(response) == "TIMEOUT"
        assert httpx.get(f"{base}/healthz").status_code == 200
        metrics = httpx.get(f"{base}/metrics").text
        assert 'result="timeout",type="query"} 3.0' in metrics
