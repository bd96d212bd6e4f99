"""Cypher the API runs for paths and path statistics (shapes: graph_model.statements)."""

from __future__ import annotations

from typing import Final

from graph_model.path.record import Path
from graph_model.properties import properties_of

# What the API reads of a path: at most READ_PAGES of its pages (a bot's path can hold
# 200,000; `length` counts them all), and not its clicks' times and keys.
READ_PAGES: Final = 500
_READ = properties_of(Path).projection(skip=frozenset({"pages", "timestamps", "keys"}))
PATH: Final = f"{_READ[:-1]}, pages: p.pages[..{READ_PAGES}]}}"

PATHS_BY_IDS = f"""
UNWIND $ids AS id
MATCH (p:Path {{id: id}})
RETURN collect(p {PATH}) AS rows
"""

CUSTOMER_PATHS = f"""
UNWIND $ids AS id
MATCH (c:Customer {{id: id}})
CALL (c) {{
  MATCH (c)-[:TOOK]->(p:Path)
  WHERE ($outcome IS NULL OR p.outcome = $outcome)
    AND ($start IS NULL OR p.start > $start OR (p.start = $start AND p.id > $pathId))
  WITH p ORDER BY p.start, p.id
  LIMIT $limit
  RETURN collect(p {PATH}) AS paths
}}
RETURN collect({{id: id, paths: paths}}) AS rows
"""

CUSTOMER_PATH_COUNT = """
UNWIND $ids AS id
MATCH (c:Customer {id: id})
CALL (c) {
  MATCH (c)-[:TOOK]->(p:Path)
  WHERE $outcome IS NULL OR p.outcome = $outcome
  RETURN count(p) AS n
}
RETURN collect({id: id, n: n}) AS rows
"""

# Customer paths through a page, most recent first. VISITED holds one relationship per
# (customer, page), so this reads only the paths of customers who ever clicked the page.
_PATHS_THROUGH_MATCH = """
  MATCH (pg)<-[:VISITED]-(:Customer)-[:TOOK]->(p:Path)
  WHERE pg.id IN p.pages AND ($outcome IS NULL OR p.outcome = $outcome)"""

PATHS_THROUGH = f"""
UNWIND $ids AS id
MATCH (pg:Page {{id: id}})
CALL (pg) {{{_PATHS_THROUGH_MATCH}
    AND ($start IS NULL OR p.start < $start OR (p.start = $start AND p.id < $pathId))
  WITH p ORDER BY p.start DESC, p.id DESC
  LIMIT $limit
  RETURN collect(p {PATH}) AS paths
}}
RETURN collect({{id: id, paths: paths}}) AS rows
"""

PATHS_THROUGH_COUNT = f"""
UNWIND $ids AS id
MATCH (pg:Page {{id: id}})
CALL (pg) {{{_PATHS_THROUGH_MATCH}
  RETURN count(p) AS n
}}
RETURN collect({{id: id, n: n}}) AS rows
"""

# Live from the Path nodes, one pass: exact integer sums per outcome; means and population
# variances follow from count, sum and sum of squares. Orphan markers ended no path.
PATH_STATS = """
CALL () {
  MATCH (p:Path)
  WITH p.outcome AS outcome, count(*) AS paths, sum(p.length) AS lengthSum,
       sum(p.length * p.length) AS lengthSquares,
       count(CASE WHEN p.turnarounds > 0 THEN 1 END) AS withTurnarounds
  RETURN collect({outcome: outcome, paths: paths, lengthSum: lengthSum,
                  lengthSquares: lengthSquares, withTurnarounds: withTurnarounds}) AS rows
}
RETURN rows, COUNT { MATCH (m:Marker) WHERE NOT EXISTS { (m)<-[:ENDED_BY]-() } } AS orphans
"""

# The same over the paths that started in [$since, $until) (the path_start index) and are
# in $segment ("key=value", or null for every path); orphan markers by their time and
# attributes.
PATH_STATS_FILTERED = """
CALL () {
  MATCH (p:Path)
  WHERE p.start >= $since AND p.start < $until AND ($segment IS NULL OR $segment IN p.segments)
  WITH p.outcome AS outcome, count(*) AS paths, sum(p.length) AS lengthSum,
       sum(p.length * p.length) AS lengthSquares,
       count(CASE WHEN p.turnarounds > 0 THEN 1 END) AS withTurnarounds
  RETURN collect({outcome: outcome, paths: paths, lengthSum: lengthSum,
                  lengthSquares: lengthSquares, withTurnarounds: withTurnarounds}) AS rows
}
RETURN rows, COUNT {
  MATCH (m:Marker)
  WHERE m.ts >= $since AND m.ts < $until
    AND ($segment IS NULL OR $segment IN coalesce(m.attributes, []))
    AND NOT EXISTS { (m)<-[:ENDED_BY]-() }
} AS orphans
"""

# Every path that started in [$since, $until), oldest first, keyset by (start, id): $low is
# the later of $since and the cursor's start, so each page seeks the path_start index where
# the previous one stopped. Filters: outcome, segment, a page the path visits.
_PATHS_FILTER = """
  AND ($outcome IS NULL OR p.outcome = $outcome)
  AND ($segment IS NULL OR $segment IN p.segments)
  AND ($page IS NULL OR $page IN p.pages)"""

PATHS_WINDOW = f"""
MATCH (p:Path)
WHERE p.start >= $low AND p.start < $until
  AND ($start IS NULL OR p.start > $start OR p.id > $pathId){_PATHS_FILTER}
WITH p ORDER BY p.start, p.id
LIMIT $limit
RETURN collect(p {PATH}) AS rows
"""

PATHS_COUNT = f"""
MATCH (p:Path)
WHERE p.start >= $low AND p.start < $until{_PATHS_FILTER}
RETURN count(p) AS n
"""
