"""Cypher of time on page (shapes: graph_model.statements).

One pass over the completed paths that started in the window (the path_start index): each
position but the last of a path's `pages` is an observation of its page, its time the
difference of consecutive `timestamps`.
"""

from __future__ import annotations

from typing import Final

TIME_ON_PAGE: Final = """
MATCH (p:Path)
WHERE p.start >= $since AND p.start < $until AND p.outcome IN $completed
  AND ($segment IS NULL OR $segment IN p.segments)
  AND any(id IN p.pages WHERE id IN $ids)
WITH p.pages AS pages, p.timestamps AS ts
UNWIND range(0, size(pages) - 2) AS i
WITH pages[i] AS id, (ts[i + 1] - ts[i]) / 1000.0 AS seconds
WHERE id IN $ids
WITH id, count(*) AS n, percentileCont(seconds, 0.25) AS p25,
     percentileCont(seconds, 0.5) AS median, percentileCont(seconds, 0.75) AS p75
RETURN collect({id: id, observations: n, p25: p25, median: median, p75: p75}) AS rows
"""
