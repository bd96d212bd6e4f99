"""Shortest success paths (docs/analytics.md, section 4), by one GDS Dijkstra."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from graphdatascience import GraphDataScience

from algorithms.gds import projection
from graph_model.page.record import PathMode
from graph_model.run.cypher import ROUTES_FROM_ROWS, ROUTES_TO_RESOLUTION


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


def success_routes(
    gds: GraphDataScience,
    resolution_node_ids: Sequence[int],
    mode: PathMode,
    free_node_id: int,
    rows: Sequence[Sequence[int]] | None = None,
) -> dict[int, SuccessRoute]:
    """From every page, the best route along observed transitions to any page where a path
    resolved.

    One Dijkstra answers for every page at once: on the reversed transitions plus a virtual
    source (`free_node_id`, an id no page has) with a zero-cost edge to every resolution
    page, the shortest route from the source to a page is its best route to the nearest
    resolution page (a Dijkstra per resolution page took 20 s at 1M clicks).
    FEWEST_CLICKS counts transitions; MOST_LIKELY adds cost = -log(probability), computed in
    the projection from the transition counts (graph_model.run.cypher.ROUTES_TO_RESOLUTION).
    `rows` ([source, target, clicks] by node id): a windowed run's transitions instead.
    """
    if not resolution_node_ids:
        return {}
    weight = "cost" if mode is PathMode.MOST_LIKELY else "clicks"
    query, extra = ROUTES_TO_RESOLUTION, {}
    if rows is not None:
        query, extra = ROUTES_FROM_ROWS, {"rows": [list(r) for r in rows]}
    with projection.cypher(
        gds,
        "routes",
        query,
        source=free_node_id,
        targets=[int(t) for t in resolution_node_ids],
        **extra,
    ) as graph:
        frame = gds.all_shortest_paths.dijkstra.stream(
            graph, source_node=free_node_id, relationship_weight_property=weight
        )
    best: dict[int, SuccessRoute] = {}
    for page, cost, nodes in zip(
        frame["targetNode"], frame["totalCost"], frame["nodeIds"], strict=True
    ):
        if int(page) != free_node_id:
            route = tuple(int(n) for n in reversed(list(nodes)[1:]))
            best[int(page)] = SuccessRoute(
                route, float(cost) if mode is PathMode.MOST_LIKELY else 0.0
            )
    return best
