"""Unvisited catalog pages as work: RETIRE_PAGE, for a page of the catalog that no path has
visited for RETIRE_DAYS. Said only when the analysed paths cover those days whole and the
page has been in the catalog as long (a new page is not yet unvisited)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Final

from algorithms.work.finding import Finding, WorkFacts, quoted
from graph_model.timewindow import DAY_MS
from graph_model.work.record import WorkAction, WorkSubject

RETIRE_DAYS: Final = 90
RETIRE: Final = 3  # a page item's precedence: last (such a page has no other finding)
NO_VISITS = "NO_VISITS"


def findings(facts: WorkFacts) -> Iterable[Finding]:
    now = facts.window.high
    horizon = now - RETIRE_DAYS * DAY_MS
    if facts.window.low > horizon:
        return
    listed: dict[str, int] = {}
    for version in facts.versions:
        first = listed.get(version.page_id)
        listed[version.page_id] = version.since if first is None else min(first, version.since)
    visited = {page for p in facts.paths if horizon <= p.end < now for page in p.pages}
    for page, since in sorted(listed.items()):
        if since > horizon or page in visited or page == facts.search_page:
            continue
        day = datetime.fromtimestamp(since / 1000, UTC).strftime("%-d %b %Y")
        yield Finding(
            action=WorkAction.RETIRE_PAGE,
            subject=WorkSubject(page_id=page),
            title=f"Retire {quoted(facts.title(page))}",
            reason=(
                f"No customer has visited it in {RETIRE_DAYS} days; it has been in the "
                f"catalog since {day}."
            ),
            reasons=(NO_VISITS,),
            precedence=RETIRE,
            counts_tickets=False,
        )
