"""Cypher the API runs for customers (shapes: graph_model.statements)."""

from graph_model.statements import by_ids, per_parent

CUSTOMERS_BY_IDS = by_ids("Customer", "{.id, .community}")

SIMILAR_CUSTOMERS = per_parent(
    "Customer",
    """
  MATCH (n)-[s:SIMILAR]->(o:Customer)
  WITH s, o ORDER BY s.score DESC, o.id
  LIMIT $limit
  RETURN collect({id: o.id, community: o.community, score: s.score}) AS found
""",
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
