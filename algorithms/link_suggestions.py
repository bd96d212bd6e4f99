"""Link suggestions (DESIGN.md section 6.8): where a direct link would have shortened
resolved paths.

A resolved path p0..p(n-1) resolves on R = p(n-1). For every page A != R in it, taken at its
earliest position i (a customer who wandered back to A gains from the link from the first
time they saw A, and each path votes once per pair), the route A..R took d = n-1-i clicks.
With at least two intermediate clicks (d >= 3) a link A->R would have made it one click, so it
saves d - 1. Clicks saved are counted as if the customer had taken the link and resolved at
once. Pairs already joined by an observed TRANSITION A->R (or a declared link, if given) are
left out: the link exists, so adding it cannot help.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Final

from algorithms.inputs import PathRecord
from algorithms.observed import Transition

MIN_CLICKS: Final = 3  # A -> x -> y -> R: two intermediate clicks


@dataclass(frozen=True, slots=True)
class LinkSuggestion:
    from_page_id: str  # A
    to_page_id: str  # R, a page where paths resolved
    paths: int  # resolved paths that would have used the link
    clicks_saved: int  # total over those paths
    mean_clicks_saved: float  # clicks_saved / paths


def link_suggestions(
    paths: Iterable[PathRecord],
    existing: Collection[Transition],
    *,
    limit: int | None = None,
) -> tuple[LinkSuggestion, ...]:
    """Ranked by total clicks saved, then paths, then page ids.

    `existing`: pairs that already have a link: the observed TRANSITION pairs, plus declared
    LINKS_TO pairs when known.
    """
    saved: Counter[Transition] = Counter()
    used: Counter[Transition] = Counter()
    for path in paths:
        if path.outcome != "RESOLVED":
            continue
        target, last = path.last_page, len(path.pages) - 1
        earliest: dict[str, int] = {}
        for i in range(last - MIN_CLICKS + 1):  # positions at least MIN_CLICKS from the end
            earliest.setdefault(path.pages[i], i)
        for page, i in earliest.items():
            pair = (page, target)
            if page != target and pair not in existing:
                saved[pair] += last - i - 1
                used[pair] += 1
    suggestions = [
        LinkSuggestion(a, r, used[(a, r)], total, total / used[(a, r)])
        for (a, r), total in saved.items()
    ]
    suggestions.sort(key=lambda s: (-s.clicks_saved, -s.paths, s.from_page_id, s.to_page_id))
    return tuple(suggestions[:limit])
