"""Content gaps as work: WRITE_ARTICLE, one per query whose searching journeys fail more
often than the site's searching journeys (docs/analytics.md, "Content gaps"): customers
look for something the help center does not answer. The queue counts a query's tickets as
its excess failed paths times the escalated share of its failed paths (each escalated path
in one item only: its last page's, else its last query's)."""

from __future__ import annotations

from collections.abc import Iterable

from algorithms.work.finding import Finding, WorkFacts, of, per_hundred, quoted
from graph_model.work.record import EvidenceFigure, WorkAction, WorkSubject

CONTENT_GAP = "CONTENT_GAP"


def findings(facts: WorkFacts) -> Iterable[Finding]:
    for gap in facts.content_gaps:
        rate = gap.failed / gap.paths if gap.paths else 0.0
        yield Finding(
            action=WorkAction.WRITE_ARTICLE,
            subject=WorkSubject(query=gap.query),
            title=f"Write an article for customers who search {quoted(gap.query)}",
            reason=(
                f"{of(gap.failed, gap.paths)} journeys with a search for {quoted(gap.query)} "
                f"ended without an answer (site-wide {per_hundred(gap.site_failure_rate)} "
                "journeys with a search)."
            ),
            reasons=(CONTENT_GAP,),
            figures=(
                EvidenceFigure(
                    "searches without an answer",
                    rate,
                    gap.failed,
                    gap.paths,
                    gap.site_failure_rate,
                    gap.q_value,
                ),
            ),
            q_value=gap.q_value,
            excess=max(0.0, gap.excess_failures),
            queries=(gap.query,),
        )
