"""Cypher the API runs for customers (conventions: graph_model.page.cypher)."""

CUSTOMERS_BY_IDS = """
UNWIND $ids AS id
MATCH (c:Customer {id: id})
RETURN collect({id: c.id, community: c.community}) AS rows
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
