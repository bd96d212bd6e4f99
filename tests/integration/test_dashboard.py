"""The dashboard at `/` as a content designer sees it: `pathrank serve` in a subprocess on
analysed simulated data, opened in headless Debian Chromium driven by Playwright.

The page must load without a console error, fill its tables with the real figures (the
planted dead ends and turnaround hotspots of the simulation among them), draw the Sankey
and the shortest success paths (test_dashboard_states: its error, empty and live states).
Screenshots are kept in artifacts/ (gitignored): dashboard.png, dashboard-flow.png,
dashboard-escalation.png, dashboard-second-order.png; with PATHRANK_UPDATE_SCREENSHOTS=1
dashboard.png also replaces docs/dashboard.png.

Chromium comes from Debian (`make browser`); Playwright never downloads a browser here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from neo4j import Driver
from playwright.sync_api import BrowserContext, Page

from tests.integration import datasets
from tests.integration.analyzed import Analyzed
from tests.integration.browser import open_dashboard, shot, wait_drawn

# Votes, tickets and chats too, and two misleading links beside the hotspots.
DATASET = datasets.HELP_CENTER


def _gql(base: str, query: str) -> dict[str, Any]:
    body = httpx.post(f"{base}/graphql", json={"query": query}, timeout=60).json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def _titles(data: Analyzed, ids: list[str]) -> dict[str, str]:
    by_id = {p["page_id"]: p["title"] for p in data.pages}
    return {i: by_id[i] for i in ids}


def _cell_texts(page: Page, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(selector).all_inner_texts()]


def _sankey_text(page: Page) -> str:
    return " ".join(page.locator("#flow-chart svg text").all_text_contents())


def _wait_flow_shows(page: Page, text: str) -> None:
    """Until the flow chart has been redrawn with `text` (a page's title) in it."""
    page.wait_for_function(
        "t => [...document.querySelectorAll('#flow-chart svg text')]"
        ".some(e => e.textContent.includes(t))",
        arg=text,
    )


def _shot(page: Page, name: str, docs: bool = False) -> Path:
    path = shot(page, name, docs)
    assert path.stat().st_size > 10_000
    return path


def test_dashboard_shows_the_analysis(
    server: str, data: Analyzed, browser: BrowserContext, neo4j_driver: Driver
) -> None:
    page, console = open_dashboard(browser, f"{server}/")
    assert page.title().startswith("Customer PathRank")

    # Headline: the live path statistics of the graph.
    records, _, _ = neo4j_driver.execute_query(
        "MATCH (p:Path) RETURN p.outcome AS outcome, count(*) AS n"
    )
    by_outcome = {r["outcome"]: r["n"] for r in records}
    completed = sum(by_outcome.get(o, 0) for o in ("RESOLVED", "ABANDONED", "ESCALATED"))
    assert page.inner_text("#kpi-completed") == f"{completed:,}"
    assert page.inner_text("#kpi-open") == f"{by_outcome.get('OPEN', 0):,}"
    self_service = 100 * by_outcome["RESOLVED"] / completed
    assert page.inner_text("#kpi-self-service") == f"{self_service:.1f}%"
    # The site's escalation rate beside it: paths a ticket, chat or call ended.
    escalated = by_outcome["ESCALATED"]
    assert page.inner_text("#kpi-escalation") == f"{100 * escalated / completed:.1f}%"
    assert f"{escalated:,} journeys ended in a ticket" in page.inner_text("#kpi-escalation-note")
    assert f"{escalated:,} reached support" in page.inner_text("#kpi-completed-note")
    assert re.fullmatch(r"\d+\.\d\d on average", page.inner_text("#kpi-mean-length"))
    # The variance is a statistic: shown on demand.
    assert re.fullmatch(r"variance \d+\.\d\d", page.text_content("#kpi-variance-length") or "")
    assert re.fullmatch(r"\d+\.\d%", page.inner_text("#kpi-turnaround"))
    assert "Last analysis" in page.inner_text("#analysis-info")

    # Weak pages: the API's rows in its order, the planted dead ends among them as such.
    api = _gql(server, "{ weakPages(limit: 10) { page { id title } reasons } }")["weakPages"]
    rows = page.locator("#weak-table tbody tr[data-page-id]")
    assert rows.count() == len(api) > 0
    assert [rows.nth(i).get_attribute("data-page-id") for i in range(rows.count())] == [
        w["page"]["id"] for w in api
    ]
    weak_text = page.inner_text("#weak-table")
    for page_id, title in _titles(data, data.truth["dead_ends"]).items():
        assert title in weak_text, f"planted dead end {page_id} {title!r} not in the weak pages"
        row = page.locator(f"#weak-table tr[data-page-id='{page_id}']")
        assert row.locator(".badge[data-reason='DEAD_END']").count() == 1
    for row_page, w in zip(_cell_texts(page, "#weak-table tbody .page-link"), api, strict=True):
        assert row_page == w["page"]["title"]

    # Hotspots: every planted hotspot, with its rate against the site's.
    hotspot_text = page.inner_text("#hotspot-table")
    for page_id, title in _titles(data, data.truth["hotspots"]).items():
        assert title in hotspot_text, f"planted hotspot {page_id} {title!r} not listed"
    assert re.search(r"\d+\.\d%\s+\d+\.\d\u00d7 site-wide \(\d+\.\d%\)", hotspot_text)

    # Escalation hotspots: every page planted to escalate, in the API's order, with its
    # escalations beside its resolutions.
    escalating = _gql(
        server,
        "{ escalationHotspots(limit: 10) { escalations visits page { id resolutions } } }",
    )["escalationHotspots"]
    shown_escalating = page.locator("#escalation-table tbody tr[data-page-id]")
    assert [
        shown_escalating.nth(i).get_attribute("data-page-id")
        for i in range(shown_escalating.count())
    ] == [e["page"]["id"] for e in escalating]
    assert {e["page"]["id"] for e in escalating} == set(data.truth["escalation_hotspots"])
    for i, e in enumerate(escalating):
        cell = shown_escalating.nth(i).locator("td").nth(2)
        assert cell.inner_text().split() == [
            f"{e['escalations']:,}",
            f"{e['page']['resolutions']:,}",
            "resolved",
        ]
        assert f"in {e['visits']:,} visits" in (cell.get_attribute("title") or "")
    escalation_text = page.inner_text("#escalation-table")
    assert re.search(r"\d+\.\d%\s+\d+\.\d\u00d7 site-wide \(\d+\.\d%\)", escalation_text)
    for article in data.truth["escalation_articles"]:
        row = page.locator(f"#weak-table tr[data-page-id='{article}']")
        if row.count():  # among the top weak pages: with its reason
            assert row.locator(".badge[data-reason='ESCALATION_HOTSPOT']").count() == 1

    # Link suggestions: the API's, from -> to, with clicks saved.
    links = _gql(server, "{ linkSuggestions(limit: 10) { from { id } to { id } clicksSaved } }")
    expected = [
        (s["from"]["id"], s["to"]["id"], f"{s['clicksSaved']:,}") for s in links["linkSuggestions"]
    ]
    shown = page.locator("#links-table tbody tr[data-from]")
    assert shown.count() == len(expected) > 0
    for i, (frm, to, saved) in enumerate(expected):
        row = shown.nth(i)
        assert (row.get_attribute("data-from"), row.get_attribute("data-to")) == (frm, to)
        assert row.locator("td").nth(3).inner_text() == saved

    # The flow: the top weak page, drawn as an SVG Sankey, with its shortest success paths.
    top = api[0]["page"]
    assert page.input_value("#page-select") == top["id"]
    assert page.locator("#flow-chart svg path").count() > 3
    sankey = _sankey_text(page)
    assert top["title"] in sankey
    assert "Left the site" in sankey or "Resolved here" in sankey
    assert page.locator("#routes .route").count() == 2
    assert page.locator("#routes .route li").count() >= 2  # the page, then where it resolves
    assert "What customers actually do" in page.inner_text("#routes")

    _shot(page, "dashboard.png", docs=True)
    assert console.problems == []


def test_an_escalation_hotspot_shows_escalations_beside_resolutions(
    server: str, data: Analyzed, browser: BrowserContext
) -> None:
    article = data.truth["escalation_articles"][0]
    page, console = open_dashboard(browser, f"{server}/#page={article}")
    assert page.input_value("#page-select") == article
    figures = _gql(
        server,
        f'{{ page(id: "{article}") {{ escalations resolutions escalationProbability }} }}',
    )["page"]
    assert figures["escalations"] > 0
    facts = page.inner_text("#flow-facts").replace("\n", " ")
    assert f"Escalated here {figures['escalations']:,}" in facts
    assert f"Resolved here {figures['resolutions']:,}" in facts
    assert f"Chance of reaching support {100 * figures['escalationProbability']:.1f}%" in facts
    sankey = _sankey_text(page)
    assert f"Escalated to support  {figures['escalations']:,}" in sankey
    if figures["resolutions"]:
        assert f"Resolved here  {figures['resolutions']:,}" in sankey
    _shot(page, "dashboard-escalation.png")
    assert console.problems == []


def test_choosing_a_page_redraws_the_flow(
    server: str, data: Analyzed, browser: BrowserContext
) -> None:
    page, console = open_dashboard(browser, f"{server}/")
    hotspot = data.truth["hotspots"][0]
    title = _titles(data, [hotspot])[hotspot]

    page.select_option("#page-select", hotspot)
    _wait_flow_shows(page, title)
    assert page.url.endswith(f"#page={hotspot}")
    facts = page.inner_text("#flow-facts")
    assert "Customers turn back" in facts
    flow = _gql(
        server,
        f'{{ page(id: "{hotspot}") {{ visits incoming(limit: 1) {{ from {{ title }} }} }} }}',
    )["page"]
    assert f"Visits {flow['visits']:,}" in facts.replace("\n", " ")
    assert flow["incoming"][0]["from"]["title"] in _sankey_text(page)
    route = _gql(
        server,
        f'{{ shortestSuccessPath(fromPageId: "{hotspot}") {{ pages {{ title }} }} }}',
    )["shortestSuccessPath"]
    fewest = _cell_texts(page, "#routes .route:first-child li")
    assert fewest == [p["title"] for p in route["pages"]]

    # A page's title in a table opens its flow too.
    link = page.locator("#links-table tbody tr[data-from] .page-link").first
    link_title = link.inner_text()
    link.click()
    _wait_flow_shows(page, link_title)
    page.wait_for_selector("#routes .route")

    # A reload keeps the chosen page (it is in the URL).
    page.goto(f"{server}/#page={hotspot}")
    page.reload()
    wait_drawn(page)
    assert page.input_value("#page-select") == hotspot
    _shot(page, "dashboard-flow.png")
    assert console.problems == []


def test_misleading_links_beside_the_hotspots_and_time_to_resolution(
    server: str, data: Analyzed, browser: BrowserContext
) -> None:
    page, console = open_dashboard(browser, f"{server}/")
    page.wait_for_function("document.querySelectorAll('#resolution-chart svg path').length > 5")

    # Misleading links: the API's rows in its order, the planted ones among them.
    api = _gql(
        server,
        "{ misleadingLinks(limit: 10) { from { id } to { id title } uTurnRate "
        "elsewhereUTurnRate } markovOrder { degreesOfFreedom } "
        "timeToResolution { paths resolved medianMinutes medianClicks } }",
    )
    links = api["misleadingLinks"]
    shown = page.locator("#misleading-table tbody tr[data-from]")
    assert shown.count() == len(links) > 0
    for i, link in enumerate(links):
        row = shown.nth(i)
        assert (row.get_attribute("data-from"), row.get_attribute("data-to")) == (
            link["from"]["id"],
            link["to"]["id"],
        )
        assert f"{100 * link['uTurnRate']:.1f}%" in row.inner_text()
        assert f"vs {100 * link['elsewhereUTurnRate']:.1f}% other ways in" in row.inner_text()
    flagged = {(link["from"]["id"], link["to"]["id"]) for link in links}
    assert {tuple(link) for link in data.truth["misleading_links"]} <= flagged
    assert not flagged & {tuple(link) for link in data.truth["innocent_links"]}
    degrees = f"{api['markovOrder']['degreesOfFreedom']:,} degrees"
    assert degrees in (page.text_content("#markov-order") or "")  # a statistic: on demand

    # The page a misleading link leads to says so among its weak reasons.
    target = links[0]["to"]["id"]
    weak = _gql(server, "{ weakPages(limit: 500) { page { id } reasons } }")["weakPages"]
    reasons = {w["page"]["id"]: w["reasons"] for w in weak}
    assert "MISLEADING_LINK" in reasons[target]

    # Time to resolution: the site's curve first, then an entry page's, by minutes or clicks.
    site = api["timeToResolution"]
    facts = page.inner_text("#resolution-facts").replace("\n", " ")
    assert f"Journeys {site['paths']:,}" in facts
    assert f"Resolved {site['resolved']:,}" in facts
    assert f"{site['medianMinutes']:.1f} minutes" in facts
    assert "minutes since the first click" in page.inner_text("#resolution-chart")
    options = page.locator("#entry-select option")
    assert options.count() > 2
    entry = options.nth(1).get_attribute("value")
    assert entry
    page.select_option("#entry-select", entry)
    curve = _gql(
        server,
        f'{{ timeToResolution(entryPageId: "{entry}") {{ paths medianClicks }} }}',
    )["timeToResolution"]
    page.wait_for_function(
        "n => document.querySelector('#resolution-facts').innerText.includes(n)",
        arg=f"{curve['paths']:,}",
    )
    page.click(".toggle .button[data-axis='clicks']")
    page.wait_for_function(
        "() => document.querySelector('#resolution-chart').innerText.includes('clicks')"
    )
    assert page.get_attribute(".toggle .button[data-axis='clicks']", "aria-pressed") == "true"
    median = int(curve["medianClicks"])
    expected_median = f"{median} click" if median == 1 else f"{median} clicks"
    assert expected_median in page.inner_text("#resolution-facts")
    page.select_option("#entry-select", "")
    page.wait_for_function(
        "n => document.querySelector('#resolution-facts').innerText.includes(n)",
        arg=f"{site['paths']:,}",
    )
    page.locator("#hotspot-section").scroll_into_view_if_needed()
    _shot(page, "dashboard-second-order.png")
    assert console.problems == []
