"""Every Cypher statement ingest writes with, parameterised and batched with UNWIND."""

from __future__ import annotations

# Statements run on every batch are planned once and kept. Their plans are index seeks from
# parameters (hinted where a label scan is the alternative), so they do not depend on graph
# statistics; while a graph grows from empty the default re-plans each of them every few
# seconds (WRITE_CUSTOMERS takes ~0.25 s to plan). A schema change still clears the cache.
_PLAN_ONCE = "CYPHER replan=skip\n"

# What a batch reads first: the watermark; per customer of the batch, whether it has a node
# and the time of its latest stored click and marker (the newest entry of the (customerId, ts)
# indexes: a few index hits, however many events the customer has); the stored clicks and
# markers that hold one of the batch's keys (the unique key constraints' indexes).
READ_STATE = (
    _PLAN_ONCE
    + """
OPTIONAL MATCH (m:Meta {id: 'watermark'})
RETURN m.value AS watermark, COLLECT {
  UNWIND $ids AS id
  CALL (id) {
    OPTIONAL MATCH (c:Click {customerId: id}) USING INDEX c:Click(customerId, ts)
    WHERE c.ts IS NOT NULL
    RETURN c.ts AS click ORDER BY c.customerId DESC, c.ts DESC LIMIT 1
  }
  CALL (id) {
    OPTIONAL MATCH (k:Marker {customerId: id}) USING INDEX k:Marker(customerId, ts)
    WHERE k.ts IS NOT NULL
    RETURN k.ts AS marker ORDER BY k.customerId DESC, k.ts DESC LIMIT 1
  }
  RETURN [id, click, marker, EXISTS { MATCH (:Customer {id: id}) }]
} AS customers, COLLECT {
  UNWIND $keys AS key
  MATCH (c:Click {key: key})
  RETURN [c.customerId, c.key, c.pageId, c.ts, c.resolved, c.seq, c.referrerPageId,
          c.attributes, c.query, c.results]
} AS clicks, COLLECT {
  UNWIND $keys AS key
  MATCH (k:Marker {key: key})
  RETURN [k.customerId, k.key, k.type, k.pageId, k.ts, k.seq, k.attributes]
} AS markers
"""
)

# Per customer ($rows: {id, from}), its latest path that started before `from` (the newest
# entry of the (customerId, start) index before it): its start, end, and its first click's
# arrival order.
READ_ANCHORS = (
    _PLAN_ONCE
    + """
UNWIND $rows AS r
CALL (r) {
  OPTIONAL MATCH (p:Path {customerId: r.id}) USING INDEX p:Path(customerId, start)
  WHERE p.start < r.from
  RETURN p ORDER BY p.customerId DESC, p.start DESC LIMIT 1
}
RETURN r.id AS id, p.start AS start, p.end AS end, [(p)-[:FIRST]->(f) | f.seq][0] AS seq
"""
)

# The stored clicks and markers of customers ($rows: {id, from, seq}) from (`from`, `seq`) on
# in (time, arrival) order (`seq` null: every event at `from`), through the (customerId, ts)
# indexes.
READ_EVENTS = (
    _PLAN_ONCE
    + """
RETURN COLLECT {
  UNWIND $rows AS r
  MATCH (c:Click {customerId: r.id}) USING INDEX c:Click(customerId, ts)
  WHERE c.ts >= r.from AND (c.ts > r.from OR r.seq IS NULL OR c.seq >= r.seq)
  RETURN [c.customerId, c.key, c.pageId, c.ts, c.resolved, c.seq, c.referrerPageId,
          c.attributes, c.query, c.results]
} AS clicks, COLLECT {
  UNWIND $rows AS r
  MATCH (k:Marker {customerId: r.id}) USING INDEX k:Marker(customerId, ts)
  WHERE k.ts >= r.from AND (k.ts > r.from OR r.seq IS NULL OR k.seq >= r.seq)
  RETURN [k.customerId, k.key, k.type, k.pageId, k.ts, k.seq, k.attributes]
} AS markers
"""
)

# Clicks that no created or extended path places (never expected: every new click changes the
# path it joins); kept so that no valid click can be lost.
CREATE_CLICKS = """
UNWIND $clicks AS c
MERGE (p:Page {id: c.page})
MERGE (:Customer {id: c.customer})
CREATE (k:Click {key: c.key, customerId: c.customer, pageId: c.page, ts: c.ts,
                 resolved: c.resolved, seq: c.seq, referrerPageId: c.referrer,
                 attributes: c.attributes, query: c.query, results: c.results})
CREATE (k)-[:ON]->(p)
"""

# Outcome markers: no page visit, so no ON and no place in a path's chain; a path they end
# points at them with ENDED_BY (an orphan marker has none).
CREATE_MARKERS = """
UNWIND $markers AS m
CREATE (:Marker {key: m.key, customerId: m.customer, type: m.type, pageId: m.page, ts: m.ts,
                 seq: m.seq, attributes: m.attributes})
"""


def _relink(relationship: str, create: str) -> str:
    """For rows {path, ...}: the path's `relationship`s deleted, then `create` (on p and r)."""
    return f"""
UNWIND $rows AS r
MATCH (p:Path {{id: r.path}})
CALL (p) {{
  MATCH (p)-[old:{relationship}]->()
  DELETE old
}}
CALL (p, r) {{
  {create}
}}
"""


# Written paths whose ending changed: the old ENDED_BY goes, the new one (if any) is made.
LINK_ENDINGS = _relink(
    "ENDED_BY", "MATCH (m:Marker {key: r.marker})\n  CREATE (p)-[:ENDED_BY]->(m)"
)

# Segment nodes first, one statement, in a stable order (concurrent workers lock them alike).
MERGE_SEGMENTS = """
UNWIND $ids AS id
MERGE (s:Segment {id: id})
  ON CREATE SET s.key = split(id, '=')[0], s.value = substring(id, size(split(id, '=')[0]) + 1)
"""

# Written paths whose segments changed: old IN_SEGMENT relationships replaced.
LINK_SEGMENTS = _relink(
    "IN_SEGMENT",
    "UNWIND r.segments AS id\n  MATCH (s:Segment {id: id})\n  CREATE (p)-[:IN_SEGMENT]->(s)",
)

# Query nodes first, one statement, in a stable order; then the written paths whose searched
# queries changed get theirs (graph_model.search: a query's paths, for per-query reads).
MERGE_QUERIES = """
UNWIND $texts AS text
MERGE (:Query {text: text})
"""

LINK_QUERIES = _relink(
    "SEARCHED",
    "UNWIND r.queries AS text\n  MATCH (q:Query {text: text})\n  CREATE (p)-[:SEARCHED]->(q)",
)

# Event keys are unique graph-wide, clicks and markers alike.
CLICK_OWNERS = """
UNWIND $keys AS key
CALL (key) {
  MATCH (k:Click {key: key})
  RETURN k.customerId AS customer
  UNION
  MATCH (k:Marker {key: key})
  RETURN k.customerId AS customer
}
RETURN key, customer
"""

DELETE_NEXT = "UNWIND $keys AS k MATCH (:Click {key: k})-[r:NEXT]->() DELETE r"

DELETE_PATHS = "UNWIND $ids AS id MATCH (p:Path {id: id}) DETACH DELETE p"

# The clicks of one path (or of the part appended to it), in order, as `clicks`. New clicks
# (p.new: [key, page index, ts, resolved, seq, referrer, attributes, query, results]) are
# created with their ON
# relationship, stored ones (p.stored: keys) are found, and p.order interleaves them
# (i >= 0: p.new[i], i < 0: p.stored[-i - 1]; null: all new). A stored click that is missing
# gives a null node, so CREATE fails the transaction rather than skipping it.
# Needs `pgs` (the Page nodes of $pages), `cid` (the customer id) and `p` imported.
_CHAIN = """
    CALL (pgs, cid, p) {
      UNWIND p.new AS k
      WITH cid, k, pgs[k[1]] AS pg
      CREATE (n:Click {key: k[0], customerId: cid, pageId: $pages[k[1]], ts: k[2],
                       resolved: k[3], seq: k[4], referrerPageId: k[5], attributes: k[6],
                       query: k[7], results: k[8]})
      CREATE (n)-[:ON]->(pg)
      RETURN collect(n) AS created
    }
    CALL (p) {
      UNWIND p.stored AS key
      OPTIONAL MATCH (n:Click {key: key})
      RETURN collect([n]) AS found
    }
    WITH *, CASE WHEN p.order IS NULL THEN created
                 ELSE [i IN p.order | CASE WHEN i >= 0 THEN created[i] ELSE found[-i - 1][0] END]
            END AS clicks"""

# One statement for everything a batch writes per customer, the customer's node bound once:
# - pages of the new clicks merged once, then addressed by their index in $pages;
# - VISITED created outright for new customers (nothing to merge with), and the new clicks
#   added to the counts of known ones (only pages with new clicks are sent);
# - an OPEN path that only grew keeps its node and chain: its LAST moves, NEXT is appended;
# - other changed paths are created with their clicks (old versions deleted before).
WRITE_CUSTOMERS = (
    _PLAN_ONCE
    + """
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
    ON CREATE SET r.count = n
    ON MATCH SET r.count = r.count + n
}
CALL (pgs, c, cid) {
  UNWIND c.extended AS p
  MATCH (path:Path {id: p.id})-[old:LAST]->(tail:Click)
  SET path += p.props
  DELETE old
  WITH pgs, cid, p, path, tail"""
    + _CHAIN
    + """
  WITH path, [tail] + clicks AS ks
  WITH path, ks, last(ks) AS final
  CREATE (path)-[:LAST]->(final)
  WITH ks
  UNWIND range(1, size(ks) - 1) AS i
  WITH ks[i - 1] AS a, ks[i] AS b
  CREATE (a)-[:NEXT]->(b)
}
CALL (pgs, c, cu, cid) {
  UNWIND c.paths AS p
  CREATE (cu)-[:TOOK]->(path:Path {id: p.id, customerId: cid})
  SET path += p.props
  WITH pgs, cid, p, path"""
    + _CHAIN
    + """
  WITH path, clicks AS ks
  WITH path, ks, head(ks) AS first, last(ks) AS final
  CREATE (path)-[:FIRST]->(first), (path)-[:LAST]->(final)
  WITH ks
  UNWIND range(1, size(ks) - 1) AS i
  WITH ks[i - 1] AS a, ks[i] AS b
  CREATE (a)-[:NEXT]->(b)
}
"""
)

# Deltas that only add: the edge stays positive, so no delete (and no Eager) is needed.
ADD_TRANSITIONS = (
    _PLAN_ONCE
    + """
UNWIND $deltas AS d
MATCH (a:Page {id: d.from})
MATCH (b:Page {id: d.to})
MERGE (a)-[t:TRANSITION]->(b)
  ON CREATE SET t.count = d.count, t.turnarounds = d.turnarounds
  ON MATCH SET t.count = t.count + d.count, t.turnarounds = t.turnarounds + d.turnarounds
"""
)

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

# OPEN while watermark - end <= timeout; past that the path is ABANDONED.
ADVANCE_WATERMARK = (
    _PLAN_ONCE
    + """
MERGE (m:Meta {id: 'watermark'})
SET m.value = CASE WHEN m.value IS NULL OR m.value < $value THEN $value ELSE m.value END
WITH m
CALL () {
  MATCH (p:Path {outcome: 'OPEN'}) USING INDEX p:Path(outcome, end)
  WHERE p.end < $cutoff
  SET p.outcome = 'ABANDONED'
  RETURN count(p) AS closed
}
RETURN closed
"""
)


# ---- retention (docs/paths.md, "Retention") -------------------------------------------------
# (:Meta {id: 'compaction'}).through: every path that ended before it is compacted.

READ_WATERMARK = "OPTIONAL MATCH (m:Meta {id: 'watermark'}) RETURN m.value AS watermark"

COMPACTION_CURSOR = "OPTIONAL MATCH (m:Meta {id: 'compaction'}) RETURN m.through AS through"

# The next paths to compact: not compacted yet (they still have their keys), ended in
# [$from, $cutoff), in the order they ended (the path_end index, from the cursor on).
TO_COMPACT = (
    _PLAN_ONCE
    + """
MATCH (p:Path) USING INDEX p:Path(end)
WHERE p.end >= $from AND p.end < $cutoff AND p.keys IS NOT NULL
RETURN p.id AS id, p.end AS end, size(p.keys) AS clicks
ORDER BY p.end
LIMIT $limit
"""
)

# A compacted path keeps its node and properties (pages, timestamps, ...) but its keys; its
# Click nodes go, and with them ON, NEXT, FIRST and LAST. They are found by walking the
# path's chain from FIRST along NEXT (each path has its own chain): half the time of seeking
# each key in the unique index (94 against 210 us a click, commit included, measured).
COMPACT_PATHS = (
    _PLAN_ONCE
    + """
UNWIND $ids AS id
MATCH (p:Path {id: id})-[:FIRST]->(first:Click)
CALL (first) {
  MATCH (first)-[:NEXT]->*(c:Click)
  DETACH DELETE c
}
REMOVE p.keys
"""
)

SET_COMPACTION_CURSOR = "MERGE (m:Meta {id: 'compaction'}) SET m.through = $through"
