"""The dashboard's time figures in headless Chromium: the "What changed" panel (the top
changes with their sparklines, dates and before/after rates; catalog changes with their
effect), a weekly trend per weak page, and the date range that applies to the headline, the
trends and the changes. `pathrank serve` runs on a simulation with planted stories; every
figure shown is checked against the API and the stored paths.

Screenshot: artifacts/dashboard-changes.png; with PATHRANK_UPDATE_SCREENSHOTS=1 it also
replaces docs/dashboard.png (the README's).
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from typing import Any

import pytest
from neo4j import Driver
from playwright.sync_api import BrowserContext, Page

from tests.conftest import REPO
from tests.integration import datasets
from tests.integration.browser import Console, api_data, open_page, shot
from tests.integration.time_helpers import DAY, in_window, ms_of, stored_paths

START = datasets.STORIES_START
# The stories test's seed 3: one build for both.
DATASET = datasets.stories(3)
SCREENSHOT = REPO / "docs" / "dashboard.png"
MOBILE = "platform=mobile"


@pytest.fixture(scope="module")
def truth(neo4j_driver: Driver) -> dict[str, Any]:
    return datasets.use(neo4j_driver, DATASET).truth


def _open(browser: BrowserContext, url: str) -> tuple[Page, Console]:
    page, console = open_page(browser, url)
    page.wait_for_selector("#dashboard[aria-busy='false']")
    page.wait_for_selector("#flow-chart svg path")
    return page, console


def _pct(rate: float) -> str:
    return f"{100 * rate:.1f}%"


CHANGES = """{ changes(limit: 60) { page { id } metric kind periodStart baselineRate rate } }"""


def first_per_rate(changes: list[dict[str, Any]], rows: int = 8) -> list[dict[str, Any]]:
    """The most significant change of each (page, rate), in rank order."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for c in changes:
        seen.setdefault((c["page"]["id"], c["metric"]), c)
    return list(seen.values())[:rows]


def test_what_changed_lists_the_top_changes_with_their_trends(
    server: str, browser: BrowserContext, truth: dict[str, Any]
) -> None:
    page, console = _open(browser, f"{server}/")
    api = first_per_rate(api_data(server, CHANGES)["changes"])
    rows = page.locator("#changes-table tbody tr[data-page-id]")
    assert rows.count() == len(api) > 0
    for i, change in enumerate(api):
        row = rows.nth(i)
        assert row.get_attribute("data-page-id") == change["page"]["id"]
        assert row.get_attribute("data-metric") == change["metric"]
        assert row.get_attribute("data-kind") == change["kind"]
        text = row.inner_text()
        assert _pct(change["baselineRate"]) in text
        assert _pct(change["rate"]) in text
        assert row.locator("svg.sparkline polyline").count() == 1
        assert row.locator("svg.sparkline .spark-mark").count() == 1
    shown = {rows.nth(i).get_attribute("data-page-id") for i in range(rows.count())}
    stories = {s["kind"]: s["page"] for s in truth["stories"]}
    assert stories["break"] in shown
    assert stories["fix"] in shown

    # The catalog change of the fix story, with its effect on each rate.
    card = page.locator(f"#catalog-changes .catalog-card[data-page-id='{stories['fix']}']")
    assert card.count() == 1
    assert "Updated" in card.inner_text()
    assert "(updated)" in card.inner_text()
    resolution = card.locator("li[data-metric='RESOLUTION_RATE']")
    assert resolution.count() == 1
    assert "significant" in (resolution.get_attribute("class") or "")

    # Every weak page has its weekly trend.
    weak = page.locator("#weak-table tbody tr[data-page-id]")
    assert weak.count() > 0
    assert page.locator("#weak-table tbody tr[data-page-id] svg.sparkline").count() == weak.count()

    changes = shot(page, "dashboard-changes.png")
    assert changes.stat().st_size > 50_000
    if os.environ.get("PATHRANK_UPDATE_SCREENSHOTS") == "1":  # a test run leaves docs alone
        shutil.copyfile(changes, SCREENSHOT)
    assert console.problems == []


STATS = """query($from: DateTime, $until: DateTime) {
  pathStats(from: $from, until: $until) { completed }
  changes(limit: 60, since: $from) { page { id } metric periodStart }
}"""


def test_the_date_range_applies_to_the_headline_and_the_changes(
    server: str, browser: BrowserContext, neo4j_driver: Driver
) -> None:
    page, console = _open(browser, f"{server}/")
    page.click("#filters .chip[data-weeks='4']")
    page.wait_for_function("() => location.hash.includes('from=')")
    page.wait_for_selector("#dashboard[aria-busy='false']")
    since, last = page.input_value("#filter-from"), page.input_value("#filter-until")
    assert since
    assert last
    low, high = ms_of(f"{since}T00:00:00+00:00"), ms_of(f"{last}T00:00:00+00:00") + DAY
    assert high - low == 28 * DAY
    # The headline: the completed paths that started in the range, from the stored paths.
    completed = len(in_window(stored_paths(neo4j_driver), low, high))
    page.wait_for_function(
        "n => document.getElementById('kpi-completed').textContent === n", arg=f"{completed:,}"
    )
    assert "Journeys that started" in page.inner_text("#filter-note")
    # The changes: those whose week starts in the range.
    iso = {"from": f"{since}T00:00:00Z", "until": f"{last}T00:00:00Z"}
    reported = api_data(server, STATS, iso)["changes"]
    assert all(ms_of(c["periodStart"]) >= low for c in reported)
    api = first_per_rate([c for c in reported if ms_of(c["periodStart"]) < high])
    rows = page.locator("#changes-table tbody tr[data-page-id]")
    assert rows.count() == len(api)
    # The weak pages' trends follow the range: at most four weeks (five with a partial one).
    for svg in page.locator("#weak-table svg.sparkline polyline").all()[:3]:
        assert len((svg.get_attribute("points") or "").split()) <= 5

    # The range is in the URL: a reload keeps it.
    page.reload()
    page.wait_for_selector("#dashboard[aria-busy='false']")
    assert page.input_value("#filter-from") == since
    assert page.inner_text("#kpi-completed") == f"{completed:,}"
    page.click("#filters .chip[data-weeks='0']")
    page.wait_for_function("() => !location.hash.includes('from=')")
    assert console.problems == []


def test_the_segment_filter_and_the_breakdown_by_segment(
    server: str, browser: BrowserContext, neo4j_driver: Driver, truth: dict[str, Any]
) -> None:
    story = next(s for s in truth["stories"] if s["kind"] == "segment_break")
    first = _day(story["from_ms"])
    last = _day(story["until_ms"] - DAY)
    page, console = _open(
        browser, f"{server}/#page={story['page']}&from={first}&until={last}&segment={MOBILE}"
    )
    page.wait_for_selector("#flow-segments:not([hidden]) tr[data-segment]")
    assert page.input_value("#filter-segment") == MOBILE
    assert "platform = mobile" in page.inner_text("#filter-note")
    # The headline: the mobile customers' completed paths in the range.
    low, high = ms_of(f"{first}T00:00:00+00:00"), ms_of(f"{last}T00:00:00+00:00") + DAY
    completed = len(in_window(stored_paths(neo4j_driver), low, high, MOBILE))
    assert page.inner_text("#kpi-completed") == f"{completed:,}"
    # The story's page, by platform: mobile customers leave it significantly more often.
    mobile = page.locator("#flow-segments tr[data-segment='platform=mobile']")
    assert mobile.count() == 1
    left = mobile.locator("td").nth(3)
    assert "bad" in (left.get_attribute("class") or "")
    assert "▲" in left.inner_text()
    desktop = page.locator("#flow-segments tr[data-segment='platform=desktop'] td").nth(3)
    assert "▲" not in desktop.inner_text()
    shot(page, "dashboard-segment.png")
    assert console.problems == []


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")
