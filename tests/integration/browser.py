"""Headless Debian Chromium driven by Playwright, for the tests that open pages as a user
would (the dashboard, GraphiQL). Playwright never downloads a browser here."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Playwright, ViewportSize

from tests.conftest import REPO

ARTIFACTS = REPO / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT: ViewportSize = {"width": 1440, "height": 900}
# The size the dashboard is laid out for first (its tables must also fit 1024x768).
DASHBOARD_VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
WAIT_MS = 60_000


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("Debian's chromium is not installed: run `make browser`")
    return found


@contextmanager
def chromium_context(playwright: Playwright, **options: Any) -> Iterator[BrowserContext]:
    """A fresh profile for each context, removed afterwards; `options` (a viewport...) are
    Playwright's."""
    with tempfile.TemporaryDirectory(prefix="pathrank-chromium-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=chromium(),
            headless=True,
            args=CHROMIUM_ARGS,
            **{"viewport": VIEWPORT, **options},
        )
        try:
            yield context
        finally:
            context.close()


@dataclass
class Console:
    """What the browser reported: console errors, uncaught exceptions, failed requests."""

    problems: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(f"console.error: {message.text} ({message.location})")

    def watch(self, page: Page) -> None:
        page.on("console", self.on_console)
        page.on("pageerror", lambda exc: self.problems.append(f"uncaught: {exc}"))
        page.on(
            "requestfailed",
            lambda req: self.problems.append(f"request failed: {req.url} {req.failure}"),
        )
        page.on(
            "response",
            lambda res: (
                self.problems.append(f"HTTP {res.status}: {res.url}") if res.status >= 400 else None
            ),
        )


def open_page(browser: BrowserContext, url: str) -> tuple[Page, Console]:
    """A new tab at `url`, its console watched from the start."""
    page = browser.new_page()
    console = Console()
    console.watch(page)
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    return page, console


def wait_drawn(page: Page) -> None:
    """Until the dashboard's overview, the flow of the selected page and its routes are drawn."""
    page.wait_for_selector("#dashboard[aria-busy='false']")
    page.wait_for_selector("#flow-chart svg path")
    page.wait_for_selector("#routes .route")


def open_dashboard(browser: BrowserContext, url: str, *ready: str) -> tuple[Page, Console]:
    """The dashboard at `url` in a new tab: once drawn (`wait_drawn`), or, given `ready`
    selectors, once loaded and each of them shows."""
    page, console = open_page(browser, url)
    if ready:
        for selector in ("#dashboard[aria-busy='false']", *ready):
            page.wait_for_selector(selector)
    else:
        wait_drawn(page)
    return page, console


def api_data(base: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """A query's data from the server at `base` (what the page under test should show)."""
    body = httpx.post(
        f"{base}/graphql", json={"query": query, "variables": variables or {}}, timeout=60
    ).json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def shot(page: Page, name: str, docs: bool = False, section: str | None = None) -> Path:
    """The whole page (or one section) in artifacts/, and in docs/ when asked and
    PATHRANK_UPDATE_SCREENSHOTS=1 (a test run leaves docs alone); its path in artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    if section is None:
        page.screenshot(path=str(path), full_page=True)
    else:
        page.locator(section).screenshot(path=str(path))
    if docs and os.environ.get("PATHRANK_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(path, REPO / "docs" / name)
    return path
