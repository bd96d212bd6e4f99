"""Cypher the API runs for communities (shapes: graph_model.statements): the (:Community)
nodes and MEMBER_OF relationships of the run the request reads."""

from __future__ import annotations

from typing import Final

from graph_model.community.record import COMMUNITY
from graph_model.statements import by_ids, of_analysis

C: Final = COMMUNITY.projection()

COMMUNITIES_BY_IDS = of_analysis(by_ids("Community", C, key="run: run, id: id"))

# Every read of the run's communities from the (run, id) index, whatever the statistics.
_OF_RUN = "MATCH (c:Community {run: run}) USING INDEX c:Community(run, id) WHERE c.id IS NOT NULL"

COMMUNITY_COUNT = of_analysis(f"""
  {_OF_RUN}
  RETURN count(c) AS rows
""")

# In order from the (run, id) index.
COMMUNITIES_BY_ID = of_analysis(f"""
  {_OF_RUN} AND ($id IS NULL OR c.id > $id)
  WITH c ORDER BY c.id
  LIMIT $limit
  RETURN collect({{community: c {C}, key: [c.id]}}) AS rows
""")

COMMUNITIES_BY_SIZE = of_analysis(f"""
  {_OF_RUN}
  WITH c, coalesce(c.size, 0) AS k
  WHERE $k IS NULL OR k < $k OR (k = $k AND c.id > $id)
  WITH c, k ORDER BY k DESC, c.id
  LIMIT $limit
  RETURN collect({{community: c {C}, key: [k, c.id]}}) AS rows
""")

# Members by customer id, read in order from the MEMBER_OF (run, community, customerId)
# index (no scan, no sort).
_COMMUNITY_MEMBERS = """
  UNWIND $ids AS community
  CALL (community, run) {
    MATCH ()-[m:MEMBER_OF]->()
    WHERE m.run = run AND m.community = community AND %s
    WITH m ORDER BY m.run, m.community, m.customerId
    LIMIT $limit
    RETURN collect({id: m.customerId, community: community}) AS members
  }
  RETURN collect({id: community, rows: members}) AS rows
"""
COMMUNITY_MEMBERS_FIRST = of_analysis(_COMMUNITY_MEMBERS % "m.customerId IS NOT NULL")
COMMUNITY_MEMBERS_AFTER = of_analysis(_COMMUNITY_MEMBERS % "m.customerId > $after")

COMMUNITY_MEMBER_COUNT = of_analysis("""
  UNWIND $ids AS community
  CALL (community, run) {
    MATCH ()-[m:MEMBER_OF]->() WHERE m.run = run AND m.community = community
    RETURN count(m) AS n
  }
  RETURN collect({id: community, n: n}) AS rows
""")
