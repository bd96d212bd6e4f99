"""Cypher of changes: what an analysis stages, and what the API reads of the run it pins."""

from __future__ import annotations

from typing import Final

from graph_model.change.record import CHANGE
from graph_model.statements import of_analysis, staged

_CHANGE: Final = CHANGE.projection()

STAGE_CHANGES = staged("Change")

# A change among one segment's paths alone is a node of its own label: (:Change) stays
# everyone's, as Cypher users have always read it.
STAGE_SEGMENT_CHANGES = staged("SegmentChange")

# (match, index, extra condition) of what a run's deletion drains.
DELETED: Final = (
    (
        "(x:SegmentChange)",
        "x:SegmentChange(run, segment, rank)",
        " AND x.segment IS NOT NULL AND x.rank IS NOT NULL",
    ),
)

# The run's changes of `kind`, in rank order, whose tested period starts at or after $since;
# $significant: only those with q <= $fdr.
CHANGES = of_analysis(f"""
  MATCH (c:Change {{run: run}}) USING INDEX c:Change(run, kind, rank)
  WHERE c.kind = $kind AND c.rank IS NOT NULL AND c.periodStart >= $since
    AND (NOT $significant OR c.qValue <= $fdr)
  WITH c ORDER BY c.rank
  LIMIT $limit
  RETURN collect(c {_CHANGE}) AS rows
""")

# The run's significant changes among one segment's paths, in rank order (periods only).
SEGMENT_CHANGES = of_analysis(f"""
  MATCH (c:SegmentChange {{run: run, segment: $segment}})
    USING INDEX c:SegmentChange(run, segment, rank)
  WHERE c.rank IS NOT NULL AND c.periodStart >= $since AND c.qValue <= $fdr
  WITH c ORDER BY c.rank
  LIMIT $limit
  RETURN collect(c {_CHANGE}) AS rows
""")

# Each page's changes of the run, in rank order.
PAGE_CHANGES = of_analysis(f"""
  UNWIND $ids AS id
  CALL (run, id) {{
    MATCH (c:Change {{run: run, pageId: id}})
    WHERE NOT $significant OR c.qValue <= $fdr
    WITH c ORDER BY c.rank
    LIMIT $limit
    RETURN collect(c {_CHANGE}) AS found
  }}
  RETURN collect({{id: id, rows: found}}) AS rows
""")
