"""Cypher for `pathrank analyze`: what it reads, and how results are written back."""

PATHS = """
MATCH (p:Path)
RETURN p.customerId AS customer, p.pages AS pages, p.outcome AS outcome
"""

DECLARED_LINKS = """
MATCH (p:Page) WHERE p.title IS NOT NULL OR EXISTS { (p)-[:LINKS_TO]->() }
RETURN p.id AS id, [(p)-[:LINKS_TO]->(t) | t.id] AS links
"""

PAGE_NODE_IDS = "MATCH (p:Page) RETURN p.id AS id, id(p) AS nodeId"

CUSTOMER_COMMUNITIES = """
MATCH (c:Customer) WHERE c.community IS NOT NULL
RETURN c.id AS customer, c.community AS community
"""

# GDS Cypher projection (algorithms.gds_steps.communities): every customer with the sorted
# node ids of the pages it visited as a list property, for Jaccard similarity in GDS KNN.
# Computed in the projection, so nothing is written to the customers.
CUSTOMER_PAGE_SETS = """
MATCH (c:Customer)-[:VISITED]->(p:Page)
WITH c, id(p) AS page ORDER BY page
WITH c, collect(page) AS pages
RETURN gds.graph.project($graph_name, c, null,
  {sourceNodeProperties: {pages: pages}, targetNodeProperties: null})
"""

# GDS Cypher projection for the success routes (algorithms.gds_steps.success_routes): the
# reversed TRANSITION graph (clicks 1, cost -log p), plus edges of weight 0 from a virtual
# node $source (an id no page has) to the resolution pages $targets.
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

SET_PAGE_PROPERTIES = """
UNWIND $rows AS r
MATCH (p:Page {id: r.id})
SET p += r.props
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

GRAPH_SIZE = """
CALL () { MATCH (n:Page) RETURN count(n) AS pages }
CALL () { MATCH ()-[t:TRANSITION]->() RETURN count(t) AS transitions }
CALL () { MATCH (n:Customer) RETURN count(n) AS customers }
CALL () { MATCH (n:Path) RETURN count(n) AS paths }
CALL () { MATCH (n:Click) RETURN count(n) AS clicks }
RETURN pages, transitions, customers, paths, clicks
"""

# What benchmarks export to run other libraries on the same graph as the analysis.
EXPORT_TRANSITIONS = """
MATCH (a:Page)-[t:TRANSITION]->(b:Page)
RETURN a.id AS source, b.id AS target, t.count AS count
"""

EXPORT_RESOLUTION_PAGES = "MATCH (p:Page) WHERE p.resolutions > 0 RETURN p.id AS id"

EXPORT_SIMILAR = """
MATCH (a:Customer)-[s:SIMILAR]->(b:Customer)
RETURN id(a) AS source, id(b) AS target, s.score AS score
"""
