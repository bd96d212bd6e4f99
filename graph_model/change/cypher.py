"""Cypher of changes: what an analysis stages, and what the API reads of the run it pins."""

from __future__ import annotations

from typing import Final

from graph_model.change.record import CHANGE
from graph_model.statements import of_analysis

_CHANGE: Final = CHANGE.projection()

STAGE_CHANGES = """
UNWIND $rows AS r
CREATE (c:Change)
SET c = r, c.run = $run
"""

# The run's changes of `kind` among everyone's paths ($segment '') or one segment's, in rank
# order, whose tested period starts at or after $since; $significant: only q <= $fdr.
CHANGES = of_analysis(f"""
  MATCH (c:Change {{run: run}}) USING INDEX c:Change(run, kind, rank)
  WHERE c.kind = $kind AND c.rank IS NOT NULL AND c.periodStart >= $since
    AND coalesce(c.segment, '') = $segment
    AND (NOT $significant OR c.qValue <= $fdr)
  WITH c ORDER BY c.rank
  LIMIT $limit
  RETURN collect(c {_CHANGE}) AS rows
""")

# Each page's changes of the run (among everyone's paths), in rank order.
PAGE_CHANGES = of_analysis(f"""
  UNWIND $ids AS id
  CALL (run, id) {{
    MATCH (c:Change {{run: run, pageId: id}})
    WHERE c.segment IS NULL AND (NOT $significant OR c.qValue <= $fdr)
    WITH c ORDER BY c.rank
    LIMIT $limit
    RETURN collect(c {_CHANGE}) AS found
  }}
  RETURN collect({{id: id, rows: found}}) AS rows
""")
