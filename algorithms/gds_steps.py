"""The Graph Data Science steps of `pathrank analyze`, through the graphdatascience client.

Every projection is made for one step and dropped right after it (even on error),
so a second run starts from the same catalog and is idempotent.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from graphdatascience import GraphDataScience

from graph_model.analysis_cypher import CUSTOMER_PAGE_SETS, ROUTES_TO_RESOLUTION

PathMode = Literal["FEWEST_CLICKS", "MOST_LIKELY"]

# KNN for the customer similarity graph, chosen on simulated clicks (docs/analytics.md):
# at 1M clicks topK 5 recovers the segments as well as 10 or 20 (adjusted Rand 0.60 vs 0.52
# and 0.57) and writes half or a quarter of the SIMILAR relationships; KNN rarely settles
# (ties in Jaccard), so it stops after a few rounds.
TOP_K = 5
KNN_MAX_ITERATIONS = 5
KNN_DELTA_THRESHOLD = 0.05


@dataclass(frozen=True, slots=True)
class RankResult:
    nodes: int
    iterations: int
    converged: bool


@dataclass(frozen=True, slots=True)
class CommunityResult:
    similar_pairs: int
    communities: int
    modularity: float
    leiden_compute_s: float


@dataclass(frozen=True, slots=True)
class SuccessRoute:
    """Best route from a page to any page where paths resolve (node ids are GDS ids)."""

    node_ids: tuple[int, ...]
    cost: float

    @property
    def clicks(self) -> int:
        return len(self.node_ids) - 1

    @property
    def probability(self) -> float:
        """For MOST_LIKELY routes cost is -sum(log p), so this is the route's probability."""
        return math.exp(-self.cost)


@contextmanager
def projected(
    gds: GraphDataScience, node_spec: Any, relationship_spec: Any, prefix: str
) -> Iterator[Any]:
    name = f"pathrank-{prefix}-{uuid.uuid4().hex[:8]}"
    graph = gds.graph.project.native(name, node_spec, relationship_spec).graph
    try:
        yield graph
    finally:
        gds.graph.drop(name, fail_if_missing=False)


def _transitions(orientation: str, *properties: str) -> dict[str, Any]:
    return {"TRANSITION": {"orientation": orientation, "properties": list(properties)}}


def page_rank(gds: GraphDataScience) -> RankResult:
    """DESIGN 6.1: PageRank on TRANSITION weighted by count, damping 0.85 -> Page.pageRank."""
    with projected(gds, "Page", _transitions("NATURAL", "count"), "pagerank") as graph:
        r = gds.page_rank.write(
            graph,
            write_property="pageRank",
            damping_factor=0.85,
            relationship_weight_property="count",
            max_iterations=100,
        )
    return RankResult(r.node_properties_written, r.ran_iterations, r.did_converge)


def path_rank(gds: GraphDataScience, resolution_node_ids: Sequence[int]) -> RankResult:
    """DESIGN 6.2: PageRank on the reversed TRANSITION graph, personalised on the pages
    where paths resolved -> Page.pathRank (high where traffic flows on to resolution)."""
    with projected(gds, "Page", _transitions("REVERSE", "count"), "pathrank") as graph:
        r = gds.page_rank.write(
            graph,
            write_property="pathRank",
            damping_factor=0.85,
            relationship_weight_property="count",
            max_iterations=100,
            source_nodes=list(resolution_node_ids),
        )
    return RankResult(r.node_properties_written, r.ran_iterations, r.did_converge)


def communities(
    gds: GraphDataScience, top_k: int = TOP_K, cutoff: float = 0.1, gamma: float = 0.1
) -> CommunityResult:
    """DESIGN 6.6: Jaccard similarity of the sets of pages customers visited -> SIMILAR
    {score}, then Leiden on SIMILAR weighted by score -> Customer.community.

    GDS node similarity compares every pair of customers (quadratic: it did not finish in
    20 minutes on 190k customers), so the top-k neighbours come from GDS KNN on each
    customer's visited page ids (neighbour-of-neighbour refinement, near linear). The
    similarity graph stays in the projection for Leiden and is written once.

    SIMILAR is a top-k neighbour graph, dense inside a behaviour segment; at the default
    resolution (gamma 1) Leiden splits segments into many small pieces, so a low gamma is
    used (see docs/analytics.md for the adjusted Rand index on simulated segments).
    """
    name = f"pathrank-customers-{uuid.uuid4().hex[:8]}"
    graph = gds.graph.project.cypher(CUSTOMER_PAGE_SETS, graph_name=name).graph
    try:
        sim = gds.knn.mutate(
            graph,
            mutate_relationship_type="SIMILAR",
            mutate_property="score",
            node_properties={"pages": "JACCARD"},
            top_k=top_k,
            similarity_cutoff=cutoff,
            max_iterations=KNN_MAX_ITERATIONS,
            delta_threshold=KNN_DELTA_THRESHOLD,
            random_seed=42,
            concurrency=1,  # GDS KNN is deterministic only with a seed and one thread
        )
        gds.graph.relationships.to_undirected(
            graph, "SIMILAR", "SIMILAR_BOTH_WAYS", aggregation="MAX"
        )
        result = gds.leiden.write(
            graph,
            write_property="community",
            relationship_types=["SIMILAR_BOTH_WAYS"],
            relationship_weight_property="score",
            gamma=gamma,
            random_seed=42,
            concurrency=1,  # with the seed, the same graph always gives the same communities
            consecutive_ids=True,
        )
        gds.graph.relationships.write(graph, "SIMILAR", ["score"])
    finally:
        gds.graph.drop(name, fail_if_missing=False)
    return CommunityResult(
        similar_pairs=int(sim.relationships_written),
        communities=int(result.community_count),
        modularity=float(result.modularity),
        leiden_compute_s=int(result.compute_millis) / 1000,
    )


def success_routes(
    gds: GraphDataScience, resolution_node_ids: Sequence[int], mode: PathMode, free_node_id: int
) -> dict[int, SuccessRoute]:
    """DESIGN 6.4: from every page, the best route along observed transitions to any page
    where a path resolved.

    One Dijkstra answers for every page at once: on the reversed transitions plus a virtual
    source (`free_node_id`, an id no page has) with a zero-cost edge to every resolution
    page, the shortest route from the source to a page is its best route to the nearest
    resolution page (a Dijkstra per resolution page took 20 s at 1M clicks).

    FEWEST_CLICKS counts transitions; MOST_LIKELY uses TRANSITION.cost = -log(probability).
    """
    weight = "cost" if mode == "MOST_LIKELY" else "clicks"
    name = f"pathrank-routes-{uuid.uuid4().hex[:8]}"
    graph = gds.graph.project.cypher(
        ROUTES_TO_RESOLUTION,
        graph_name=name,
        source=free_node_id,
        targets=[int(t) for t in resolution_node_ids],
    ).graph
    try:
        frame = gds.all_shortest_paths.dijkstra.stream(
            graph, source_node=free_node_id, relationship_weight_property=weight
        )
    finally:
        gds.graph.drop(name, fail_if_missing=False)
    best: dict[int, SuccessRoute] = {}
    for page, cost, nodes in zip(
        frame["targetNode"], frame["totalCost"], frame["nodeIds"], strict=True
    ):
        if int(page) != free_node_id:
            route = tuple(int(n) for n in reversed(list(nodes)[1:]))
            best[int(page)] = SuccessRoute(route, float(cost) if mode == "MOST_LIKELY" else 0.0)
    return best
