"""Time to resolution of the site's paths and of each entry page's (docs/analytics.md,
"16. Time to resolution"): the cumulative incidence of algorithms.survival, by minutes and by
clicks, as the curves analysis stores.

Minutes are counted from a path's first click to its last (the resolving click, the last
click before it was abandoned or escalated, or, for an OPEN path, where it is censored);
clicks are the path's length. The estimate uses the exact durations; a curve is stored at
every whole minute (every click) where it changed, and its median is exact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from algorithms.survival import Ending, Observation, cumulative_incidence, grid_to, sampled
from graph_model.path.record import Outcome, Path
from graph_model.resolution.record import Axis, ResolutionCurve

_MS_PER_MINUTE = 60_000


def ending(path: Path) -> Ending:
    """RESOLVED; OPEN is censored; any other ending (abandoned, escalated) competes."""
    if path.outcome is Outcome.RESOLVED:
        return Ending.RESOLVED
    if not path.completed:
        return Ending.CENSORED
    return Ending.COMPETING


def resolution_curves(paths: Iterable[Path]) -> list[ResolutionCurve]:
    """The site's two curves first, then each entry page's, in page id order."""
    minutes: dict[str | None, list[Observation]] = defaultdict(list)
    clicks: dict[str | None, list[Observation]] = defaultdict(list)
    for path in paths:
        end = ending(path)
        by_time = Observation(max(0, path.end - path.start) / _MS_PER_MINUTE, end)
        by_clicks = Observation(float(path.length), end)
        for scope in (None, path.pages[0]):
            minutes[scope].append(by_time)
            clicks[scope].append(by_clicks)
    scopes = sorted(minutes, key=lambda s: (s is not None, s or ""))
    out = []
    for scope in scopes:
        out.append(curve(Axis.MINUTES, scope, minutes[scope]))
        out.append(curve(Axis.CLICKS, scope, clicks[scope]))
    return out


def curve(axis: Axis, entry: str | None, observations: Sequence[Observation]) -> ResolutionCurve:
    estimate = cumulative_incidence(observations)
    points = sampled(estimate, grid_to(estimate))
    return ResolutionCurve(
        axis=axis,
        entry_page_id=entry,
        paths=len(observations),
        resolved=sum(o.ending is Ending.RESOLVED for o in observations),
        censored=sum(o.ending is Ending.CENSORED for o in observations),
        median=estimate.median,
        at=tuple(p.at for p in points),
        incidence=tuple(p.incidence for p in points),
        low=tuple(p.low for p in points),
        high=tuple(p.high for p in points),
        survival=tuple(p.survival for p in points),
        at_risk=tuple(p.at_risk for p in points),
        resolved_by=tuple(p.resolved for p in points),
    )
