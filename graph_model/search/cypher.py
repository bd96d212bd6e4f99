"""Cypher of the search aggregate: how a run stages its (:QueryFigures) and
(:SiteSearchFigures) and publishes them on (:Query), and the API's reads (shapes:
graph_model.statements)."""

from __future__ import annotations

from typing import Final

from graph_model.path.record import Path
from graph_model.properties import properties_of
from graph_model.search.record import QUERY_FIGURES, SITE_SEARCH, SearchOrder
from graph_model.statements import of_analysis, staged

# ---- staging (graph_model.run.results): tagged with the run, invisible until its switch ----

STAGE_QUERY_FIGURES = staged("QueryFigures")

STAGE_SITE_SEARCH = """
CREATE (f:SiteSearchFigures)
SET f = $site, f.run = $run
"""

# (match, index, extra condition) of each node a run's deletion drains.
DELETED: Final = (
    ("(x:QueryFigures)", "x:QueryFigures(run, text)", " AND x.text IS NOT NULL"),
    ("(x:SiteSearchFigures)", "x:SiteSearchFigures(run)", ""),
)

# Publishing: the run's figures as (:Query) properties, for Cypher users (its result lists
# stay on the run's QueryFigures).
_PUBLISHED: Final = frozenset({"text", "result_pages", "result_clicks", "result_resolutions"})
STAGED_QUERY_FIGURES = f"""
MATCH (f:QueryFigures {{run: $run}})
RETURN f.text AS text, f {QUERY_FIGURES.projection(skip=_PUBLISHED)} AS props
"""

PUBLISH_QUERIES = """
UNWIND $rows AS r
MATCH (q:Query {text: r.text}) USING INDEX q:Query(text)
SET q += r.props
"""

# ---- the API's reads ----------------------------------------------------------------------

_FIGURES = QUERY_FIGURES.projection()
_SORT_KEY: Final = {
    SearchOrder.SEARCHES: "toFloat(f.searches)",
    SearchOrder.FAILURES: "toFloat(f.failedPaths)",
    SearchOrder.NO_RESULT_RATE: "coalesce(f.noResultRate, -1.0)",
    SearchOrder.EXCESS_FAILURES: "f.excessFailures",
}

# One keyset page of the run's queries, largest key first, then by text.
QUERIES_BY: Final = {
    order: of_analysis(f"""
  MATCH (f:QueryFigures {{run: run}}) USING INDEX f:QueryFigures(run, text)
  WHERE f.text IS NOT NULL
  WITH f, {key} AS k
  WHERE $key IS NULL OR k < $key OR (k = $key AND f.text > $afterText)
  WITH f, k ORDER BY k DESC, f.text
  LIMIT $limit
  RETURN collect(f {_FIGURES[:-1]}, key: [k, f.text]}}) AS rows
""")
    for order, key in _SORT_KEY.items()
}

QUERY_COUNT = of_analysis("""
  MATCH (f:QueryFigures {run: run}) USING INDEX f:QueryFigures(run, text)
  WHERE f.text IS NOT NULL
  RETURN count(f) AS rows
""")

QUERIES_BY_TEXT = of_analysis(f"""
  UNWIND $texts AS text
  MATCH (f:QueryFigures {{run: run, text: text}})
  RETURN collect(f {_FIGURES}) AS rows
""")

CONTENT_GAPS = of_analysis(f"""
  MATCH (f:QueryFigures {{run: run}}) USING INDEX f:QueryFigures(run, text)
  WHERE f.text IS NOT NULL AND f.isContentGap
  WITH f ORDER BY f.excessFailures DESC, f.text
  LIMIT $limit
  RETURN collect(f {_FIGURES}) AS rows
""")

SITE_SEARCH_OF_RUN = of_analysis(f"""
  MATCH (f:SiteSearchFigures {{run: run}})
  RETURN collect(f {SITE_SEARCH.projection()}) AS rows
""")

# On demand: the completed paths with a search that started in [$since, $until), in
# $segment (null: every path), as search figures need them.
_SEARCH_PATH = properties_of(Path).projection(
    skip=frozenset({"keys", "timestamps", "ended_by", "segments"})
)
SEARCH_PATHS = f"""
MATCH (p:Path)
WHERE p.start >= $since AND p.start < $until AND p.queries IS NOT NULL
  AND p.outcome <> 'OPEN' AND ($segment IS NULL OR $segment IN p.segments)
RETURN collect(p {_SEARCH_PATH}) AS rows
"""

# The same paths' count and how many resolved, without a search (the site's comparison).
PATHS_WITHOUT_SEARCH = """
MATCH (p:Path)
WHERE p.start >= $since AND p.start < $until AND p.queries IS NULL
  AND p.outcome <> 'OPEN' AND ($segment IS NULL OR $segment IN p.segments)
RETURN count(p) AS paths, count(CASE WHEN p.outcome = 'RESOLVED' THEN 1 END) AS resolved
"""

# The completed paths that searched $text, through its (:Query) node.
PATHS_OF_QUERY = f"""
MATCH (:Query {{text: $queryText}})<-[:SEARCHED]-(p:Path)
WHERE p.start >= $since AND p.start < $until AND p.outcome <> 'OPEN'
  AND ($segment IS NULL OR $segment IN p.segments)
RETURN collect(p {_SEARCH_PATH}) AS rows
"""

# Every completed path's searches, by start time (a query's share of searches per period).
SEARCHES_BY_START = """
MATCH (p:Path)
WHERE p.start >= $since AND p.start < $until AND p.queries IS NOT NULL
  AND p.outcome <> 'OPEN' AND ($segment IS NULL OR $segment IN p.segments)
RETURN collect([p.start, size([q IN p.queries WHERE q <> ''])]) AS rows
"""
