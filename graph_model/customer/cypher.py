"""Cypher the API runs for customers (shapes: graph_model.statements). A customer's community
and similar customers are those of the run the request reads."""

from graph_model.statements import by_ids, of_analysis, per_parent

# The customer's community in the run read (its MEMBER_OF of that run).
_COMMUNITY = "head([(%s)-[m:MEMBER_OF]->() WHERE m.run = run | m.community])"

CUSTOMERS_BY_IDS = of_analysis(by_ids("Customer", "{.id, community: %s}" % (_COMMUNITY % "n")))

SIMILAR_CUSTOMERS = of_analysis(
    per_parent(
        "Customer",
        f"""
  MATCH (n)-[s:SIMILAR]->(o:Customer)
  WHERE s.run = run
  WITH s, o ORDER BY s.score DESC, o.id
  LIMIT $limit
  RETURN collect({{id: o.id, community: {_COMMUNITY % "o"}, score: s.score}}) AS found
""",
        imports="n, run",
    )
)

VISITED_PAGES = per_parent(
    "Customer",
    """
  MATCH (n)-[v:VISITED]->(p:Page)
  WITH v, p ORDER BY v.count DESC, p.id
  LIMIT $limit
  RETURN collect({page: p.id, count: v.count}) AS found
""",
)


# ---- forgetting customers (graph_model.customer.store) --------------------------------------
# Tombstones: (:Tombstone {hash}) per forgotten customer, the hash keyed by the salt of
# (:Meta {id: 'tombstones'}); no raw id is stored.

# The salt, and which of $hashes (made with the salt the caller had) have a tombstone.
TOMBSTONED = """
OPTIONAL MATCH (m:Meta {id: 'tombstones'})
RETURN m.salt AS salt, COLLECT {
  UNWIND $hashes AS h
  MATCH (t:Tombstone {hash: h})
  RETURN h
} AS found
"""

# The salt, made on the first erasure ($salt: a fresh random one), and the watermark's node
# locked: every ingest batch writes the watermark, so a batch either commits before the
# tombstones or sees them before it commits (graph_model.path.store).
TOMBSTONE_SALT = """
MERGE (m:Meta {id: 'tombstones'})
  ON CREATE SET m.salt = $salt
WITH m
MERGE (w:Meta {id: 'watermark'})
SET w.value = w.value
RETURN m.salt AS salt
"""

WRITE_TOMBSTONES = """
UNWIND $hashes AS h
MERGE (t:Tombstone {hash: h})
  ON CREATE SET t.at = timestamp()
"""

# Up to $limit of the customer's paths: what their removal subtracts.
CUSTOMER_PATHS_TO_FORGET = """
MATCH (p:Path {customerId: $id})
WITH p LIMIT $limit
RETURN p.id AS id, p.pages AS pages, coalesce(p.segments, []) AS segments,
       [q IN coalesce(p.queries, []) WHERE q <> ''] AS queries
"""

DELETE_PATHS = "UNWIND $ids AS id MATCH (p:Path {id: id}) DETACH DELETE p"

# Up to $limit of the customer's clicks (or markers), deleted; how many.
DELETE_CLICKS = """
MATCH (c:Click {customerId: $id})
WITH c LIMIT $limit
DETACH DELETE c
RETURN count(*) AS n
"""

DELETE_MARKERS = """
MATCH (m:Marker {customerId: $id})
WITH m LIMIT $limit
DETACH DELETE m
RETURN count(*) AS n
"""

# The customer node with its VISITED, SIMILAR and MEMBER_OF relationships; the pages it
# visited (to tidy), and whether it existed.
DELETE_CUSTOMER = """
OPTIONAL MATCH (c:Customer {id: $id})
WITH c, [(c)-[:VISITED]->(p:Page) | p.id] AS pages
DETACH DELETE c
RETURN pages, c IS NOT NULL AS existed
"""

# Announcements of the customer's paths that Kafka had not acknowledged yet.
DELETE_OUTBOX = "MATCH (a:AssistOutbox) WHERE a.customer = $id DELETE a"

# Pages and segments only the forgotten customers made: no relationship left and, for a
# page, nothing from the catalog (title, url).
DELETE_BARE_PAGES = """
UNWIND $ids AS id
MATCH (p:Page {id: id})
WHERE p.title IS NULL AND p.url IS NULL AND NOT EXISTS { (p)--() }
DELETE p
"""

DELETE_BARE_SEGMENTS = """
UNWIND $ids AS id
MATCH (s:Segment {id: id})
WHERE NOT EXISTS { (s)--() }
DELETE s
"""

# Queries only the forgotten customers searched: the (:Query) node and every run's figures
# of it go (the text may be the customer's own words; other queries lose their counts at the
# next analysis, as pages do).
DELETE_BARE_QUERIES = """
UNWIND $texts AS text
MATCH (q:Query {text: text})
WHERE NOT EXISTS { (q)--() }
DELETE q
WITH text
MATCH (f:QueryFigures {text: text})
DELETE f
"""
