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

# probability = share of the page's outgoing transitions; cost = -log(probability) for
# the most-likely route (Dijkstra adds costs, which multiplies probabilities).
TRANSITION_PROBABILITIES = """
MATCH (a:Page)-[t:TRANSITION]->()
WITH a, sum(t.count) AS total, collect(t) AS out
UNWIND out AS t
WITH t, toFloat(t.count) / total AS probability
SET t.probability = probability, t.cost = -log(probability)
"""

DELETE_SIMILAR = """
MATCH ()-[s:SIMILAR]->() WITH s LIMIT 50000 DELETE s RETURN count(*) AS deleted
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
