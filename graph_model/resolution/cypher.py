"""Cypher of the time-to-resolution aggregate: staging a run's (:ResolutionCurve) nodes and
the API's read of the run it pinned (shapes: graph_model.statements)."""

from __future__ import annotations

from typing import Final

from graph_model.resolution.record import CURVE
from graph_model.statements import of_analysis, staged

STAGE_CURVES = staged("ResolutionCurve")

# (match, index, extra condition) of what a run's deletion drains.
DELETED: Final = (("(x:ResolutionCurve)", "x:ResolutionCurve(run)", ""),)

_CURVE = CURVE.projection()

# The site's curves (both axes): the ones without an entry page.
SITE_CURVES = of_analysis(f"""
  MATCH (c:ResolutionCurve {{run: run}}) WHERE c.entryPageId IS NULL
  RETURN collect(c {_CURVE}) AS rows
""")

ENTRY_CURVES = of_analysis(f"""
  MATCH (c:ResolutionCurve {{run: run, entryPageId: $entry}})
  RETURN collect(c {_CURVE}) AS rows
""")
