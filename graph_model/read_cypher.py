"""Every Cypher statement the read side (the GraphQL API) runs.

Conventions:
- Reads for many parents are one statement: `UNWIND $ids` with a `CALL` subquery per parent,
  which sorts and limits inside the subquery (so a DataLoader batch of 50 pages is one
  round trip, and no parent's rows are cut short by another's).
- Lists come back as one record, `rows` (a list of maps, in order), rather than one record
  per row: fewer Bolt messages, which makes the async driver about a third faster.
- Keyset pagination: each list is ordered by a sort key ending in a unique id; the next
  page is `WHERE key after $cursor ORDER BY key LIMIT first + 1` (the extra row tells
  whether there is a next page). Rows return their key, so cursors hold exactly the values
  Cypher compared.
- Metric orderings sort missing values (pages not analysed yet, undefined rates) last, as -1:
  every metric is >= 0.
"""

from __future__ import annotations

from typing import Final

# What PageRecord holds, no more: every property read is unpacked on every request.
PAGE: Final = """{
  .id, .title, .url, .visits, .exits, .exitRate, .resolutions, .turnarounds,
  .turnaroundOpportunities, .turnaroundRate, .observedMeanClicksToResolution,
  .pageRank, .pathRank, .successProbability, .expectedClicksToResolution,
  .isHotspot, .hotspotPValue, .hotspotQValue, .isHighExit, .exitPValue, .exitQValue,
  .impact, .weakReasons, .successPathFewest, .successPathLikely, .successPathLikelyProbability
}"""

PATH: Final = """{
  .id, .customerId, .start, .end, .length, .outcome, .turnarounds, .quickTurnarounds, .pages
}"""

COMMUNITY: Final = """{
  .id, .size, .topPages, .completedPaths, .resolutionRate, .meanPathLength, .turnaroundRate
}"""

PING = "RETURN 1 AS ok"

PAGES_BY_IDS = f"""
UNWIND $ids AS id
MATCH (p:Page {{id: id}})
RETURN collect(p {PAGE}) AS rows
"""

PAGE_COUNT = "MATCH (p:Page) RETURN count(p) AS n"

# ---- pages(first, after, orderBy) ------------------------------------------------------

# Page properties a PageOrder sorts on (descending, missing last); None: by id ascending.
PAGE_ORDER_PROPERTY: Final[dict[str, str | None]] = {
    "ID": None,
    "TITLE": None,
    "VISITS": "visits",
    "PAGE_RANK": "pageRank",
    "PATH_RANK": "pathRank",
    "SUCCESS_PROBABILITY": "successProbability",
    "IMPACT": "impact",
    "TURNAROUND_RATE": "turnaroundRate",
    "EXIT_RATE": "exitRate",
}

# By id: served in order by the page_id uniqueness index, no sort.
PAGES_BY_ID_FIRST = f"""
MATCH (p:Page) WHERE p.id IS NOT NULL
WITH p ORDER BY p.id
LIMIT $limit
RETURN collect({{page: p {PAGE}, key: [p.id]}}) AS rows
"""

PAGES_BY_ID_AFTER = f"""
MATCH (p:Page) WHERE p.id > $id
WITH p ORDER BY p.id
LIMIT $limit
RETURN collect({{page: p {PAGE}, key: [p.id]}}) AS rows
"""

# Titles ascending (a page without a title sorts by its id), then id.
PAGES_BY_TITLE_FIRST = f"""
MATCH (p:Page)
WITH p, coalesce(p.title, p.id) AS k
ORDER BY k, p.id
LIMIT $limit
RETURN collect({{page: p {PAGE}, key: [k, p.id]}}) AS rows
"""

PAGES_BY_TITLE_AFTER = f"""
MATCH (p:Page)
WITH p, coalesce(p.title, p.id) AS k
WHERE k > $k OR (k = $k AND p.id > $id)
WITH p, k ORDER BY k, p.id
LIMIT $limit
RETURN collect({{page: p {PAGE}, key: [k, p.id]}}) AS rows
"""


def _pages_by_metric(prop: str, after: bool) -> str:
    where = "WHERE k < $k OR (k = $k AND p.id > $id)" if after else ""
    return f"""
MATCH (p:Page)
WITH p, coalesce(toFloat(p.{prop}), -1.0) AS k
{where}
WITH p, k ORDER BY k DESC, p.id
LIMIT $limit
RETURN collect({{page: p {PAGE}, key: [k, p.id]}}) AS rows
"""


# order name -> (first page, later pages); properties come from the fixed table above.
PAGES_BY_METRIC: Final[dict[str, tuple[str, str]]] = {
    order: (_pages_by_metric(prop, after=False), _pages_by_metric(prop, after=True))
    for order, prop in PAGE_ORDER_PROPERTY.items()
    if prop is not None
}

# ---- a page's neighbourhood ------------------------------------------------------------

# probability = count / all onward clicks from the transition's source page (live, so it
# always agrees with the counts returned beside it).
TRANSITIONS_OUT = """
UNWIND $ids AS id
MATCH (a:Page {id: id})
CALL (a) {
  MATCH (a)-[o:TRANSITION]->()
  RETURN sum(o.count) AS total
}
CALL (a, total) {
  MATCH (a)-[t:TRANSITION]->(b:Page)
  WITH a, total, t, b ORDER BY t.count DESC, b.id
  LIMIT $limit
  RETURN collect({from: a.id, to: b.id, count: t.count, turnarounds: t.turnarounds,
                  probability: toFloat(t.count) / total}) AS transitions
}
RETURN collect({id: id, rows: transitions}) AS rows
"""

TRANSITIONS_IN = """
UNWIND $ids AS id
MATCH (b:Page {id: id})
CALL (b) {
  MATCH (a:Page)-[t:TRANSITION]->(b)
  WITH a, b, t ORDER BY t.count DESC, a.id
  LIMIT $limit
  CALL (a) {
    MATCH (a)-[o:TRANSITION]->()
    RETURN sum(o.count) AS total
  }
  RETURN collect({from: a.id, to: b.id, count: t.count, turnarounds: t.turnarounds,
                  probability: toFloat(t.count) / total}) AS transitions
}
RETURN collect({id: id, rows: transitions}) AS rows
"""

# Probability of taking exactly a route's clicks: the product of the analysed
# TRANSITION.probability along it (1 for a route of one page; 0 if a hop has vanished).
ROUTE_PROBABILITIES = """
UNWIND range(0, size($routes) - 1) AS i
WITH i, $routes[i] AS route
RETURN collect({i: i, probability: reduce(acc = 1.0, j IN range(0, size(route) - 2) |
  acc * coalesce(head([(a:Page {id: route[j]})-[t:TRANSITION]->(b:Page {id: route[j + 1]})
                       | t.probability]), 0.0))}) AS rows
"""

LINK_SUGGESTIONS_FROM = """
UNWIND $ids AS id
MATCH (a:Page {id: id})
CALL (a) {
  MATCH (a)-[s:SUGGESTED_LINK]->(b:Page)
  WITH a, s, b ORDER BY s.clicksSaved DESC, b.id
  LIMIT $limit
  RETURN collect({from: a.id, to: b.id, clicksSaved: s.clicksSaved, paths: s.paths,
                  meanClicksSaved: s.meanClicksSaved, rank: s.rank}) AS suggestions
}
RETURN collect({id: id, rows: suggestions}) AS rows
"""

LINK_SUGGESTIONS = """
MATCH (a:Page)-[s:SUGGESTED_LINK]->(b:Page)
WITH a, s, b ORDER BY s.rank, a.id, b.id
LIMIT $limit
RETURN collect({from: a.id, to: b.id, clicksSaved: s.clicksSaved, paths: s.paths,
                meanClicksSaved: s.meanClicksSaved, rank: s.rank}) AS rows
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

# ---- site-wide figures -----------------------------------------------------------------

WEAK_PAGES = f"""
MATCH (p:Page)
WHERE (p.impact > 0 OR size(coalesce(p.weakReasons, [])) > 0)
  AND coalesce(p.visits, 0) >= $minVisits
WITH p ORDER BY p.impact DESC, p.id
LIMIT $limit
RETURN collect(p {PAGE}) AS rows
"""

HOTSPOTS = f"""
MATCH (p:Page) WHERE p.isHotspot = true
WITH p ORDER BY p.hotspotQValue, p.turnaroundRate DESC, p.id
LIMIT $limit
RETURN collect(p {PAGE}) AS rows
"""

# Site-wide rates as the analysis tested against: all events / all trials over every page.
SITE_RATES = """
MATCH (p:Page)
RETURN sum(coalesce(p.turnarounds, 0)) AS turnarounds,
       sum(coalesce(p.turnaroundOpportunities, 0)) AS opportunities,
       sum(coalesce(p.exits, 0)) AS exits,
       sum(coalesce(p.visits, 0)) AS visits
"""

# Live from the Path nodes, one pass: exact integer sums per outcome; means and population
# variances follow from count, sum and sum of squares.
PATH_STATS = """
MATCH (p:Path)
WITH p.outcome AS outcome, count(*) AS paths, sum(p.length) AS lengthSum,
     sum(p.length * p.length) AS lengthSquares,
     count(CASE WHEN p.turnarounds > 0 THEN 1 END) AS withTurnarounds
RETURN collect({outcome: outcome, paths: paths, lengthSum: lengthSum,
                lengthSquares: lengthSquares, withTurnarounds: withTurnarounds}) AS rows
"""

# ---- customers and communities ---------------------------------------------------------

CUSTOMERS_BY_IDS = """
UNWIND $ids AS id
MATCH (c:Customer {id: id})
RETURN collect({id: c.id, community: c.community}) AS rows
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

SIMILAR_CUSTOMERS = """
UNWIND $ids AS id
MATCH (c:Customer {id: id})
CALL (c) {
  MATCH (c)-[s:SIMILAR]->(o:Customer)
  WITH s, o ORDER BY s.score DESC, o.id
  LIMIT $limit
  RETURN collect({id: o.id, community: o.community, score: s.score}) AS similar
}
RETURN collect({id: id, rows: similar}) AS rows
"""

VISITED_PAGES = """
UNWIND $ids AS id
MATCH (c:Customer {id: id})
CALL (c) {
  MATCH (c)-[v:VISITED]->(p:Page)
  WITH v, p ORDER BY v.count DESC, p.id
  LIMIT $limit
  RETURN collect({page: p.id, count: v.count}) AS visits
}
RETURN collect({id: id, rows: visits}) AS rows
"""

COMMUNITIES_BY_IDS = f"""
UNWIND $ids AS id
MATCH (c:Community {{id: id}})
RETURN collect(c {COMMUNITY}) AS rows
"""

COMMUNITY_COUNT = "MATCH (c:Community) RETURN count(c) AS n"

COMMUNITIES_BY_ID = f"""
MATCH (c:Community)
WHERE $id IS NULL OR c.id > $id
WITH c ORDER BY c.id
LIMIT $limit
RETURN collect({{community: c {COMMUNITY}, key: [c.id]}}) AS rows
"""

COMMUNITIES_BY_SIZE = f"""
MATCH (c:Community)
WITH c, coalesce(c.size, 0) AS k
WHERE $k IS NULL OR k < $k OR (k = $k AND c.id > $id)
WITH c, k ORDER BY k DESC, c.id
LIMIT $limit
RETURN collect({{community: c {COMMUNITY}, key: [k, c.id]}}) AS rows
"""

# Members by customer id, read in order from the (community, id) index (no scan, no sort).
_COMMUNITY_MEMBERS = """
UNWIND $ids AS community
CALL (community) {
  MATCH (c:Customer)
  WHERE c.community = community AND %s
  WITH c ORDER BY c.community, c.id
  LIMIT $limit
  RETURN collect({id: c.id, community: c.community}) AS members
}
RETURN collect({id: community, rows: members}) AS rows
"""
COMMUNITY_MEMBERS_FIRST = _COMMUNITY_MEMBERS % "c.id IS NOT NULL"
COMMUNITY_MEMBERS_AFTER = _COMMUNITY_MEMBERS % "c.id > $after"

COMMUNITY_MEMBER_COUNT = """
UNWIND $ids AS community
CALL (community) {
  MATCH (c:Customer) WHERE c.community = community
  RETURN count(c) AS n
}
RETURN collect({id: community, n: n}) AS rows
"""

# ---- analysis runs ---------------------------------------------------------------------

_RUN = """{
  .id, .startedAt, .durationMs, .steps, .pages, .transitions, .customers, .paths, .clicks,
  .hotspots, .highExitPages, .weakPages, .communities, .linkSuggestions
}"""

ANALYSIS_RUNS = f"""
MATCH (r:AnalysisRun)
WITH r ORDER BY r.startedAt DESC, r.id
LIMIT $limit
RETURN collect(r {_RUN}) AS rows
"""

ANALYSIS_RUN = f"""
MATCH (r:AnalysisRun {{id: $id}})
WITH r LIMIT 1
RETURN collect(r {_RUN}) AS rows
"""
