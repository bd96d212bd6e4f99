"""The shapes every read statement of the API takes (each aggregate's cypher.py uses them).

- Reads for many parents are one statement: `UNWIND $ids` with a `CALL` subquery per parent,
  which sorts and limits inside the subquery (a DataLoader batch of 50 pages is one round
  trip, and no parent's rows are cut short by another's).
- Lists come back as one record, `rows` (a list of maps, in order): fewer Bolt messages.
- Keyset pagination: each list is ordered by a sort key ending in a unique id; the next page
  is `WHERE key after $cursor ORDER BY key LIMIT first + 1` (the extra row tells whether
  there is a next page). Rows return their key, so cursors hold exactly the values compared.
"""

from __future__ import annotations


def by_ids(label: str, projection: str) -> str:
    """The nodes of `label` whose id is in $ids, each as `projection`."""
    return f"""
UNWIND $ids AS id
MATCH (n:{label} {{id: id}})
RETURN collect(n {projection}) AS rows
"""


def per_parent(label: str, body: str) -> str:
    """For each id in $ids, the rows `body` finds for the (:`label`) node `n` (the body ends
    in `RETURN collect(...) AS found`): [{id, rows}]."""
    return f"""
UNWIND $ids AS id
MATCH (n:{label} {{id: id}})
CALL (n) {{{body}}}
RETURN collect({{id: id, rows: found}}) AS rows
"""
