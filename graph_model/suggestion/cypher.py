"""Cypher the API runs for link suggestions (shapes: graph_model.statements): the
SUGGESTED_LINK relationships of the run the request reads."""

from graph_model.statements import of_analysis, per_parent

_ROW = """{from: a.id, to: b.id, clicksSaved: s.clicksSaved, paths: s.paths,
                  meanClicksSaved: s.meanClicksSaved, rank: s.rank}"""

LINK_SUGGESTIONS_FROM = of_analysis(
    per_parent(
        "Page",
        f"""
  MATCH (n)-[s:SUGGESTED_LINK]->(b:Page)
  WHERE s.run = run
  WITH n AS a, s, b ORDER BY s.clicksSaved DESC, b.id
  LIMIT $limit
  RETURN collect({_ROW}) AS found
""",
        imports="n, run",
    )
)

LINK_SUGGESTIONS = of_analysis(f"""
  MATCH (a:Page)-[s:SUGGESTED_LINK {{run: run}}]->(b:Page)
  WITH a, s, b ORDER BY s.rank, a.id, b.id
  LIMIT $limit
  RETURN collect({_ROW}) AS rows
""")
