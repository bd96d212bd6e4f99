"""Cypher of series and windowed figures: counts computed on demand from the Path nodes'
`pages`, `outcome` and `start` (never from Click nodes, which retention may compact away),
and the series an analysis precomputed for its window.

On-demand statements take $since/$until (the window of start times), $origin and $width
(bucket k holds the paths that started in [origin + k * width, origin + (k + 1) * width))
and return one row per non-empty bucket: the fields of graph_model.series.record.Counts.
"""

from __future__ import annotations

from typing import Final

from graph_model.series.record import ESCALATED, SERIES
from graph_model.statements import of_analysis, staged

_SERIES: Final = SERIES.projection()

_BUCKET_ROW = """{bucket: bucket, paths: paths, resolved: resolved, visits: visits, exits: exits,
  opportunities: opportunities, turnarounds: turnarounds, escalations: escalations}"""

# The first and the last start of any path (two reads of the path_start index): how long an
# unbounded series can be. No row when there is no path.
PATH_SPAN = """
CALL () { MATCH (p:Path) WHERE p.start IS NOT NULL RETURN p.start AS first ORDER BY first LIMIT 1 }
CALL () {
  MATCH (p:Path) WHERE p.start IS NOT NULL RETURN p.start AS last ORDER BY last DESC LIMIT 1
}
RETURN first, last
"""

# Paths in the window and, with $segment ("key=value"), in that segment.
_IN_WINDOW = """p.start >= $since AND p.start < $until AND p.outcome <> 'OPEN'
    AND ($segment IS NULL OR $segment IN p.segments)"""

# The site: every completed path that started in the window. Its visits are every click,
# its opportunities every inner position, its turnarounds all of the paths'.
SITE_BUCKETS = f"""
MATCH (p:Path) WHERE {_IN_WINDOW}
WITH (p.start - $origin) / $width AS bucket, p
WITH bucket, count(*) AS paths,
     count(CASE WHEN p.outcome = 'RESOLVED' THEN 1 END) AS resolved,
     sum(p.length) AS visits,
     count(CASE WHEN p.outcome = 'ABANDONED' THEN 1 END) AS exits,
     sum(CASE WHEN p.length > 2 THEN p.length - 2 ELSE 0 END) AS opportunities,
     sum(p.turnarounds) AS turnarounds,
     count(CASE WHEN p.outcome = '{ESCALATED}' THEN 1 END) AS escalations
ORDER BY bucket
RETURN collect({_BUCKET_ROW}) AS rows
"""


def _page_counts(bucket: str) -> str:
    """Each page of $ids: the completed paths through it that started in the window, read
    from the customers who ever visited it (one VISITED per customer and page), counted per
    `bucket` (an expression of the path `p`). `at` holds the page's positions in the path; a
    turnaround at i is pages[i-1] = pages[i+1] <> pages[i]."""
    return f"""
UNWIND $ids AS id
MATCH (pg:Page {{id: id}})
CALL (pg) {{
  MATCH (pg)<-[:VISITED]-(:Customer)-[:TOOK]->(p:Path)
  WHERE {_IN_WINDOW} AND pg.id IN p.pages
  WITH p, pg.id AS page, size(p.pages) AS n
  WITH p, page, n, {bucket} AS bucket, [i IN range(0, n - 1) WHERE p.pages[i] = page] AS at
  WITH bucket, count(*) AS paths,
       count(CASE WHEN p.outcome = 'RESOLVED' THEN 1 END) AS resolved,
       sum(size(at)) AS visits,
       count(CASE WHEN p.outcome = 'ABANDONED' AND p.pages[n - 1] = page THEN 1 END) AS exits,
       sum(size([i IN at WHERE i > 0 AND i < n - 1])) AS opportunities,
       sum(size([i IN at WHERE i > 0 AND i < n - 1 AND p.pages[i - 1] = p.pages[i + 1]
                 AND p.pages[i - 1] <> page])) AS turnarounds,
       count(CASE WHEN p.outcome = '{ESCALATED}' AND p.pages[n - 1] = page THEN 1 END)
         AS escalations
  ORDER BY bucket
  RETURN collect({_BUCKET_ROW}) AS found
}}
RETURN collect({{id: id, rows: found}}) AS rows
"""


PAGE_BUCKETS = _page_counts("(p.start - $origin) / $width")

# Per value of one key ($prefix is "key="): '' for the paths without the key.
PAGE_BY_VALUE = _page_counts(
    "coalesce(substring(head([s IN p.segments WHERE s STARTS WITH $prefix]), size($prefix)), '')"
)

# ---- what an analysis precomputed, in the run the request reads --------------------------

STORED_PAGE_SERIES = of_analysis(f"""
  UNWIND $ids AS id
  MATCH (s:PageSeries {{run: run, pageId: id, interval: $interval}})
  RETURN collect(s {_SERIES}) AS rows
""")

STORED_SITE_SERIES = of_analysis(f"""
  MATCH (s:SiteSeries {{run: run, interval: $interval}})
  RETURN collect(s {_SERIES}) AS rows
""")

# ---- staging (graph_model.run.store) ------------------------------------------------------

STAGE_PAGE_SERIES = staged("PageSeries")

STAGE_SITE_SERIES = staged("SiteSeries")
