"""Breaks as work: INVESTIGATE_CHANGE, for a page whose rate broke (docs/analytics.md,
"Changes"): a significant week or catalog update after which fewer journeys through the page
resolved, or more customers left, turned back or contacted support. Improvements are no
finding.

A break among everyone's paths decides the page's action (after a dead end). A break among
one segment's paths alone is weaker evidence: every large segment is tested as a family of
its own, so their false discoveries add up; it is a finding only at q <= 0.05 / the number
of segments tested, and on a page with other findings it is listed among its reasons while
the other finding decides the action.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Final

from algorithms.work.finding import Finding, WorkFacts, of, quoted
from graph_model.change.record import FDR, ChangeKind, ChangeRecord
from graph_model.series.record import PageMetric
from graph_model.work.record import EvidenceFigure, WorkAction, WorkSubject

INVESTIGATE: Final = 1  # a page item's precedence: after a dead end, before a rewrite
SEGMENT_ONLY: Final = 3  # after a rewrite
CHANGE: Final = "CHANGE"  # the item's reason

# Each metric's name (the dashboard's), and what its successes are in words.
_WHAT: Final = {
    PageMetric.RESOLUTION_RATE: (
        "journeys through it that resolved",
        "journeys through it found an answer",
    ),
    PageMetric.EXIT_RATE: ("exits per visit", "visits ended with the customer leaving"),
    PageMetric.TURNAROUND_RATE: ("turnarounds per visit", "visits turned straight back"),
    PageMetric.ESCALATION_RATE: ("escalations per visit", "visits ended with a call to support"),
}


def findings(facts: WorkFacts) -> Iterable[Finding]:
    breaks: dict[str, list[ChangeRecord]] = defaultdict(list)
    for change in facts.changes:
        if change.significant and change.worsening and change.page_id != facts.search_page:
            breaks[change.page_id].append(change)
    segment_q = FDR / max(1, facts.segments_tested)
    for page, found in sorted(breaks.items()):
        found.sort(key=lambda c: (c.segment is not None, c.q_value, c.period_start))
        everyone = found[0].segment is None
        if not everyone and found[0].q_value > segment_q:
            continue
        yield Finding(
            action=WorkAction.INVESTIGATE_CHANGE,
            subject=WorkSubject(page_id=page),
            title=f"Find out what changed on {quoted(facts.title(page))}",
            reason=sentence(found[0]),
            reasons=(CHANGE,),
            figures=tuple(_figure(c) for c in found),
            q_value=found[0].q_value,
            precedence=INVESTIGATE if everyone else SEGMENT_ONLY,
        )


def _figure(c: ChangeRecord) -> EvidenceFigure:
    detail = _since(c) + (f" ({c.segment})" if c.segment is not None else "")
    return EvidenceFigure(
        _WHAT[c.metric][0], c.rate, c.successes, c.trials, c.baseline_rate, c.q_value, detail
    )


def _since(c: ChangeRecord) -> str:
    day = datetime.fromtimestamp(c.period_start / 1000, UTC).strftime("%-d %b %Y")
    return f"since the update of {day}" if c.kind is ChangeKind.CATALOG else f"in the week of {day}"


def sentence(c: ChangeRecord) -> str:
    """ "In the week of 16 Feb 2026, 95 of 152 visits ended with the customer leaving,
    against 27 of 234 before.\""""
    who = f" for customers with {c.segment}" if c.segment is not None else ""
    before = "in the 4 weeks before" if c.kind is ChangeKind.PERIOD else "before the update"
    return (
        f"{_capital(_since(c))}{who}, {of(c.successes, c.trials)} {_WHAT[c.metric][1]}, "
        f"against {of(c.baseline_successes, c.baseline_trials)} {before}."
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
