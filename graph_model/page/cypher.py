"""Cypher the API runs for pages and transitions (shapes: graph_model.statements). A page's
figures are those of the run the request reads (its (:PageFigures {run, pageId})). Figure
orderings sort missing values (pages not analysed yet, undefined rates) last, as -1: every
figure is >= 0."""

from __future__ import annotations

from typing import Final

from graph_model.page.record import FIGURES, VERSION, PageOrder, page_projection
from graph_model.statements import by_ids, of_analysis, per_parent

P: Final = page_projection("f")

# A page's figures in the run read: its (:PageFigures) of that run, if any.
_FIGURES = "\nOPTIONAL MATCH (f:PageFigures {run: run, pageId: n.id})"

PAGES_BY_IDS = of_analysis(by_ids("Page", P, _FIGURES))

PAGE_COUNT = "MATCH (p:Page) RETURN count(p) AS n"


def _window(where: str, order: str, key: str) -> str:
    """One keyset page of every page in `order` (expressions of `n`, ending in the id),
    returning `key` for the cursor; figures are read for the pages returned only."""
    return of_analysis(f"""
  MATCH (n:Page) {where}
  WITH n ORDER BY {order}
  LIMIT $limit
  OPTIONAL MATCH (f:PageFigures {{run: run, pageId: n.id}})
  WITH n, f ORDER BY {order}
  RETURN collect({{page: n {P}, key: {key}}}) AS rows
""")


# By id: served in order by the page_id uniqueness index.
PAGES_BY_ID_FIRST = _window("WHERE n.id IS NOT NULL", "n.id", "[n.id]")
PAGES_BY_ID_AFTER = _window("WHERE n.id > $id", "n.id", "[n.id]")

# Titles ascending (a page without a title sorts by its id), then id.
_TITLE = "coalesce(n.title, n.id)"
PAGES_BY_TITLE_FIRST = _window("", f"{_TITLE}, n.id", f"[{_TITLE}, n.id]")
PAGES_BY_TITLE_AFTER = _window(
    f"WHERE {_TITLE} > $k OR ({_TITLE} = $k AND n.id > $id)",
    f"{_TITLE}, n.id",
    f"[{_TITLE}, n.id]",
)


def _pages_by_figure(prop: str, after: bool) -> str:
    where = "WHERE k < $k OR (k = $k AND n.id > $id)" if after else ""
    return of_analysis(f"""
  MATCH (n:Page)
  OPTIONAL MATCH (f:PageFigures {{run: run, pageId: n.id}})
  WITH n, f, coalesce(toFloat(f.{prop}), -1.0) AS k
  {where}
  WITH n, f, k ORDER BY k DESC, n.id
  LIMIT $limit
  RETURN collect({{page: n {P}, key: [k, n.id]}}) AS rows
""")


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

# Probability of taking exactly a route's clicks: the product along it of count / the page's
# onward clicks, live from the transitions (1 for a route of one page; 0 if a hop has
# vanished).
ROUTE_PROBABILITIES = """
UNWIND range(0, size($routes) - 1) AS i
CALL (i) {
  WITH $routes[i] AS route
  UNWIND range(0, size(route) - 2) AS j
  OPTIONAL MATCH (a:Page {id: route[j]})-[t:TRANSITION]->(:Page {id: route[j + 1]})
  CALL (a) {
    OPTIONAL MATCH (a)-[o:TRANSITION]->()
    RETURN sum(o.count) AS total
  }
  RETURN collect(CASE WHEN t IS NULL OR total = 0 THEN 0.0
                      ELSE toFloat(t.count) / total END) AS hops
}
RETURN collect({i: i, probability: reduce(acc = 1.0, h IN hops | acc * h)}) AS rows
"""


# Every page's figures in the run read, from the (run, pageId) index.
_FIGURES_OF_RUN = (
    "MATCH (f:PageFigures {run: run}) USING INDEX f:PageFigures(run, pageId) "
    "WHERE f.pageId IS NOT NULL"
)


def _flagged(where: str, order: str) -> str:
    """Pages whose figures in the run read match `where` (on `f`), in `order`."""
    return of_analysis(f"""
  {_FIGURES_OF_RUN} AND {where}
  WITH f ORDER BY {order}, f.pageId
  LIMIT $limit
  MATCH (n:Page {{id: f.pageId}})
  WITH n, f ORDER BY {order}, n.id
  RETURN collect(n {P}) AS rows
""")


WEAK_PAGES = _flagged(
    "(f.impact > 0 OR size(coalesce(f.weakReasons, [])) > 0) "
    "AND coalesce(f.visits, 0) >= $minVisits",
    "f.impact DESC",
)

HOTSPOTS = _flagged("f.isHotspot = true", "f.hotspotQValue, f.turnaroundRate DESC")

ESCALATION_HOTSPOTS = _flagged(
    "f.isEscalationHotspot = true", "f.escalationQValue, f.escalationRate DESC"
)

# Site-wide rates as the analysis tested against: all events / all trials over every page.
SITE_RATES = of_analysis(f"""
  OPTIONAL {_FIGURES_OF_RUN}
  RETURN {{turnarounds: sum(coalesce(f.turnarounds, 0)),
          opportunities: sum(coalesce(f.turnaroundOpportunities, 0)),
          exits: sum(coalesce(f.exits, 0)),
          escalations: sum(coalesce(f.escalations, 0)),
          visits: sum(coalesce(f.visits, 0))}} AS rows
""")

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

# ---- versions of catalog pages: (:Page)-[:VERSION]->(:PageVersion) ------------------------

_VERSION: Final = VERSION.projection()

# Each page's versions, oldest first (an unknown page has none).
VERSIONS = f"""
UNWIND $ids AS id
CALL (id) {{
  MATCH (v:PageVersion {{pageId: id}})
  WITH v ORDER BY v.since
  RETURN collect(v {_VERSION}) AS found
}}
RETURN collect({{id: id, rows: found}}) AS rows
"""

CREATE_VERSIONS = """
UNWIND $versions AS v
MERGE (p:Page {id: v.pageId})
CREATE (x:PageVersion)
SET x = v
CREATE (p)-[:VERSION]->(x)
"""
