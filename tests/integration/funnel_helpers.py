"""An independent reference for funnels and time on page (docs/analytics.md, "Funnels"
and "Time on page"), over the completed paths that ingest_helpers.reference derives from the
events (not the graph): the definitions applied as written, quartiles by numpy."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graph_model.timewindow import ALL_TIME, TimeWindow
from simulator import SimulationConfig, simulate
from tests.integration.ingest_helpers import reference

SEARCH = "search"
# The share of simulated sessions that search the help center.
SEARCH_SHARE = 0.3


def with_searches(seed: int, events: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A simulated help center with every planted effect and searches: events and pages."""
    sim = simulate(SimulationConfig.full(seed=seed, events=events, search_share=SEARCH_SHARE))
    return sim.events, sim.pages


def as_clicks(events: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """A search event is a step on the search page (docs/paths.md): as the click it counts as,
    for the reference of ingest_helpers, which knows clicks and outcome events."""
    return [
        {**e, "event_type": "page_view", "page_id": SEARCH}
        if e.get("event_type") == "search"
        else e
        for e in events
    ]


@dataclass(frozen=True)
class RefPath:
    pages: tuple[str, ...]
    times: tuple[int, ...]
    outcome: str
    start: int
    segments: tuple[str, ...]
    end: int | None  # when it resolved or escalated (the resolving click or the marker)


def completed_paths(events: Iterable[Mapping[str, Any]]) -> list[RefPath]:
    """The completed paths of `events` by the reference, with their click times and the time
    they resolved or escalated."""
    snap = reference(as_clicks(events))
    paths = []
    for customer, pages, outcome, start, _, _, segments, ended_at in snap.paths:
        if outcome == "OPEN":
            continue
        times = snap.times[(customer, start)]
        end = ended_at if ended_at is not None else times[-1] if outcome == "RESOLVED" else None
        paths.append(RefPath(pages, times, outcome, start, segments, end))
    return paths


Step = tuple[str, str]  # ("page" | "pattern" | "event", value)


def _matches(step: Step, path: RefPath, j: int) -> bool:
    kind, value = step
    n = len(path.pages)
    if kind == "page":
        return j < n and path.pages[j] == value
    if kind == "pattern":
        return j < n and re.search(value, path.pages[j]) is not None
    if value == "SEARCH":
        return j < n and path.pages[j] == SEARCH
    return j == n and path.outcome == {"RESOLUTION": "RESOLVED", "ESCALATION": "ESCALATED"}[value]


@dataclass
class RefStep:
    reached: int = 0
    converted: int = 0
    minutes: list[float] | None = None
    drops: Counter[tuple[str | None, str]] | None = None


def reference_funnel(
    paths: Sequence[RefPath],
    steps: Sequence[Step],
    within_minutes: int | None = None,
    window: TimeWindow = ALL_TIME,
    segment: str | None = None,
) -> tuple[int, list[RefStep]]:
    result = [RefStep(minutes=[], drops=Counter()) for _ in steps]
    considered = 0
    for p in paths:
        if not window.contains(p.start) or (segment is not None and segment not in p.segments):
            continue
        considered += 1
        n = len(p.pages)
        times = (*p.times, p.end)  # position n: the resolution or escalation
        matched: list[int] = []
        for k, step in enumerate(steps):
            after = matched[-1] + 1 if matched else 0
            found = [
                j
                for j in range(after, n + 1)
                if _matches(step, p, j)
                and (
                    k == 0
                    or within_minutes is None
                    or times[j] - times[matched[0]] <= within_minutes * 60_000  # type: ignore[operator]
                )
            ]
            if not found:
                break
            matched.append(found[0])
        for k, j in enumerate(matched):
            r = result[k]
            r.reached += 1
            if k + 1 < len(matched):
                r.converted += 1
                assert r.minutes is not None
                r.minutes.append((times[matched[k + 1]] - times[j]) / 60_000)  # type: ignore[operator]
            elif k == len(steps) - 1:
                r.converted += 1
            else:
                assert r.drops is not None
                r.drops[(p.pages[j + 1] if j + 1 < n else None, p.outcome)] += 1
    return considered, result


def reference_dwell(
    paths: Sequence[RefPath], window: TimeWindow = ALL_TIME, segment: str | None = None
) -> dict[str, tuple[int, float, float, float]]:
    seconds: dict[str, list[float]] = defaultdict(list)
    for p in paths:
        if window.contains(p.start) and (segment is None or segment in p.segments):
            for i in range(len(p.pages) - 1):
                seconds[p.pages[i]].append((p.times[i + 1] - p.times[i]) / 1000)
    out = {}
    for page, xs in seconds.items():
        p25, median, p75 = np.percentile(xs, [25, 50, 75])
        out[page] = (len(xs), float(median), float(p25), float(p75))
    return out
