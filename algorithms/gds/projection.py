"""Named, self-dropping projections of the path graph."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from graphdatascience import GraphDataScience

from graph_model.run.cypher import (
    PAGE_LABEL,
    TRANSITION_ROWS,
    TRANSITION_ROWS_REVERSED,
    TRANSITION_TYPE,
    TRANSITION_WEIGHT,
)


def graph_name(prefix: str) -> str:
    return f"pathrank-{prefix}-{uuid.uuid4().hex[:8]}"


def transitions(
    gds: GraphDataScience, orientation: str, rows: Sequence[Sequence[int]] | None = None
) -> Any:
    """Pages with their TRANSITIONs (NATURAL or REVERSE), weighted by click count; with
    `rows` ([source, target, clicks] by node id: a windowed run's), those instead."""
    if rows is not None:
        query = TRANSITION_ROWS if orientation == "NATURAL" else TRANSITION_ROWS_REVERSED
        return cypher(gds, "transitions", query, rows=[list(r) for r in rows])
    spec = {TRANSITION_TYPE: {"orientation": orientation, "properties": [TRANSITION_WEIGHT]}}
    return gds.graph.project.native(graph_name("transitions"), PAGE_LABEL, spec).graph


def cypher(gds: GraphDataScience, prefix: str, query: str, **params: Any) -> Any:
    """A Cypher projection (`query` calls gds.graph.project with `$graph_name`)."""
    return gds.graph.project.cypher(query, graph_name=graph_name(prefix), **params).graph
