"""Cypher the API runs for communities (shapes: graph_model.statements)."""

from __future__ import annotations

from typing import Final

from graph_model.community.record import COMMUNITY
from graph_model.statements import by_ids

C: Final = COMMUNITY.projection()

COMMUNITIES_BY_IDS = by_ids("Community", C)

COMMUNITY_COUNT = "MATCH (c:Community) RETURN count(c) AS n"

COMMUNITIES_BY_ID = f"""
MATCH (c:Community)
WHERE $id IS NULL OR c.id > $id
WITH c ORDER BY c.id
LIMIT $limit
RETURN collect({{community: c {C}, key: [c.id]}}) AS rows
"""

COMMUNITIES_BY_SIZE = f"""
MATCH (c:Community)
WITH c, coalesce(c.size, 0) AS k
WHERE $k IS NULL OR k < $k OR (k = $k AND c.id > $id)
WITH c, k ORDER BY k DESC, c.id
LIMIT $limit
RETURN collect({{community: c {C}, key: [k, c.id]}}) AS rows
"""

# Members by customer id, read in order from the (community, id) index (no scan, no sort).
_COMMUNITY_MEMBERS = """
UNWIND $ids AS community
CALL (community) {
  MATCH (c:Customer)
  WHERE c.community = community AND %s
  WITH c ORDER BY c.community, c.id
  LIMIT $limit
  RETURN collect({id: c.id, community: c.community}) AS members
}
RETURN collect({id: community, rows: members}) AS rows
"""
COMMUNITY_MEMBERS_FIRST = _COMMUNITY_MEMBERS % "c.id IS NOT NULL"
COMMUNITY_MEMBERS_AFTER = _COMMUNITY_MEMBERS % "c.id > $after"

COMMUNITY_MEMBER_COUNT = """
UNWIND $ids AS community
CALL (community) {
  MATCH (c:Customer) WHERE c.community = community
  RETURN count(c) AS n
}
RETURN collect({id: community, n: n}) AS rows
"""
