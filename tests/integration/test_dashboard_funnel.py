"""The dashboard's Funnel panel in headless Chromium against `pathrank serve`, on the demo's
simulation at 30,000 clicks (test_dashboard_queue.py's data set: one build for both), which
has searches, every outcome and customer segments.

A funnel is built through the panel as a content designer would (a page picked by its title,
a search, a page-id pattern, the resolution, the escalation, a conversion window), and every
number its bars and drop-off lists show equals the reference of funnel_helpers.py: the
definitions of docs/analytics.md applied to the completed paths that tests/reference.py
derives from the simulated events, not from the graph. The filters above change it, a
pattern the API refuses shows the API's own error, the CSV holds the rows shown, and the
table fits its panel at 1280x800 and 1024x768.

Screenshot of the panel at 1280x800: artifacts/dashboard-funnel.png; with
PATHRANK_UPDATE_SCREENSHOTS=1 it replaces docs/dashboard-funnel.png.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import httpx
import pytest
from neo4j import Driver
from playwright.sync_api import BrowserContext, Page, Playwright, ViewportSize

from graph_model.timewindow import ALL_TIME, TimeWindow
from tests.conftest import REPO
from tests.integration import datasets
from tests.integration.api_server import serve
from tests.integration.browser import (
    ARTIFACTS,
    Console,
    api_data,
    chromium_context,
    open_dashboard,
)
from tests.integration.funnel_helpers import (
    RefPath,
    RefStep,
    Step,
    completed_paths,
    reference_funnel,
)

DATASET: Final = datasets.demo(1, 30_000)
MOBILE: Final = "platform=mobile"
SIZES: Final = ((1280, 800), (1024, 768))
SCREENSHOT: Final = "dashboard-funnel.png"
OUTCOME_WORDS: Final = {
    "RESOLVED": "found an answer",
    "ESCALATED": "contacted support",
    "ABANDONED": "gave up",
}

# Every kind of step: a page picked by its title, a search, a pattern, the resolution.
JOURNEY: Final[list[Step]] = [
    ("page", "p000"),
    ("event", "SEARCH"),
    ("pattern", r"^p0[2-4]\d$"),
    ("event", "RESOLUTION"),
]
# Towards support: a pattern, a page, the escalation.
TO_SUPPORT: Final[list[Step]] = [
    ("pattern", "^p00[0-3]$"),
    ("page", "p001"),
    ("event", "ESCALATION"),
]


@pytest.fixture(scope="module")
def paths(neo4j_driver: Driver) -> list[RefPath]:
    """The completed paths of the simulated events, by the reference."""
    return completed_paths(datasets.use(neo4j_driver, DATASET).events)


@pytest.fixture(scope="module")
def server(services: dict[str, Any], paths: list[RefPath]) -> Iterator[str]:
    with serve(services) as base:
        yield base


@pytest.fixture(scope="module")
def titles(server: str) -> dict[str, str]:
    """Each page's title as the API names it (the panel lists pages by title; one without a
    title, such as the search page, by its id)."""
    nodes = api_data(server, "{ pages(first: 500) { nodes { id title } } }")["pages"]["nodes"]
    return {p["id"]: p["title"] or p["id"] for p in nodes}


def loaded(browser: BrowserContext, url: str) -> tuple[Page, Console]:
    return open_dashboard(browser, url, "#funnel-submit:not([disabled])")


def build(page: Page, steps: Sequence[Step], titles: dict[str, str], within: int | None) -> None:
    """Set the panel's steps and window as a user would, and show the funnel."""
    rows = page.locator("#funnel-steps li")
    while rows.count() < len(steps):
        page.click("#funnel-add")
    while rows.count() > len(steps):
        rows.last.locator("button.funnel-remove").click()
    for i, (kind, value) in enumerate(steps):
        rows.nth(i).locator("select.funnel-kind").select_option(kind if kind != "event" else value)
        if kind == "page":
            rows.nth(i).locator("select.funnel-page").select_option(label=titles[value])
        elif kind == "pattern":
            rows.nth(i).locator("input.funnel-pattern").fill(value)
    page.fill("#funnel-within", "" if within is None else str(within))
    page.click("#funnel-submit")
    page.wait_for_selector("#funnel-section[aria-busy='false']")


SHOWN = """() => [...document.querySelectorAll('#funnel-table tbody tr[data-step]')].map(tr => {
  const text = (sel) => { const el = tr.querySelector(sel); return el ? el.textContent : null; };
  return {
    step: tr.dataset.step,
    what: text('.funnel-what'),
    reached: text('.reached'),
    converted: text('.converted'),
    dropped: text('.dropped'),
    rate: text('.rate'),
    bar: [...tr.querySelectorAll('.funnel-bar span')].map(s => parseFloat(s.style.width)),
    drops: [...tr.querySelectorAll('.funnel-next li[data-paths]')].map(li => ({
      page: li.dataset.pageId,
      count: li.querySelector('.funnel-count').textContent,
      outcomes: li.querySelector('.meter-sub').textContent,
    })),
    elsewhere: text('.funnel-next li:not([data-paths])'),
    cells: tr.innerText,
  };
})"""


def number(text: str | None) -> int:
    assert text is not None
    return int(text.replace(",", ""))


def assert_shows(page: Page, expected: tuple[int, list[RefStep]]) -> None:
    """Every number of the panel equals the reference's."""
    considered, steps = expected
    assert f"Of {considered:,} finished journeys" in page.inner_text("#funnel-summary")
    shown = page.evaluate(SHOWN)
    assert [int(s["step"]) for s in shown] == list(range(1, len(steps) + 1))
    first = steps[0].reached
    assert first > 0
    for k, (row, ref) in enumerate(zip(shown, steps, strict=True)):
        last = k == len(steps) - 1
        assert number(row["reached"]) == ref.reached, (k, row)
        # The bar: went on and dropped off, as shares of step 1's journeys.
        on, off = row["bar"]
        assert on == pytest.approx(100 * ref.converted / first, abs=0.01), (k, row)
        assert off == pytest.approx(100 * (ref.reached - ref.converted) / first, abs=0.01), (k, row)
        if last:
            assert ref.converted == ref.reached
            assert "last step" in row["cells"]
            continue
        assert number(row["converted"]) == ref.converted, (k, row)
        rate = f"{100 * ref.converted / ref.reached:.1f}%" if ref.reached else "\u2013"
        assert row["rate"] == rate, (k, row)
        dropped = ref.reached - ref.converted
        if not dropped:
            assert "nobody dropped off" in row["cells"]
            continue
        assert number(row["dropped"]) == dropped, (k, row)
        assert ref.drops is not None
        went = Counter[str]()
        for (next_page, _), n in ref.drops.items():
            went[next_page or ""] += n
        listed = [(d["page"], number(d["count"])) for d in row["drops"]]
        # The top five destinations ("" = left: the journey ended there), most first.
        assert [n for _, n in listed] == sorted(went.values(), reverse=True)[:5], (k, row)
        for d in row["drops"]:
            destination = d["page"]
            assert went[destination] == number(d["count"]), (k, d)
            split = {
                words: number(n)
                for n, _, words in (part.partition(" ") for part in d["outcomes"].split(", "))
            }
            assert split == {
                words: ref.drops[(destination or None, outcome)]
                for outcome, words in OUTCOME_WORDS.items()
                if ref.drops[(destination or None, outcome)]
            }, (k, d)
        rest = dropped - sum(n for _, n in listed)
        if rest:
            assert (
                row["elsewhere"] == f"{rest:,} {'journey' if rest == 1 else 'journeys'} elsewhere"
            )
        else:
            assert row["elsewhere"] is None


def test_a_funnel_built_in_the_panel_counts_what_the_events_say(
    server: str, dashboard_browser: BrowserContext, paths: list[RefPath], titles: dict[str, str]
) -> None:
    page, console = loaded(dashboard_browser, f"{server}/")
    assert "Pick 2 to 10 steps" in page.inner_text("#funnel-table")
    build(page, JOURNEY, titles, within=30)
    assert_shows(page, reference_funnel(paths, JOURNEY, within_minutes=30))
    assert page.inner_text("#funnel-table tr[data-step='1'] .funnel-what").startswith(
        titles["p000"]
    )
    # The window matters here: without it, more journeys convert.
    build(page, JOURNEY, titles, within=None)
    assert_shows(page, reference_funnel(paths, JOURNEY))

    # The CSV holds the rows shown, with the same numbers.
    with page.expect_download() as download:
        page.click("#funnel-section button.csv")
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    _, steps = reference_funnel(paths, JOURNEY)
    assert [(int(r["reached"]), int(r["converted"]), int(r["dropped"])) for r in rows] == [
        (s.reached, s.converted, s.reached - s.converted) for s in steps
    ]
    assert [(r["pageId"], r["pattern"], r["event"]) for r in rows] == [
        ("p000", "", ""),
        ("", "", "SEARCH"),
        ("", JOURNEY[2][1], ""),
        ("", "", "RESOLUTION"),
    ]
    assert console.problems == []


def window_of(page: Page) -> TimeWindow:
    """The dates the filter shows, as the API reads them: from 00:00 UTC of the first day
    to 00:00 UTC after the last."""

    def midnight(day: str) -> datetime:
        return datetime.fromisoformat(day).replace(tzinfo=UTC)

    start = midnight(page.input_value("#filter-from"))
    end = midnight(page.input_value("#filter-until")) + timedelta(days=1)
    return TimeWindow(int(start.timestamp() * 1000), int(end.timestamp() * 1000))


def test_the_filters_change_the_funnel(
    server: str, dashboard_browser: BrowserContext, paths: list[RefPath], titles: dict[str, str]
) -> None:
    page, console = loaded(dashboard_browser, f"{server}/")
    build(page, TO_SUPPORT, titles, within=None)
    everyone = reference_funnel(paths, TO_SUPPORT)
    assert_shows(page, everyone)

    # Mobile customers only: counted again for them.
    page.select_option("#filter-segment", MOBILE)
    page.wait_for_selector(f"#funnel-table[data-segment='{MOBILE}'] tbody tr[data-step]")
    mobile = reference_funnel(paths, TO_SUPPORT, segment=MOBILE)
    assert mobile[0] < everyone[0]
    assert_shows(page, mobile)

    # And the last four weeks of them.
    page.click("#filters .chip[data-weeks='4']")
    page.wait_for_selector("#funnel-table:not([data-from='']) tbody tr[data-step]")
    window = window_of(page)
    assert window != ALL_TIME
    recent = reference_funnel(paths, TO_SUPPORT, window=window, segment=MOBILE)
    assert 0 < recent[0] < mobile[0]
    assert_shows(page, recent)
    assert console.problems == []


REFUSED: Final = "(?P<name>p00)"


def test_a_pattern_the_api_refuses_shows_its_error(
    server: str, dashboard_browser: BrowserContext, paths: list[RefPath], titles: dict[str, str]
) -> None:
    page, _ = loaded(dashboard_browser, f"{server}/")
    steps: list[Step] = [("pattern", REFUSED), ("event", "RESOLUTION")]
    build(page, steps, titles, within=None)
    body = httpx.post(
        f"{server}/graphql",
        json={
            "query": "query($s: [FunnelStepInput!]!) { funnel(steps: $s) { paths } }",
            "variables": {"s": [{"pattern": REFUSED}, {"event": "RESOLUTION"}]},
        },
        timeout=60,
    ).json()
    error = body["errors"][0]["message"]
    assert "named group" in error
    shown = page.locator("#funnel-table tbody tr.error")
    assert shown.inner_text() == f"Cannot count this funnel: {error}"
    assert page.locator("#funnel-table tbody tr[data-step]").count() == 0
    assert page.inner_text("#funnel-summary") == ""

    # A step left empty is named before anything is asked.
    build(page, [("pattern", " "), ("event", "RESOLUTION")], titles, within=None)
    assert shown.inner_text() == "Step 1: write a pattern (part of the page ids, e.g. billing)."

    # Fixed, the funnel shows.
    fixed: list[Step] = [("pattern", "^p00[0-3]$"), ("event", "RESOLUTION")]
    build(page, fixed, titles, within=None)
    assert_shows(page, reference_funnel(paths, fixed))


WIDTH: Final = """() => {
  const table = document.getElementById('funnel-table');
  const card = table.closest('.card');
  const style = getComputedStyle(card);
  const room = card.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const form = document.getElementById('funnel-form');
  return {
    page: document.documentElement.scrollWidth,
    table: table.getBoundingClientRect().width,
    scrolled: table.scrollWidth,
    form: form.scrollWidth,
    room,
  };
}"""


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_funnel_fits_its_panel(
    server: str, playwright: Playwright, titles: dict[str, str], width: int, height: int
) -> None:
    viewport: ViewportSize = {"width": width, "height": height}
    with chromium_context(playwright, viewport=viewport) as browser:
        page, console = loaded(browser, f"{server}/")
        # Ten steps (the most), the longest title among them.
        longest = max(titles, key=lambda p: len(titles[p]))
        steps: list[Step] = [*JOURNEY[:3], ("page", longest), *TO_SUPPORT, ("page", "p000")]
        steps += [("event", "SEARCH"), ("event", "RESOLUTION")]
        assert len(steps) == 10
        build(page, steps, titles, within=None)
        assert page.locator("#funnel-add").is_disabled()
        assert page.locator("#funnel-table tbody tr[data-step]").count() == 10
        measured = page.evaluate(WIDTH)
        assert measured["page"] <= width, measured
        for key in ("table", "scrolled", "form"):
            assert measured[key] <= measured["room"] + 1, (key, measured)
        if width == 1280:
            build(page, JOURNEY, titles, within=30)
            ARTIFACTS.mkdir(exist_ok=True)
            path = ARTIFACTS / SCREENSHOT
            page.locator("#funnel-section").screenshot(path=str(path))
            if os.environ.get("PATHRANK_UPDATE_SCREENSHOTS") == "1":
                shutil.copyfile(path, REPO / "docs" / SCREENSHOT)
        assert console.problems == []
