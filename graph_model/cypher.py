"""Every Cypher statement ingest needs, parameterised and batched with UNWIND."""

READ_WATERMARK = "OPTIONAL MATCH (m:Meta {id: 'watermark'}) RETURN m.value AS value"

READ_CLICKS = """
UNWIND $ids AS id
MATCH (c:Click {customerId: id})
RETURN c.customerId AS customer, c.key AS key, c.pageId AS page, c.ts AS ts,
       c.resolved AS resolved, c.seq AS seq, c.referrerPageId AS referrer
"""

# Clicks that no created or extended path places (never expected: every new click changes the
# path it joins); kept so that no valid click can be lost.
CREATE_CLICKS = """
UNWIND $clicks AS c
MERGE (p:Page {id: c.page})
MERGE (:Customer {id: c.customer})
CREATE (k:Click {key: c.key, customerId: c.customer, pageId: c.page, ts: c.ts,
                 resolved: c.resolved, seq: c.seq, referrerPageId: c.referrer})
CREATE (k)-[:ON]->(p)
"""

DELETE_NEXT = "UNWIND $keys AS k MATCH (:Click {key: k})-[r:NEXT]->() DELETE r"

DELETE_PATHS = "UNWIND $ids AS id MATCH (p:Path {id: id}) DETACH DELETE p"

# The clicks of one path (or of the part appended to it), in order, as nodes `ks`: a new click
# (k.new) is created with its ON relationship, a stored one is found by key. Needs `pgs` (the
# Page nodes of $pages), `cid` (the customer id) and `k` imported.
_CLICK_NODE = """
    CALL (pgs, cid, k) {
      UNWIND CASE WHEN k.new THEN [k] ELSE [] END AS x
      WITH cid, x, pgs[x.page] AS pg
      CREATE (n:Click {key: x.key, customerId: cid, pageId: $pages[x.page], ts: x.ts,
                       resolved: x.resolved, seq: x.seq, referrerPageId: x.referrer})
      CREATE (n)-[:ON]->(pg)
      RETURN n
      UNION ALL
      UNWIND CASE WHEN k.new THEN [] ELSE [k.key] END AS key
      MATCH (n:Click {key: key})
      RETURN n
    }"""

# One statement for everything a batch writes per customer, the customer's node bound once:
# - pages of the new clicks merged once, then addressed by their index in $pages;
# - VISITED created outright for customers without stored clicks (nothing to merge with), and
#   merged only for the pages that got new clicks otherwise (the other counts are unchanged);
# - an OPEN path that only grew keeps its node and chain: its LAST moves, NEXT is appended;
# - other changed paths are created with their clicks (old versions deleted before).
WRITE_CUSTOMERS = (
    """
UNWIND $pages AS pageId
MERGE (pg:Page {id: pageId})
WITH collect(pg) AS pgs
UNWIND $customers AS c
MERGE (cu:Customer {id: c.id})
WITH pgs, c, cu, c.id AS cid
CALL (pgs, c, cu) {
  UNWIND c.newVisits AS v
  WITH cu, pgs[v[0]] AS pg, v[1] AS n
  CREATE (cu)-[:VISITED {count: n}]->(pg)
}
CALL (pgs, c, cu) {
  UNWIND c.visits AS v
  WITH cu, pgs[v[0]] AS pg, v[1] AS n
  MERGE (cu)-[r:VISITED]->(pg)
  SET r.count = n
}
CALL (pgs, c, cid) {
  UNWIND c.extended AS e
  MATCH (path:Path {id: e.id})-[old:LAST]->(tail:Click)
  SET path.end = e.end, path.length = e.length, path.outcome = e.outcome,
      path.turnarounds = e.turnarounds, path.quickTurnarounds = e.quick, path.pages = e.pages
  DELETE old
  WITH pgs, cid, e, path, tail
  CALL (pgs, cid, e, path, tail) {
    UNWIND e.clicks AS k"""
    + _CLICK_NODE
    + """
    WITH path, tail, collect(n) AS added
    WITH path, [tail] + added AS ks, last(added) AS final
    CREATE (path)-[:LAST]->(final)
    WITH ks
    UNWIND range(1, size(ks) - 1) AS i
    WITH ks[i - 1] AS a, ks[i] AS b
    CREATE (a)-[:NEXT]->(b)
  }
}
CALL (pgs, c, cu, cid) {
  UNWIND c.paths AS p
  CREATE (cu)-[:TOOK]->(path:Path {id: p.id, customerId: cid, start: p.start, end: p.end,
                                   length: p.length, outcome: p.outcome,
                                   turnarounds: p.turnarounds, quickTurnarounds: p.quick,
                                   pages: p.pages})
  WITH pgs, cid, p, path
  CALL (pgs, cid, p, path) {
    UNWIND p.clicks AS k"""
    + _CLICK_NODE
    + """
    WITH path, collect(n) AS ks
    WITH path, ks, head(ks) AS first, last(ks) AS final
    CREATE (path)-[:FIRST]->(first), (path)-[:LAST]->(final)
    WITH ks
    UNWIND range(1, size(ks) - 1) AS i
    WITH ks[i - 1] AS a, ks[i] AS b
    CREATE (a)-[:NEXT]->(b)
  }
}
"""
)

# Deltas that only add: the edge stays positive, so no delete (and no Eager) is needed.
ADD_TRANSITIONS = """
UNWIND $deltas AS d
MATCH (a:Page {id: d.from})
MATCH (b:Page {id: d.to})
MERGE (a)-[t:TRANSITION]->(b)
  ON CREATE SET t.count = d.count, t.turnarounds = d.turnarounds
  ON MATCH SET t.count = t.count + d.count, t.turnarounds = t.turnarounds + d.turnarounds
"""

APPLY_TRANSITIONS = """
UNWIND $deltas AS d
MATCH (a:Page {id: d.from})
MATCH (b:Page {id: d.to})
MERGE (a)-[t:TRANSITION]->(b)
  ON CREATE SET t.count = 0, t.turnarounds = 0
SET t.count = t.count + d.count, t.turnarounds = t.turnarounds + d.turnarounds
WITH t WHERE t.count <= 0
DELETE t
"""

# OPEN while watermark - end <= timeout (DESIGN 3); past that the path is ABANDONED.
ADVANCE_WATERMARK = """
MERGE (m:Meta {id: 'watermark'})
SET m.value = CASE WHEN m.value IS NULL OR m.value < $value THEN $value ELSE m.value END
WITH m
CALL () {
  MATCH (p:Path {outcome: 'OPEN'}) WHERE p.end < $cutoff
  SET p.outcome = 'ABANDONED'
  RETURN count(p) AS closed
}
RETURN closed
"""

UPSERT_PAGES = """
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

COUNTS = """
CALL () { MATCH (n:Page) RETURN count(n) AS pages }
CALL () { MATCH (n:Customer) RETURN count(n) AS customers }
CALL () { MATCH (n:Click) RETURN count(n) AS clicks }
CALL () { MATCH ()-[t:TRANSITION]->() RETURN count(t) AS transitions }
CALL () { MATCH (p:Path) RETURN count(p) AS paths,
         count(CASE WHEN p.outcome = 'OPEN' THEN 1 END) AS open,
         count(CASE WHEN p.outcome = 'RESOLVED' THEN 1 END) AS resolved,
         count(CASE WHEN p.outcome = 'ABANDONED' THEN 1 END) AS abandoned }
OPTIONAL MATCH (m:Meta {id: 'watermark'})
RETURN pages, customers, clicks, transitions, paths, open, resolved, abandoned,
       m.value AS watermark
"""

READ_PATHS = """
MATCH (p:Path)
WHERE $customer IS NULL OR p.customerId = $customer
MATCH (p)-[:FIRST]->(first:Click)
MATCH (p)-[:LAST]->(last:Click)
MATCH chain = (first)-[:NEXT*0..]->(last)
RETURN p.id AS id, p.customerId AS customer, p.start AS start, p.end AS end,
       p.length AS length, p.outcome AS outcome, p.turnarounds AS turnarounds,
       p.pages AS pages, [c IN nodes(chain) | c.key] AS keys,
       [c IN nodes(chain) | [(c)-[:ON]->(pg) | pg.id][0]] AS walked
ORDER BY customer, start
"""

READ_TRANSITIONS = """
MATCH (a:Page)-[t:TRANSITION]->(b:Page)
RETURN a.id AS source, b.id AS target, t.count AS count, t.turnarounds AS turnarounds
ORDER BY source, target
"""

READ_VISITED = """
MATCH (c:Customer)-[v:VISITED]->(p:Page)
RETURN c.id AS customer, p.id AS page, v.count AS count
ORDER BY customer, page
"""

CLEAR_BATCH = """
MATCH (n) WITH n LIMIT 20000
DETACH DELETE n
RETURN count(*) AS deleted
"""
