"""Time to resolution of the site's paths and of each entry page's (docs/analytics.md,
"16. Time to resolution"): the cumulative incidence of algorithms.survival, by minutes and by
clicks, as the curves analysis stores.

A RESOLVED path resolves; an OPEN one is censored; every other ending (abandoned, escalated)
competes. Minutes are counted from a path's first click to its last (the resolving click, the
last click before it ended otherwise, or, for an OPEN path, where it is censored); clicks are
its length. The estimate uses the exact durations; a curve is stored at every whole minute
(every click) where it changed, and its median is exact.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from algorithms.path_arrays import BoolArray, PathArrays
from algorithms.survival import FloatArray, estimate
from graph_model.path.record import Path
from graph_model.resolution.record import Axis, ResolutionCurve

_MS_PER_MINUTE = 60_000


def resolution_curves(paths: Iterable[Path] | PathArrays) -> list[ResolutionCurve]:
    """The site's two curves first, then each entry page's, in page id order."""
    arrays = paths if isinstance(paths, PathArrays) else PathArrays.of(paths)
    if not len(arrays.start):
        return []
    minutes = np.maximum(arrays.last_ms - arrays.first_ms, 0) / _MS_PER_MINUTE
    clicks = arrays.length.astype(np.float64)
    resolved, censored = arrays.resolved, ~arrays.completed
    out = _both(None, minutes, clicks, resolved, censored)
    entry = arrays.clicks[arrays.start]
    order = np.argsort(entry, kind="stable")
    bounds = np.flatnonzero(np.diff(entry[order])) + 1
    groups = {arrays.page_ids[int(entry[g[0]])]: g for g in np.split(order, bounds)}
    for page in sorted(groups):
        g = groups[page]
        out += _both(page, minutes[g], clicks[g], resolved[g], censored[g])
    return out


def _both(
    entry: str | None,
    minutes: FloatArray,
    clicks: FloatArray,
    resolved: BoolArray,
    censored: BoolArray,
) -> list[ResolutionCurve]:
    return [
        curve(Axis.MINUTES, entry, minutes, resolved, censored),
        curve(Axis.CLICKS, entry, clicks, resolved, censored),
    ]


def curve(
    axis: Axis, entry: str | None, durations: FloatArray, resolved: BoolArray, censored: BoolArray
) -> ResolutionCurve:
    c = estimate(durations, resolved, censored)
    last = float(c.at[-1]) if len(c.at) else 0.0
    at, j = c.sampled(np.arange(0.0, np.ceil(last) + 1.0))
    resolved_by = np.cumsum(c.resolved)[j]
    return ResolutionCurve(
        axis=axis,
        entry_page_id=entry,
        paths=len(durations),
        resolved=int(resolved.sum()),
        censored=int(censored.sum()),
        median=c.median,
        at=tuple(at.tolist()),
        incidence=tuple(c.incidence[j].tolist()),
        low=tuple(c.low[j].tolist()),
        high=tuple(c.high[j].tolist()),
        survival=tuple(c.survival[j].tolist()),
        at_risk=tuple(c.at_risk[j].tolist()),
        resolved_by=tuple(resolved_by.tolist()),
    )
