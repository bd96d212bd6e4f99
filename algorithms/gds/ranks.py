"""PageRank and PathRank on the transition graph (docs/analytics.md, sections 1 and 2)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphdatascience import GraphDataScience

from algorithms.gds import projection
from graph_model.run.cypher import TRANSITION_WEIGHT

DAMPING = 0.85
MAX_ITERATIONS = 100

# Page node id -> score.
Ranks = dict[int, float]


# [source, target, clicks] by node id: a windowed run's transitions (None: TRANSITION's).
Rows = Sequence[Sequence[int]] | None


def page_rank(gds: GraphDataScience, rows: Rows = None) -> Ranks:
    """PageRank on TRANSITION weighted by count: where customers' clicks flow."""
    return _page_rank(gds, "NATURAL", rows)


def path_rank(
    gds: GraphDataScience, resolution_node_ids: Sequence[int], rows: Rows = None
) -> Ranks:
    """PageRank on the reversed TRANSITION graph, personalised on the pages where paths
    resolved: high where traffic flows on to resolution."""
    if not resolution_node_ids:
        return {}
    return _page_rank(gds, "REVERSE", rows, source_nodes=list(resolution_node_ids))


def _page_rank(gds: GraphDataScience, orientation: str, rows: Rows, **personalised: Any) -> Ranks:
    if rows is not None and not rows:
        return {}
    with projection.transitions(gds, orientation, rows) as graph:
        frame = gds.page_rank.stream(
            graph,
            damping_factor=DAMPING,
            relationship_weight_property=TRANSITION_WEIGHT,
            max_iterations=MAX_ITERATIONS,
            **personalised,
        )
    nodes, scores = frame["nodeId"].tolist(), frame["score"].tolist()
    return {int(n): float(s) for n, s in zip(nodes, scores, strict=True)}
