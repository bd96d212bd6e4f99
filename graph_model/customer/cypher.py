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
