"""Named, self-dropping projections of the path graph."""

from __future__ import annotations

import uuid
from typing import Any

from graphdatascience import GraphDataScience

from graph_model.run.cypher import PAGE_LABEL, TRANSITION_TYPE, TRANSITION_WEIGHT


def graph_name(prefix: str) -> str:
    return f"pathrank-{prefix}-{uuid.uuid4().hex[:8]}"


def transitions(gds: GraphDataScience, orientation: str) -> Any:
    """Pages with their TRANSITIONs (NATURAL or REVERSE), weighted by click count."""
    spec = {TRANSITION_TYPE: {"orientation": orientation, "properties": [TRANSITION_WEIGHT]}}
    return gds.graph.project.native(graph_name("transitions"), PAGE_LABEL, spec).graph


def cypher(gds: GraphDataScience, prefix: str, query: str, **params: Any) -> Any:
    """A Cypher projection (`query` calls gds.graph.project with `$graph_name`)."""
    return gds.graph.project.cypher(query, graph_name=graph_name(prefix), **params).graph
