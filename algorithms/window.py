"""What GDS projects for a windowed run (`pathrank analyze --since/--until`).

The graph's TRANSITION counts and VISITED relationships aggregate all of history, so a run
over a window projects what the window's paths give instead: their transition counts and
each customer's set of visited pages, as rows of node ids for Cypher projections
(graph_model.run.cypher: TRANSITION_ROWS, ROUTES_FROM_ROWS, CUSTOMER_PAGE_ROWS).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from graph_model.admin import GraphCounts
from graph_model.path.record import Outcome, Path

# [source node id, target node id, clicks]
TransitionRow = list[int]
# [customer node id, sorted page node ids]
CustomerPagesRow = list[int | list[int]]


@dataclass(frozen=True, slots=True)
class WindowRows:
    transitions: list[TransitionRow]
    customer_pages: list[CustomerPagesRow]


def window_rows(
    paths: Sequence[Path], page_ids: Mapping[str, int], customer_ids: Mapping[str, int]
) -> WindowRows:
    """Transition counts of every path (OPEN included, like TRANSITION) and the pages each
    customer visited in them, by node id; pages or customers without a node are left out."""
    counts: Counter[tuple[str, str]] = Counter()
    visited: dict[str, set[str]] = {}
    for path in paths:
        counts.update(itertools.pairwise(path.pages))
        visited.setdefault(path.customer_id, set()).update(path.pages)
    transitions = [
        [page_ids[a], page_ids[b], n]
        for (a, b), n in sorted(counts.items())
        if a in page_ids and b in page_ids
    ]
    customer_pages: list[CustomerPagesRow] = [
        [customer_ids[c], sorted(page_ids[p] for p in pages if p in page_ids)]
        for c, pages in sorted(visited.items())
        if c in customer_ids
    ]
    return WindowRows(transitions, customer_pages)


def window_counts(paths: Sequence[Path], watermark_ms: int | None) -> GraphCounts:
    """The run record's sizes, of the window's paths rather than the whole graph."""
    outcomes = Counter(p.outcome for p in paths)
    transitions = {pair for p in paths for pair in itertools.pairwise(p.pages)}
    return GraphCounts(
        pages=len({page for p in paths for page in p.pages}),
        customers=len({p.customer_id for p in paths}),
        paths=len(paths),
        clicks=sum(p.length for p in paths),
        transitions=len(transitions),
        open_paths=outcomes[Outcome.OPEN],
        resolved_paths=outcomes[Outcome.RESOLVED],
        abandoned_paths=outcomes[Outcome.ABANDONED],
        escalated_paths=outcomes[Outcome.ESCALATED],
        markers=sum(p.ended_by is not None for p in paths),  # the markers that ended them
        watermark_ms=watermark_ms,
    )
