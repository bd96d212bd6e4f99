"""Misleading links as work: FIX_LINK (docs/analytics.md, "15. Second order"). A link out of
the search page is never one: searches are judged per query (WRITE_ARTICLE)."""

from __future__ import annotations

from collections.abc import Iterable

from algorithms.work.finding import Finding, WorkFacts, count, of, quoted, strongest
from graph_model.work.record import EvidenceFigure, WorkAction, WorkSubject

MISLEADING_LINK = "MISLEADING_LINK"


def findings(facts: WorkFacts) -> Iterable[Finding]:
    for link in facts.misleading:
        a, b = link.from_page_id, link.to_page_id
        if a == facts.search_page:
            continue
        expected_rate = link.expected / link.continuations if link.continuations else 0.0
        figures = [
            EvidenceFigure(
                "came straight back",
                link.u_turn_rate,
                link.u_turns,
                link.continuations,
                expected_rate,
                link.q_value,
            )
        ]
        elsewhere = link.elsewhere_u_turn_rate
        if elsewhere is not None:
            figures.append(
                EvidenceFigure(
                    "came straight back",
                    elsewhere,
                    link.elsewhere_u_turns,
                    link.elsewhere_continuations,
                    q_value=link.elsewhere_q_value,
                    detail="by the other ways into the page",
                )
            )
        yield Finding(
            action=WorkAction.FIX_LINK,
            subject=WorkSubject(from_page_id=a, to_page_id=b),
            title=f"Fix the link from {quoted(facts.title(a))} to {quoted(facts.title(b))}",
            reason=(
                f"{of(link.u_turns, link.continuations)} journeys that followed this link came "
                f"straight back; judging by where customers usually go from that page, about "
                f"{count(link.expected)} would have."
            ),
            reasons=(MISLEADING_LINK,),
            figures=tuple(figures),
            q_value=strongest(link.q_value),
            excess=max(0.0, link.u_turns - link.expected),
        )
