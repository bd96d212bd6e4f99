"""Cypher the API runs for link suggestions (conventions: graph_model.page.cypher)."""

_ROW = """{from: a.id, to: b.id, clicksSaved: s.clicksSaved, paths: s.paths,
                  meanClicksSaved: s.meanClicksSaved, rank: s.rank}"""

LINK_SUGGESTIONS_FROM = f"""
UNWIND $ids AS id
MATCH (a:Page {{id: id}})
CALL (a) {{
  MATCH (a)-[s:SUGGESTED_LINK]->(b:Page)
  WITH a, s, b ORDER BY s.clicksSaved DESC, b.id
  LIMIT $limit
  RETURN collect({_ROW}) AS suggestions
}}
RETURN collect({{id: id, rows: suggestions}}) AS rows
"""

LINK_SUGGESTIONS = f"""
MATCH (a:Page)-[s:SUGGESTED_LINK]->(b:Page)
WITH a, s, b ORDER BY s.rank, a.id, b.id
LIMIT $limit
RETURN collect({_ROW}) AS rows
"""
