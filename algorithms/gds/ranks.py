"""PageRank and PathRank on the transition graph (docs/analytics.md, sections 1 and 2)."""

from __future__ import annotations

from collections.abc import Sequence

from graphdatascience import GraphDataScience

from algorithms.gds import projection
from graph_model.run.cypher import TRANSITION_WEIGHT

DAMPING = 0.85
MAX_ITERATIONS = 100

# Page node id -> score.
Ranks = dict[int, float]


def page_rank(gds: GraphDataScience) -> Ranks:
    """PageRank on TRANSITION weighted by count: where customers' clicks flow."""
    with projection.transitions(gds, "NATURAL") as graph:
        frame = gds.page_rank.stream(
            graph,
            damping_factor=DAMPING,
            relationship_weight_property=TRANSITION_WEIGHT,
            max_iterations=MAX_ITERATIONS,
        )
    return _scores(frame)


def path_rank(gds: GraphDataScience, resolution_node_ids: Sequence[int]) -> Ranks:
    """PageRank on the reversed TRANSITION graph, personalised on the pages where paths
    resolved: high where traffic flows on to resolution."""
    if not resolution_node_ids:
        return {}
    with projection.transitions(gds, "REVERSE") as graph:
        frame = gds.page_rank.stream(
            graph,
            damping_factor=DAMPING,
            relationship_weight_property=TRANSITION_WEIGHT,
            max_iterations=MAX_ITERATIONS,
            source_nodes=list(resolution_node_ids),
        )
    return _scores(frame)


def _scores(frame: object) -> Ranks:
    nodes = frame["nodeId"].tolist()  # type: ignore[index]
    scores = frame["score"].tolist()  # type: ignore[index]
    return {int(n): float(s) for n, s in zip(nodes, scores, strict=True)}
