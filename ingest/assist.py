"""Live assist in the ingest path: every click of a path is scored with the latest analysis
(held in memory), and each change of the path's at-risk state becomes one announcement.

The rule (docs/assist.md, "When a path is at risk"), at a path's click number n (1-based) on
page B, with A the page before it:
- the chance is the second-order chance to resolve at B coming from A when the analysis has
  at least 20 observations of (A, B), else B's success probability (unknown: not analysed);
- LOW_CHANCE: n >= 3 and the chance is below the threshold (default 0.2);
- HOTSPOT_TURNAROUND: the click completes a turnaround A->B->A at a turnaround hotspot B;
- MISLEADING_LINK: the click arrives by a link A->B marked misleading;
- FAILED_SEARCH: the click is a search that showed no result, or a second search in a row
  (the customer clicked nothing the first one found);
- the path is at risk after the click when one of them holds, and stops being at risk at a
  click where none holds, or when it ends (resolved, abandoned).

`assess` is a pure function of the batch, the stored states and the figures, so a batch
that is written again after a crash decides exactly what it decided the first time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from graph_model.assist.record import (
    NEVER_AT_RISK,
    Announcement,
    AssistFigures,
    RiskReason,
    RiskState,
)
from graph_model.assist.store import AssessBatch, AssistChanges, EndedAtRisk
from graph_model.path.batch import BatchWrite, grows
from graph_model.path.record import Outcome, Path

log = logging.getLogger("ingest.assist")

# Where a customer's clicks came from: (topic, partition); ("", -1) outside Kafka.
Source = tuple[str, int]
NO_SOURCE: Source = ("", -1)


@dataclass(frozen=True, slots=True)
class AssistRules:
    timeout_ms: int  # the inactivity timeout: when an abandoned path ended, what is live
    threshold: float = 0.2
    min_clicks: int = 3
    min_observations: int = 20  # behind a second-order chance


@dataclass(frozen=True, slots=True)
class Verdict:
    chance: float | None
    reasons: tuple[RiskReason, ...]

    @property
    def at_risk(self) -> bool:
        return bool(self.reasons)


def chance_at(
    pages: Sequence[str], i: int, figures: AssistFigures, rules: AssistRules
) -> float | None:
    """The chance to resolve from the click at position i (0-based)."""
    if i >= 1:
        pair = figures.pairs.get((pages[i - 1], pages[i]))
        if pair is not None and pair.observations >= rules.min_observations:
            return pair.chance
    return figures.success.get(pages[i])


def judge(
    pages: Sequence[str],
    i: int,
    figures: AssistFigures,
    rules: AssistRules,
    queries: Sequence[str] = (),
    results: Sequence[int] = (),
) -> Verdict:
    """The verdict at the click at position i (0-based) of a path with these pages (and,
    when it searched, its steps' queries and results counts, as on the Path)."""
    chance = chance_at(pages, i, figures, rules)
    reasons: list[RiskReason] = []
    if i + 1 >= rules.min_clicks and chance is not None and chance < rules.threshold:
        reasons.append(RiskReason.LOW_CHANCE)
    if i >= 2 and pages[i] == pages[i - 2] != pages[i - 1] and pages[i - 1] in figures.hotspots:
        reasons.append(RiskReason.HOTSPOT_TURNAROUND)
    if i >= 1 and (pages[i - 1], pages[i]) in figures.misleading:
        reasons.append(RiskReason.MISLEADING_LINK)
    if queries and queries[i] and (results[i] == 0 or (i >= 1 and queries[i - 1])):
        reasons.append(RiskReason.FAILED_SEARCH)
    return Verdict(chance, tuple(reasons))


@dataclass(slots=True)
class _Track:
    """One path's state while its clicks are judged."""

    path: Path
    state: RiskState
    source: Source
    run: str | None
    out: list[Announcement]
    live_from_ms: int | None  # changes before this are recorded, not announced
    timeout_ms: int

    def change(
        self, at_risk: bool, i: int, verdict: Verdict | None, outcome: Outcome | None
    ) -> None:
        p, s = self.path, self.state
        time_ms = self._time(i, outcome)
        n = s.risk_changes + 1
        self.state = RiskState(
            at_risk=at_risk,
            risk_changes=n,
            was_at_risk=s.was_at_risk or at_risk,
            risk_chance=verdict.chance if verdict else None,
            risk_reasons=verdict.reasons if verdict else (),
            risk_page=p.pages[i],
            risk_since=time_ms,
            risk_topic=self.source[0] if self.source != NO_SOURCE else None,
            risk_partition=self.source[1] if self.source != NO_SOURCE else None,
        )
        if self.live_from_ms is not None and time_ms < self.live_from_ms:
            return
        self.out.append(
            Announcement(
                id=f"{p.id}#{n}",
                customer=p.customer_id,
                path=p.id,
                at_risk=at_risk,
                page=p.pages[i],
                clicks=i + 1,
                time=time_ms,
                chance=verdict.chance if verdict else None,
                reasons=verdict.reasons if verdict else (),
                previous_page=p.pages[i - 1] if i >= 1 else None,
                outcome=outcome,
                run=self.run,
                source_topic=self.source[0],
                source_partition=self.source[1],
            )
        )

    def _time(self, i: int, outcome: Outcome | None) -> int:
        if outcome is None:
            return self.path.timestamps[i] if self.path.timestamps else self.path.end
        return self.path.end + self.timeout_ms if outcome is Outcome.ABANDONED else self.path.end


def _follow(track: _Track, first: int, figures: AssistFigures | None, rules: AssistRules) -> None:
    """Judge the path's clicks from position `first` on, then its end if it ended."""
    p = track.path
    last = len(p.pages) - (2 if p.outcome is Outcome.RESOLVED else 1)  # a resolving click ends it
    if figures is not None:
        for i in range(max(first, 0), last + 1):
            # Only changes are written: the stored state says where the path became at risk.
            verdict = judge(p.pages, i, figures, rules, p.queries, p.result_counts)
            if verdict.at_risk != track.state.at_risk:
                track.change(verdict.at_risk, i, verdict, None)
    if p.completed and track.state.at_risk:
        track.change(False, len(p.pages) - 1, None, p.outcome)


def assess(
    batch: BatchWrite,
    stored: Mapping[str, RiskState],
    ended: Sequence[EndedAtRisk],
    figures: AssistFigures | None,
    rules: AssistRules,
    sources: Mapping[str, Source],
) -> AssistChanges:
    """The at-risk states the batch's paths are in after it, and the announcements of every
    change (changes older than the inactivity timeout behind the watermark are recorded on
    the path, not announced: nobody can be helped any more)."""
    live_from = None if batch.watermark_ms is None else batch.watermark_ms - rules.timeout_ms
    run = figures.run if figures is not None else None
    states: list[tuple[str, RiskState]] = []
    out: list[Announcement] = []
    old_by_id = {p.id: p for p in batch.deleted_paths}

    def track(path: Path, state: RiskState, source: Source | None = None) -> _Track:
        return _Track(
            path, state, source or _stored_source(state), run, out, live_from, rules.timeout_ms
        )

    for p in batch.created_paths:
        old = old_by_id.get(p.id)
        before = stored.get(p.id, NEVER_AT_RISK)
        kept = old is not None and grows(old, p)  # the node stays: its properties too
        if kept and old is not None:
            first = len(old.pages)
        elif old is not None:
            first = len(p.pages) - 1  # recomputed around a late click: judged where it is now
        else:
            first = 0
        t = track(p, before, sources.get(p.customer_id, NO_SOURCE))
        _follow(t, first, figures, rules)
        if t.state != before or (not kept and t.state != NEVER_AT_RISK):
            states.append((p.id, t.state))
    created = {p.id for p in batch.created_paths}
    for old in batch.deleted_paths:
        state = stored.get(old.id, NEVER_AT_RISK)
        if old.id not in created and state.at_risk:  # replaced by a path of another id
            t = track(old, state)
            t.change(False, len(old.pages) - 1, None, None)
    for e in ended:
        t = track(e.path, e.state)
        t.change(False, len(e.path.pages) - 1, None, e.path.outcome)
        states.append((e.path.id, t.state))
    return AssistChanges(states, out)


def _stored_source(state: RiskState) -> Source:
    if state.risk_topic is None or state.risk_partition is None:
        return NO_SOURCE
    return (state.risk_topic, state.risk_partition)


class FiguresSource(Protocol):
    def current_run(self) -> str | None: ...

    def figures(self, run: str) -> AssistFigures | None: ...


class LiveFigures:
    """The latest analysis' figures, in memory: the current run is checked at most every
    `refresh_s` (one short read), and its figures loaded when it changed."""

    def __init__(
        self,
        source: FiguresSource,
        refresh_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._refresh_s = refresh_s
        self._clock = clock
        self._checked: float | None = None
        self._figures: AssistFigures | None = None
        self._lock = threading.Lock()

    def current(self) -> AssistFigures | None:
        with self._lock:
            now = self._clock()
            if self._checked is None or now - self._checked >= self._refresh_s:
                self._refresh()
                self._checked = now
            return self._figures

    def _refresh(self) -> None:
        run = self._source.current_run()
        if run is None or (self._figures is not None and self._figures.run == run):
            return
        figures = self._source.figures(run)
        if figures is None:
            return  # replaced meanwhile: the next check finds the newer run
        log.info(
            "assist: scoring with analysis run %s (%d pages, %d hotspots)",
            run,
            len(figures.success),
            len(figures.hotspots),
        )
        self._figures = figures


class Assessor:
    """What the worker scores each batch with."""

    def __init__(self, figures: LiveFigures, rules: AssistRules) -> None:
        self.figures = figures
        self.rules = rules

    def for_batch(self, sources: Mapping[str, Source]) -> AssessBatch:
        figures = self.figures.current()

        def run(
            batch: BatchWrite, stored: Mapping[str, RiskState], ended: Sequence[EndedAtRisk]
        ) -> AssistChanges:
            return assess(batch, stored, ended, figures, self.rules, sources)

        return run
