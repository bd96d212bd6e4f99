"""The local servers keep to their user: Neo4j Browser (served by our Neo4j, opened in
headless Chromium, logged in) asks no host but 127.0.0.1 for anything, shows no usage-data
banner, and the servers' data (the Neo4j store, auth.ini, Kafka's log segments) is readable
by its owner only."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Playwright

from tests.integration.browser import WAIT_MS, chromium_context

LOCAL = {"127.0.0.1", "localhost"}


def test_neo4j_browser_asks_nothing_of_other_hosts(
    services: dict[str, Any], playwright: Playwright
) -> None:
    n = services["neo4j"]
    requested: list[str] = []
    with chromium_context(playwright) as context:
        context.on("request", lambda request: requested.append(request.url))
        page = context.new_page()
        page.goto(n["browser_url"])
        page.fill("input[data-testid='boltaddress']", n["bolt_uri"].removeprefix("bolt://"))
        page.fill("input[data-testid='username']", n["user"])
        page.fill("input[data-testid='password']", n["password"])
        page.click("button[data-testid='connect']")
        page.get_by_text("You are connected as user").wait_for(timeout=WAIT_MS)
        # A query, as an analyst runs one: everything Browser loads after connecting.
        editor = page.locator("[data-testid='activeEditor'] textarea").first
        editor.fill("RETURN 1 AS one")
        page.keyboard.press("Control+Enter")
        page.locator("[data-testid='frame']").filter(has_text="RETURN 1 AS one").first.wait_for(
            timeout=WAIT_MS
        )
        page.wait_for_load_state("networkidle", timeout=WAIT_MS)
        banner = page.get_by_text("we collect information on product usage").count()
    elsewhere = sorted(
        {
            urlsplit(url).hostname or url
            for url in requested
            if urlsplit(url).scheme in ("http", "https", "ws", "wss")
            and urlsplit(url).hostname not in LOCAL
        }
    )
    assert any(urlsplit(url).path.startswith("/browser") for url in requested)
    assert elsewhere == []
    assert banner == 0


def _modes(root: Path) -> tuple[set[str], set[str]]:
    """The folders and files below `root` that others may read or enter."""
    open_dirs, open_files = set(), set()
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            if Path(folder, name).stat().st_mode & 0o077:
                open_dirs.add(str(Path(folder, name)))
        for name in files:
            path = Path(folder, name)
            if not path.is_symlink() and path.stat().st_mode & 0o077:
                open_files.add(str(path))
    return open_dirs, open_files


def test_the_servers_data_is_their_owners_only(services: dict[str, Any]) -> None:
    cache = Path(services["cache_dir"])
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    neo4j, kafka = cache / "neo4j", cache / "kafka"
    assert (neo4j / "data" / "dbms" / "auth.ini").is_file()
    assert any((kafka / "data").glob("*/*.log"))  # log segments: the clicks
    for home in (neo4j, kafka):
        assert stat.S_IMODE(home.stat().st_mode) == 0o700
        assert _modes(home) == (set(), set())
