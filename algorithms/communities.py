"""Community profiles (docs/analytics.md, section 6): per community its size, top pages,
resolution rate, mean path length and turnaround rate, over its customers' completed paths."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

from graph_model.community.record import CommunityRecord
from graph_model.path.record import Outcome, Path

TOP_PAGES = 5


def community_profiles(
    paths: Iterable[Path], communities: Mapping[str, int]
) -> list[CommunityRecord]:
    """`communities`: customer id -> community id, for every member."""
    members: Counter[int] = Counter(communities.values())
    visits: dict[int, Counter[str]] = defaultdict(Counter)
    lengths: dict[int, list[int]] = defaultdict(list)
    resolved: Counter[int] = Counter()
    turned: Counter[int] = Counter()
    for p in paths:
        community = communities.get(p.customer_id)
        if community is None:
            continue
        visits[community].update(p.pages)
        if not p.completed:
            continue
        lengths[community].append(len(p.pages))
        resolved[community] += p.outcome is Outcome.RESOLVED
        turned[community] += bool(p.turnaround_positions)
    out = []
    for community, size in sorted(members.items()):
        completed = len(lengths[community])
        out.append(
            CommunityRecord(
                id=community,
                size=size,
                top_pages=tuple(page for page, _ in visits[community].most_common(TOP_PAGES)),
                completed_paths=completed,
                resolution_rate=resolved[community] / completed if completed else None,
                mean_path_length=statistics.fmean(lengths[community]) if completed else None,
                turnaround_rate=turned[community] / completed if completed else None,
            )
        )
    return out
