"""Every Cypher statement ingest needs, parameterised and batched with UNWIND."""

READ_WATERMARK = "OPTIONAL MATCH (m:Meta {id: 'watermark'}) RETURN m.value AS value"

READ_CLICKS = """
UNWIND $ids AS id
MATCH (c:Click {customerId: id})
RETURN c.customerId AS customer, c.key AS key, c.pageId AS page, c.ts AS ts,
       c.resolved AS resolved, c.seq AS seq, c.referrerPageId AS referrer
"""

MERGE_CUSTOMERS = "UNWIND $ids AS id MERGE (:Customer {id: id})"

MERGE_PAGES = "UNWIND $ids AS id MERGE (:Page {id: id})"

CREATE_CLICKS = """
UNWIND $clicks AS c
MATCH (p:Page {id: c.page})
CREATE (k:Click {key: c.key, customerId: c.customer, pageId: c.page, ts: c.ts,
                 resolved: c.resolved, seq: c.seq, referrerPageId: c.referrer})
CREATE (k)-[:ON]->(p)
"""

DELETE_NEXT = "UNWIND $keys AS k MATCH (:Click {key: k})-[r:NEXT]->() DELETE r"

DELETE_PATHS = "UNWIND $ids AS id MATCH (p:Path {id: id}) DETACH DELETE p"

CREATE_PATHS = """
UNWIND $paths AS p
MATCH (cu:Customer {id: p.customer})
MATCH (f:Click {key: p.first})
MATCH (l:Click {key: p.last})
CREATE (path:Path {id: p.id, customerId: p.customer, start: p.start, end: p.end,
                   length: p.length, outcome: p.outcome, turnarounds: p.turnarounds,
                   quickTurnarounds: p.quick, pages: p.pages})
CREATE (cu)-[:TOOK]->(path), (path)-[:FIRST]->(f), (path)-[:LAST]->(l)
"""

CREATE_NEXT = """
UNWIND $pairs AS pr
MATCH (a:Click {key: pr[0]})
MATCH (b:Click {key: pr[1]})
CREATE (a)-[:NEXT]->(b)
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

SET_VISITED = """
UNWIND $rows AS r
MATCH (cu:Customer {id: r.customer})
MATCH (p:Page {id: r.page})
MERGE (cu)-[v:VISITED]->(p)
SET v.count = r.count
WITH v WHERE v.count <= 0
DELETE v
"""

ADVANCE_WATERMARK = """
MERGE (m:Meta {id: 'watermark'})
SET m.value = CASE WHEN m.value IS NULL OR m.value < $value THEN $value ELSE m.value END
RETURN m.value AS value
"""

# OPEN while watermark - end <= timeout (DESIGN 3); past that the path is ABANDONED.
CLOSE_OPEN_PATHS = """
MATCH (p:Path {outcome: 'OPEN'}) WHERE p.end < $cutoff
SET p.outcome = 'ABANDONED'
RETURN count(p) AS closed
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
