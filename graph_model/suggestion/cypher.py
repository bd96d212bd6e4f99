"""Cypher the API runs for link suggestions (shapes: graph_model.statements)."""

from graph_model.statements import per_parent

_ROW = """{from: a.id, to: b.id, clicksSaved: s.clicksSaved, paths: s.paths,
                  meanClicksSaved: s.meanClicksSaved, rank: s.rank}"""

LINK_SUGGESTIONS_FROM = per_parent(
    "Page",
    f"""
  MATCH (n)-[s:SUGGESTED_LINK]->(b:Page)
  WITH n AS a, s, b ORDER BY s.clicksSaved DESC, b.id
  LIMIT $limit
  RETURN collect({_ROW}) AS found
""",
)

LINK_SUGGESTIONS = f"""
MATCH (a:Page)-[s:SUGGESTED_LINK]->(b:Page)
WITH a, s, b ORDER BY s.rank, a.id, b.id
LIMIT $limit
RETURN collect({_ROW}) AS rows
"""
