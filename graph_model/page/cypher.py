"""Cypher the API runs for pages and transitions (shapes: graph_model.statements). Figure
orderings sort missing values (pages not analysed yet, undefined rates) last, as -1: every
figure is >= 0."""

from __future__ import annotations

from typing import Final

from graph_model.page.record import FIGURES, PAGE_PROJECTION, PageOrder
from graph_model.statements import by_ids, per_parent

P: Final = PAGE_PROJECTION

PAGES_BY_IDS = by_ids("Page", P)

PAGE_COUNT = "MATCH (p:Page) RETURN count(p) AS n"

# By id: served in order by the page_id uniqueness index, no sort.
PAGES_BY_ID_FIRST = f"""
MATCH (p:Page) WHERE p.id IS NOT NULL
WITH p ORDER BY p.id
LIMIT $limit
RETURN collect({{page: p {P}, key: [p.id]}}) AS rows
"""

PAGES_BY_ID_AFTER = f"""
MATCH (p:Page) WHERE p.id > $id
WITH p ORDER BY p.id
LIMIT $limit
RETURN collect({{page: p {P}, key: [p.id]}}) AS rows
"""

# Titles ascending (a page without a title sorts by its id), then id.
PAGES_BY_TITLE_FIRST = f"""
MATCH (p:Page)
WITH p, coalesce(p.title, p.id) AS k
ORDER BY k, p.id
LIMIT $limit
RETURN collect({{page: p {P}, key: [k, p.id]}}) AS rows
"""

PAGES_BY_TITLE_AFTER = f"""
MATCH (p:Page)
WITH p, coalesce(p.title, p.id) AS k
WHERE k > $k OR (k = $k AND p.id > $id)
WITH p, k ORDER BY k, p.id
LIMIT $limit
RETURN collect({{page: p {P}, key: [k, p.id]}}) AS rows
"""


def _pages_by_figure(prop: str, after: bool) -> str:
    where = "WHERE k < $k OR (k = $k AND p.id > $id)" if after else ""
    return f"""
MATCH (p:Page)
WITH p, coalesce(toFloat(p.{prop}), -1.0) AS k
{where}
WITH p, k ORDER BY k DESC, p.id
LIMIT $limit
RETURN collect({{page: p {P}, key: [k, p.id]}}) AS rows
"""


# order -> (first page, later pages); property names come from PageFigures, never a client.
PAGES_BY_FIGURE: Final[dict[PageOrder, tuple[str, str]]] = {
    order: (
        _pages_by_figure(FIGURES.prop(order.figure), after=False),
        _pages_by_figure(FIGURES.prop(order.figure), after=True),
    )
    for order in PageOrder
    if order.figure is not None
}

# probability = count / all onward clicks from the transition's source page (live, so it
# always agrees with the counts returned beside it).
_TRANSITION = """{from: a.id, to: b.id, count: t.count, turnarounds: t.turnarounds,
                  probability: toFloat(t.count) / total}"""

TRANSITIONS_OUT = per_parent(
    "Page",
    f"""
  WITH n AS a
  CALL (a) {{
    MATCH (a)-[o:TRANSITION]->()
    RETURN sum(o.count) AS total
  }}
  MATCH (a)-[t:TRANSITION]->(b:Page)
  WITH a, total, t, b ORDER BY t.count DESC, b.id
  LIMIT $limit
  RETURN collect({_TRANSITION}) AS found
""",
)

TRANSITIONS_IN = per_parent(
    "Page",
    f"""
  MATCH (a:Page)-[t:TRANSITION]->(n)
  WITH a, n AS b, t ORDER BY t.count DESC, a.id
  LIMIT $limit
  CALL (a) {{
    MATCH (a)-[o:TRANSITION]->()
    RETURN sum(o.count) AS total
  }}
  RETURN collect({_TRANSITION}) AS found
""",
)

# Probability of taking exactly a route's clicks: the product of the analysed
# TRANSITION.probability along it (1 for a route of one page; 0 if a hop has vanished).
ROUTE_PROBABILITIES = """
UNWIND range(0, size($routes) - 1) AS i
WITH i, $routes[i] AS route
RETURN collect({i: i, probability: reduce(acc = 1.0, j IN range(0, size(route) - 2) |
  acc * coalesce(head([(a:Page {id: route[j]})-[t:TRANSITION]->(b:Page {id: route[j + 1]})
                       | t.probability]), 0.0))}) AS rows
"""

WEAK_PAGES = f"""
MATCH (p:Page)
WHERE (p.impact > 0 OR size(coalesce(p.weakReasons, [])) > 0)
  AND coalesce(p.visits, 0) >= $minVisits
WITH p ORDER BY p.impact DESC, p.id
LIMIT $limit
RETURN collect(p {P}) AS rows
"""

HOTSPOTS = f"""
MATCH (p:Page) WHERE p.isHotspot = true
WITH p ORDER BY p.hotspotQValue, p.turnaroundRate DESC, p.id
LIMIT $limit
RETURN collect(p {P}) AS rows
"""

# Site-wide rates as the analysis tested against: all events / all trials over every page.
SITE_RATES = """
MATCH (p:Page)
RETURN sum(coalesce(p.turnarounds, 0)) AS turnarounds,
       sum(coalesce(p.turnaroundOpportunities, 0)) AS opportunities,
       sum(coalesce(p.exits, 0)) AS exits,
       sum(coalesce(p.visits, 0)) AS visits
"""

# The `pages` topic: title and url, and the declared links replaced.
UPSERT_CATALOG = """
UNWIND $pages AS pg
MERGE (p:Page {id: pg.id})
SET p.title = pg.title, p.url = pg.url
WITH p
OPTIONAL MATCH (p)-[old:LINKS_TO]->()
DELETE old
"""

CREATE_LINKS = """
UNWIND $links AS l
MATCH (a:Page {id: l[0]})
MERGE (b:Page {id: l[1]})
MERGE (a)-[:LINKS_TO]->(b)
"""
