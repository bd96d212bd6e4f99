"""The analysis' work-queue step: the queue from this run's findings, the verifications of
the items that need one, and the alerts the run raises (docs/analytics.md, "The work
queue")."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from algorithms.hotspots import RateTest
from algorithms.markov import SuccessChain
from algorithms.observed import Observed
from algorithms.weak_pages import WeakPage
from algorithms.work import SOURCES
from algorithms.work.alerts import change_alerts, new_item_alerts, verdict_alerts
from algorithms.work.finding import SEARCH_PAGE, ContentGap, WorkFacts
from algorithms.work.queue import work_queue
from algorithms.work.verify import Reference, reference_of, sides, verify
from graph_model.change.record import ChangeRecord
from graph_model.link.record import MisleadingLink
from graph_model.page.record import PageVersion
from graph_model.path.record import Path
from graph_model.search.record import SearchFigures
from graph_model.suggestion.record import LinkSuggestion
from graph_model.timewindow import TimeWindow
from graph_model.work.record import (
    Verification,
    WorkFigures,
    WorkItem,
    WorkItemState,
    WorkResults,
)


@dataclass(frozen=True, slots=True)
class WorkQueue:
    """The queue's settings: the alert threshold (PATHRANK_ALERT_TICKETS_PER_WEEK) and the
    reserved page id of search steps (PATHRANK_SEARCH_PAGE)."""

    alert_tickets_per_week: float = 1.0
    search_page: str = SEARCH_PAGE


@dataclass(frozen=True, slots=True)
class WorkFindings:
    """What the analysis found, that findings come from."""

    observed: Observed
    chain: SuccessChain
    weak: Sequence[WeakPage]
    tests: tuple[Sequence[RateTest], Sequence[RateTest], Sequence[RateTest]]
    misleading: Sequence[MisleadingLink]
    suggestions: Sequence[LinkSuggestion]
    changes: Sequence[ChangeRecord]
    segments_tested: int
    versions: Sequence[PageVersion]
    searched: SearchFigures | None = None


class WorkStore(Protocol):
    def work_items(self) -> list[WorkItem]: ...

    def paths(self, window: TimeWindow) -> list[Path]: ...


def work_results(
    settings: WorkQueue,
    store: WorkStore,
    paths: Sequence[Path],
    window: TimeWindow,
    watermark_ms: int | None,
    found: WorkFindings,
    *,
    window_bounded: bool,
    now_ms: int,
) -> WorkResults:
    """`window`: the analysed window (bounded); `window_bounded`: whether the run read only
    some paths (a verification then reads its own)."""
    titles = latest_titles(found.versions)
    hotspots, exits, escalations = found.tests
    facts = WorkFacts(
        paths=paths,
        window=window,
        observed=found.observed,
        chain=found.chain,
        weak=found.weak,
        hotspots=hotspots,
        exits=exits,
        escalations=escalations,
        misleading=found.misleading,
        suggestions=found.suggestions,
        changes=found.changes,
        segments_tested=found.segments_tested,
        versions=found.versions,
        content_gaps=content_gaps(found.searched),
        search_page=settings.search_page,
        titles=titles,
    )
    items = work_queue(facts, SOURCES)
    known = store.work_items()
    verifications = _verifications(
        known, items, found.versions, store, paths, window_bounded, watermark_ms, now_ms
    )
    figures = [*items, *(k.figures for k in known)]
    alerts = [
        *new_item_alerts(items, settings.alert_tickets_per_week),
        *change_alerts(found.changes, titles, window.high),
        *verdict_alerts(figures, {i: v for i, (_, v) in verifications.items()}),
    ]
    return WorkResults(items=items, verifications=verifications, alerts=alerts)


def content_gaps(searched: SearchFigures | None) -> list[ContentGap]:
    """The content gaps of the run's search figures (docs/analytics.md, "Content gaps")."""
    if searched is None or searched.site.failure_rate is None:
        return []
    return [
        ContentGap(
            query=q.text,
            paths=q.paths,
            failed=q.failed_paths,
            q_value=q.q_value if q.q_value is not None else 1.0,
            excess_failures=q.excess_failures,
            site_failure_rate=searched.site.failure_rate,
        )
        for q in searched.queries
        if q.is_content_gap
    ]


def latest_titles(versions: Sequence[PageVersion]) -> dict[str, str]:
    """Each catalog page's title in its latest version."""
    latest: dict[str, PageVersion] = {}
    for v in versions:
        if v.page_id not in latest or v.since >= latest[v.page_id].since:
            latest[v.page_id] = v
    return {page: v.title for page, v in latest.items() if v.title}


def _verifications(
    known: Sequence[WorkItem],
    items: Sequence[WorkFigures],
    versions: Sequence[PageVersion],
    store: WorkStore,
    paths: Sequence[Path],
    window_bounded: bool,
    watermark_ms: int | None,
    now_ms: int,
) -> dict[str, tuple[WorkItemState, Verification]]:
    by_page: dict[str, list[int]] = defaultdict(list)
    for v in versions:
        by_page[v.page_id].append(v.since)
    for sinces in by_page.values():
        sinces.sort()
    states = {k.state.id: (k.state, k.verification) for k in known}
    for w in items:  # found for the first time: created OPEN when staged
        if w.item_id not in states:
            state = WorkItemState(
                w.item_id, w.action, w.page_id, w.from_page_id, w.to_page_id, w.query
            )
            states[w.item_id] = (state, None)
    refs: list[tuple[WorkItemState, Reference]] = []
    for state, current in states.values():
        ref = reference_of(state, by_page, current)
        if ref is not None:
            refs.append((state, ref))
    if not refs:
        return {}
    end = watermark_ms if watermark_ms is not None else max((p.end for p in paths), default=0)
    spans = [s for _, ref in refs if (s := sides(ref.since, end)) is not None]
    if window_bounded and spans:
        low = min(before.low for before, _ in spans)
        high = max(after.high for _, after in spans)
        paths = store.paths(TimeWindow(low, high))
    return {state.id: (state, verify(ref, paths, end, now_ms)) for state, ref in refs}
