"""Link suggestions as work: ADD_LINK (docs/analytics.md, "8. Link suggestions"), for the
suggestions that would have shortened at least MIN_PATHS (10) resolved journeys. A link adds a
shortcut for customers who already succeed: it accounts for no ticket."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from algorithms.work.finding import Finding, WorkFacts, count, quoted
from graph_model.work.record import EvidenceFigure, WorkAction, WorkSubject

MIN_PATHS: Final = 10
LINK_SUGGESTION = "LINK_SUGGESTION"


def findings(facts: WorkFacts) -> Iterable[Finding]:
    for s in facts.suggestions:
        a, r = s.from_page_id, s.to_page_id
        if s.paths < MIN_PATHS or a == facts.search_page:
            continue
        yield Finding(
            action=WorkAction.ADD_LINK,
            subject=WorkSubject(from_page_id=a, to_page_id=r),
            title=f"Add a link from {quoted(facts.title(a))} to {quoted(facts.title(r))}",
            reason=(
                f"{count(s.paths)} customers who found their answer took two or more extra "
                f"clicks to get from one to the other; a link saves {s.mean_clicks_saved:.1f} "
                "clicks each."
            ),
            reasons=(LINK_SUGGESTION,),
            figures=(
                EvidenceFigure("clicks saved", float(s.clicks_saved), s.clicks_saved),
                EvidenceFigure("journeys shortened", float(s.paths), s.paths),
            ),
            counts_tickets=False,
        )
