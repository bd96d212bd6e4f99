"""Link suggestions (docs/analytics.md, section 8): where a direct link would have shortened
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
from typing import Final

from algorithms.observed import Transition
from graph_model.path.record import Outcome, Path
from graph_model.suggestion.record import LinkSuggestion

MIN_CLICKS: Final = 3  # A -> x -> y -> R: two intermediate clicks


def link_suggestions(
    paths: Iterable[Path],
    existing: Collection[Transition],
    *,
    limit: int | None = None,
) -> tuple[LinkSuggestion, ...]:
    """Ranked (rank 1 first) by total clicks saved, then paths, then page ids.

    `existing`: pairs that already have a link: the observed TRANSITION pairs, plus declared
    LINKS_TO pairs when known.
    """
    saved: Counter[Transition] = Counter()
    used: Counter[Transition] = Counter()
    for path in paths:
        if path.outcome is not Outcome.RESOLVED:
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
    ordered = sorted(saved.items(), key=lambda kv: (-kv[1], -used[kv[0]], kv[0]))[:limit]
    return tuple(
        LinkSuggestion(a, r, used[(a, r)], total, total / used[(a, r)], rank)
        for rank, ((a, r), total) in enumerate(ordered, start=1)
    )
