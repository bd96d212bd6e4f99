"""The dashboard rebuilt around the work queue, in headless Chromium against `pathrank serve`
on the demo's simulation (every effect, nine weeks with its stories, seed 1) at 30,000
clicks, the size at which its mobile-only break shows among the mobile customers' weeks:

- the queue comes first, in the API's order, in plain words; its q-values only on demand;
- at 1280x800 and 1024x768, statistics hidden or shown, no table is wider than its panel and
  the page never scrolls sideways (measured in the DOM);
- the segment filter changes "What changed": with mobile customers, the break of the mobile
  story shows in its first week, which everyone's weeks report later or not at all;
- a range without data says where the data is;
- every table downloads as CSV with the rows it shows;
- one name per figure: every label of a figure (`data-figure`) names one figure only;
- marking the fixed page Done at its fix date shows that it worked;
- a page item's details show how long customers stay on its page (its time on page).

Screenshots in artifacts/; with PATHRANK_UPDATE_SCREENSHOTS=1 they replace docs/dashboard.png
and docs/dashboard-queue.png (1280x800).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Final

import numpy as np
import pytest
from neo4j import Driver
from playwright.sync_api import BrowserContext, Page, Playwright, ViewportSize

from tests.integration import datasets
from tests.integration.browser import Console, api_data, chromium_context, open_page, shot

SEED: Final = 1
EVENTS: Final = 30_000
DATASET: Final = datasets.demo(SEED, EVENTS)
MOBILE: Final = "platform=mobile"
SIZES: Final = ((1280, 800), (1024, 768))
WEEK_MS: Final = 7 * 86_400_000


@pytest.fixture(scope="module")
def truth(neo4j_driver: Driver) -> dict[str, Any]:
    return datasets.use(neo4j_driver, DATASET).truth


@pytest.fixture
def browser(playwright: Playwright) -> Iterator[BrowserContext]:
    viewport: ViewportSize = {"width": 1280, "height": 800}
    with chromium_context(playwright, accept_downloads=True, viewport=viewport) as context:
        yield context


def loaded(browser: BrowserContext, url: str) -> tuple[Page, Console]:
    page, console = open_page(browser, url)
    page.wait_for_selector("#dashboard[aria-busy='false']")
    page.wait_for_selector("#queue-table tbody tr[data-item]")
    page.wait_for_selector("#flow-chart svg path")
    return page, console


QUEUE = "{ workQueue(first: 10) { id title ticketsPerWeek action } }"


def test_the_queue_comes_first_in_plain_words(server: str, browser: BrowserContext) -> None:
    page, console = loaded(browser, f"{server}/")
    first = page.evaluate("document.querySelector('main > section').id")
    assert first == "queue-section"
    api = api_data(server, QUEUE)["workQueue"]
    rows = page.locator("#queue-table tbody tr[data-item]")
    assert [rows.nth(i).get_attribute("data-item") for i in range(len(api))] == [
        i["id"] for i in api
    ]
    assert [t.strip() for t in page.locator("#queue-table .item-title").all_inner_texts()][
        : len(api)
    ] == [i["title"] for i in api]
    assert f"{api[0]['ticketsPerWeek']:.1f}" in rows.first.inner_text()
    # Ten at first; "Show more" lists the rest.
    total = len(api_data(server, "{ workQueue(first: 100) { id } }")["workQueue"])
    assert rows.count() == min(10, total)
    if total > 10:
        page.click("#queue-more")
        page.wait_for_function(
            "n => document.querySelectorAll('#queue-table tbody tr[data-item]').length === n",
            arg=total,
        )
        assert page.locator("#queue-more").is_hidden()
    # Statistics on demand: the q-value column and the figures' tests are hidden at first.
    assert page.locator("#queue-table th.stat").is_hidden()
    page.locator("#queue-table .details-toggle").first.click()
    details = page.locator("#queue-table tr.details-row")
    details.wait_for()
    assert "What stands behind it" in details.inner_text()
    assert " q " not in details.inner_text()
    shot(page, "dashboard-queue.png", docs=True, section="#queue-section")  # as first seen
    page.check("#show-stats")
    assert page.locator("#queue-table th.stat").is_visible()
    assert " q " in details.inner_text()
    assert console.problems == []


WIDTHS = """() => {
  const tables = [...document.querySelectorAll('table')].filter(t => t.offsetParent !== null);
  return {
    page: document.documentElement.scrollWidth,
    tables: tables.map(t => {
      const box = t.closest('.card, .breakdown-box, .kpis') || t.parentElement;
      const style = getComputedStyle(box);
      const pad = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
      const inner = box.clientWidth - pad;
      return [t.id, t.getBoundingClientRect().width, inner, t.scrollWidth];
    }),
  };
}"""


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_no_table_is_wider_than_its_panel(
    server: str, playwright: Playwright, width: int, height: int
) -> None:
    with chromium_context(playwright, viewport={"width": width, "height": height}) as browser:
        page, console = loaded(browser, f"{server}/")
        page.locator("#queue-table .details-toggle").first.click()
        page.wait_for_selector("#queue-table tr.details-row")
        for stats in (False, True):
            page.set_checked("#show-stats", stats)
            measured = page.evaluate(WIDTHS)
            assert measured["page"] <= width, (stats, measured)
            ids = [t[0] for t in measured["tables"]]
            assert {"queue-table", "changes-table", "weak-table", "links-table"} <= set(ids)
            for table, drawn, room, scrolled in measured["tables"]:
                assert drawn <= room + 1, (width, stats, table, drawn, room)
                assert scrolled <= room + 1, (width, stats, table, scrolled, room)
        page.set_checked("#show-stats", False)
        if width == 1280:
            shot(page, "dashboard.png", docs=True)
        else:
            shot(page, f"dashboard-{width}.png")
        assert console.problems == []


def day(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def test_the_segment_filter_changes_what_changed(
    server: str, browser: BrowserContext, truth: dict[str, Any]
) -> None:
    story = next(s for s in truth["stories"] if s["kind"] == "segment_break")
    assert story["segment"] == MOBILE
    everyone, _ = loaded(browser, f"{server}/")
    mobile, _ = loaded(browser, f"{server}/#segment={MOBILE.replace('=', '%3D')}")
    assert mobile.input_value("#filter-segment") == MOBILE

    def rows(page: Page) -> list[tuple[str, str, str]]:
        found = page.locator("#changes-table tbody tr[data-page-id]")
        return [
            (
                found.nth(i).get_attribute("data-page-id") or "",
                found.nth(i).get_attribute("data-segment") or "",
                found.nth(i).locator("td.when").inner_text(),
            )
            for i in range(found.count())
        ]

    shown, all_of_them = rows(mobile), rows(everyone)
    assert shown != all_of_them
    assert all(segment == MOBILE for _, segment, _ in shown)
    first_week = day(story["from_ms"]).strftime("%-d %b %Y")
    assert (story["page"], MOBILE) in {(p, s) for p, s, _ in shown}
    assert any(p == story["page"] and first_week in when for p, _, when in shown), shown
    # Among everyone's weeks the mobile break shows later, if at all.
    assert not any(p == story["page"] and first_week in when for p, _, when in all_of_them)
    assert "platform = mobile" in mobile.inner_text("#changes-section")


def test_a_range_without_data_says_where_the_data_is(server: str, browser: BrowserContext) -> None:
    page, _ = loaded(browser, f"{server}/#from=2025-01-01&until=2025-01-31")
    message = page.inner_text("#no-data")
    spans = "5 Jan 2026 \u2013 9 Mar 2026"
    assert message == f"No data in this range (your data spans {spans})."
    assert message in page.inner_text("#changes-table")
    assert page.inner_text("#kpi-completed") == "0"


def test_every_table_downloads_as_csv(server: str, browser: BrowserContext) -> None:
    page, _ = loaded(browser, f"{server}/")
    buttons = page.locator("button.csv[data-table]")
    done = []
    for i in range(buttons.count()):
        button = buttons.nth(i)
        table = button.get_attribute("data-table") or ""
        shown = page.locator(f"#{table} tbody tr:not(.placeholder):not(.details-row)")
        if not shown.count():  # nothing to export (the live panel may be empty)
            continue
        with page.expect_download() as download:
            button.click()
        text = download.value.path().read_text()
        parsed = list(csv.reader(io.StringIO(text)))
        assert len(parsed) - 1 == shown.count(), table
        done.append(table)
        if table == "queue-table":
            ids = [row[parsed[0].index("id")] for row in parsed[1:]]
            api = api_data(server, "{ workQueue(first: 10) { id } }")["workQueue"]
            assert ids == [i["id"] for i in api]
    assert {"queue-table", "changes-table", "weak-table", "hotspot-table", "links-table"} <= set(
        done
    )


def test_one_name_per_figure(server: str, browser: BrowserContext) -> None:
    page, _ = loaded(browser, f"{server}/")
    page.check("#show-stats")
    labels = page.evaluate(
        "[...document.querySelectorAll('[data-figure]')]"
        ".map(e => [e.dataset.figure, e.textContent.trim()])"
    )
    names: dict[str, set[str]] = {}
    for figure, text in labels:
        names.setdefault(figure, set()).add(text)
    assert len(names) >= 10
    assert all(len(texts) == 1 for texts in names.values()), names
    texts = [next(iter(t)) for t in names.values()]
    assert len(texts) == len(set(texts)), names
    # The headline's turnaround figure is a journey's, the hotspots' a visit's: two names.
    journeys = page.inner_text(".kpi[data-kpi='turnaround'] .kpi-label")
    visits = page.inner_text("#hotspot-table th[data-figure]")
    assert journeys != visits


def test_marking_the_fix_done_at_its_date_shows_it_worked(
    server: str, browser: BrowserContext, truth: dict[str, Any]
) -> None:
    fix = next(s for s in truth["stories"] if s["kind"] == "fix")
    page, console = loaded(browser, f"{server}/")
    row = page.locator(f"#queue-table tr[data-page-id='{fix['page']}']")
    item = row.get_attribute("data-item")
    row.locator("select.status-select").select_option("DONE")
    editor = page.locator(f"#queue-table tr.editor[data-for='{item}']")
    editor.locator("input.note-input").fill("New title and a link to the answer")
    editor.locator("input.at-input").fill(day(fix["from_ms"]).strftime("%Y-%m-%d"))
    editor.locator("button[type='submit']").click()
    # Saved, the item leaves the to-do list; the Done view shows its verdict.
    editor.wait_for(state="detached")
    row.wait_for(state="detached")
    page.click("#queue-views .chip[data-view='done']")
    done = page.locator(f"#queue-table tr[data-item='{item}']")
    done.wait_for()
    assert done.locator("td.verdict").inner_text().startswith("Worked:")
    api = api_data(
        server,
        "query($id: ID!) { workItem(id: $id) { status note verification { verdict } } }",
        {"id": item},
    )["workItem"]
    assert api == {
        "status": "DONE",
        "note": "New title and a link to the answer",
        "verification": {"verdict": "WORKED"},
    }
    assert console.problems == []


def spoken(seconds: float) -> str:
    """The dashboard's words for a duration: "42 s", "1 min 35 s", "2 h 1 min"."""
    s = math.floor(seconds + 0.5)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s" if s % 60 else f"{s // 60} min"
    m = math.floor(s / 60 + 0.5)
    return f"{m // 60} h {m % 60} min" if m % 60 else f"{m // 60} h"


def times_on(driver: Driver, page_id: str) -> list[float]:
    """Seconds from each click on the page to the next click of its completed journey
    (docs/analytics.md, "Time on page"), read from the stored paths."""
    records, _, _ = driver.execute_query(
        "MATCH (p:Path) WHERE p.outcome <> 'OPEN' AND $page IN p.pages "
        "RETURN p.pages AS pages, p.timestamps AS ts",
        page=page_id,
    )
    return [
        (r["ts"][i + 1] - r["ts"][i]) / 1000
        for r in records
        for i in range(len(r["pages"]) - 1)
        if r["pages"][i] == page_id
    ]


def test_a_page_items_details_show_its_time_on_page(
    server: str, browser: BrowserContext, neo4j_driver: Driver
) -> None:
    page, console = loaded(browser, f"{server}/")
    row = page.locator("#queue-table tbody tr[data-item][data-page-id]").first
    page_id = row.get_attribute("data-page-id") or ""
    row.locator(".details-toggle").click()
    line = page.locator("#queue-table tr.details-row li.dwell")
    seconds = times_on(neo4j_driver, page_id)
    low, median, high = np.percentile(seconds, [25, 50, 75])
    assert line.inner_text() == (
        f"Time on page: {spoken(median)} typically (half of the visits between {spoken(low)} "
        f"and {spoken(high)}; {len(seconds):,} visits that went on to another page)"
    )
    assert console.problems == []
