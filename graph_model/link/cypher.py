"""Cypher of the link aggregate: how a run stages its MISLEADING_LINK and LINK_SUCCESS
relationships, and the API's reads of the run it pinned (shapes: graph_model.statements)."""

from __future__ import annotations

from typing import Final

from graph_model.link.record import ENDS, MISLEADING, SUCCESS
from graph_model.statements import of_analysis

# ---- staging (graph_model.run.store): tagged with the run, invisible until its switch ----


def _stage(relationship: str) -> str:
    """Rows {from, to, props} as relationships of the type, tagged with $run."""
    return f"""
UNWIND $rows AS r
MATCH (a:Page {{id: r.from}}) USING INDEX a:Page(id)
MATCH (b:Page {{id: r.to}}) USING INDEX b:Page(id)
CREATE (a)-[x:{relationship}]->(b)
SET x = r.props, x.run = $run
"""


STAGE_MISLEADING: Final = _stage("MISLEADING_LINK")
STAGE_SUCCESS: Final = _stage("LINK_SUCCESS")

# (match, index, extra condition) of each relationship a run's deletion drains.
DELETED: Final = (
    ("()-[x:MISLEADING_LINK]->()", "x:MISLEADING_LINK(run)", ""),
    ("()-[x:LINK_SUCCESS]->()", "x:LINK_SUCCESS(run)", ""),
)

# ---- the API's reads ----------------------------------------------------------------------

_MISLEADING_ROW = (
    "{fromPageId: a.id, toPageId: b.id, " + MISLEADING.projection(skip=ENDS, source="m")[1:]
)
_SUCCESS_ROW = "{fromPageId: a.id, toPageId: b.id, " + SUCCESS.projection(skip=ENDS, source="s")[1:]

MISLEADING_LINKS = of_analysis(f"""
  MATCH (a:Page)-[m:MISLEADING_LINK {{run: run}}]->(b:Page)
  WITH a, m, b ORDER BY m.rank, a.id, b.id
  LIMIT $limit
  RETURN collect({_MISLEADING_ROW}) AS rows
""")

# Every pair's success probability of the run at once (live assist scores with them all).
ALL_LINK_SUCCESS = of_analysis(f"""
  MATCH (a:Page)-[s:LINK_SUCCESS {{run: run}}]->(b:Page)
  RETURN collect({_SUCCESS_ROW}) AS rows
""")

# The pairs in $pairs ([from, to] each) that have a success probability in the run.
LINK_SUCCESS_OF = of_analysis(f"""
  UNWIND $pairs AS pair
  MATCH (a:Page {{id: pair[0]}})-[s:LINK_SUCCESS {{run: run}}]->(b:Page {{id: pair[1]}})
  RETURN collect({_SUCCESS_ROW}) AS rows
""")
