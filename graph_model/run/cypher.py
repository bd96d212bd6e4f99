"""Cypher of `pathrank analyze`: what it reads, what GDS projects, how results are written."""

from __future__ import annotations

from typing import Final

from graph_model.path.record import Path
from graph_model.properties import properties_of
from graph_model.run.record import AnalysisRun

# What analysis needs of a path (its click keys are ingest's bookkeeping).
_ANALYSED_PATH: Final = properties_of(Path).projection(skip=frozenset({"keys"}))

PATHS = f"MATCH (p:Path) RETURN p {_ANALYSED_PATH} AS path"

DECLARED_LINKS = """
MATCH (p:Page) WHERE p.title IS NOT NULL OR EXISTS { (p)-[:LINKS_TO]->() }
RETURN p.id AS id, [(p)-[:LINKS_TO]->(t) | t.id] AS links
"""

PAGE_NODE_IDS = "MATCH (p:Page) RETURN p.id AS id, id(p) AS nodeId"

CUSTOMER_NODE_IDS = "MATCH (c:Customer) RETURN c.id AS id, id(c) AS nodeId"

# ---- what GDS projects ------------------------------------------------------------------

# Native projection of the transition graph, weighted by click count.
PAGE_LABEL: Final = "Page"
TRANSITION_TYPE: Final = "TRANSITION"
TRANSITION_WEIGHT: Final = "count"

# Every customer with the sorted node ids of the pages it visited as a list property, for
# Jaccard similarity in GDS KNN (computed in the projection: nothing is written).
CUSTOMER_PAGE_SETS = """
MATCH (c:Customer)-[:VISITED]->(p:Page)
WITH c, id(p) AS page ORDER BY page
WITH c, collect(page) AS pages
RETURN gds.graph.project($graph_name, c, null,
  {sourceNodeProperties: {pages: pages}, targetNodeProperties: null})
"""
CUSTOMER_PAGES: Final = "pages"

# The reversed TRANSITION graph (clicks 1, cost -log p), plus edges of weight 0 from a
# virtual node $source (an id no page has) to the resolution pages $targets.
ROUTES_TO_RESOLUTION = """
CALL () {
  MATCH (a:Page)-[t:TRANSITION]->(b:Page)
  RETURN id(b) AS source, id(a) AS target, 1.0 AS clicks, t.cost AS cost
  UNION ALL
  UNWIND $targets AS target
  RETURN $source AS source, target, 0.0 AS clicks, 0.0 AS cost
}
RETURN gds.graph.project($graph_name, source, target,
  {relationshipProperties: {clicks: clicks, cost: cost}})
"""

# ---- writes ------------------------------------------------------------------------------

# probability = share of the page's outgoing transitions; cost = -log(probability) for
# the most-likely route (Dijkstra adds costs, which multiplies probabilities).
TRANSITION_PROBABILITIES = """
MATCH (a:Page)-[t:TRANSITION]->()
WITH a, sum(t.count) AS total, collect(t) AS out
UNWIND out AS t
WITH t, toFloat(t.count) / total AS probability
SET t.probability = probability, t.cost = -log(probability)
"""

# Auto-commit, in bounded transactions: 0.8M SIMILAR at 1M clicks.
DELETE_SIMILAR = """
MATCH ()-[s:SIMILAR]->()
CALL (s) { DELETE s } IN TRANSACTIONS OF 20000 ROWS
"""

DELETE_SUGGESTIONS = "MATCH ()-[s:SUGGESTED_LINK]->() DELETE s"

DELETE_COMMUNITIES = "MATCH (c:Community) DETACH DELETE c"

SET_PAGE_FIGURES = """
UNWIND $rows AS r
MATCH (p:Page {id: r.id})
SET p += r.props
"""

SET_MEMBERSHIPS = """
UNWIND $rows AS r
MATCH (c:Customer) WHERE id(c) = r[0]
SET c.community = r[1]
"""

CREATE_SIMILAR = """
UNWIND $rows AS r
MATCH (a:Customer) WHERE id(a) = r[0]
MATCH (b:Customer) WHERE id(b) = r[1]
CREATE (a)-[:SIMILAR {score: r[2]}]->(b)
"""

CREATE_COMMUNITIES = """
UNWIND $rows AS r
CREATE (c:Community)
SET c = r
"""

CREATE_SUGGESTIONS = """
UNWIND $rows AS r
MATCH (a:Page {id: r.from})
MATCH (b:Page {id: r.to})
CREATE (a)-[:SUGGESTED_LINK {clicksSaved: r.clicksSaved, paths: r.paths,
                              meanClicksSaved: r.meanClicksSaved, rank: r.rank}]->(b)
"""

RECORD_RUN = """
CREATE (r:AnalysisRun)
SET r = $run
"""

# ---- the API's reads --------------------------------------------------------------------

_RUN: Final = properties_of(AnalysisRun).projection()

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
