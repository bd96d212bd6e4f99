"""The shapes every read statement of the API takes, and the one shape of staging an
analysis' results (each aggregate's cypher.py uses them).

- Reads for many parents are one statement: `UNWIND $ids` with a `CALL` subquery per parent,
  which sorts and limits inside the subquery (a DataLoader batch of 50 pages is one round
  trip, and no parent's rows are cut short by another's).
- Lists come back as one record, `rows` (a list of maps, in order): fewer Bolt messages.
- Keyset pagination: each list is ordered by a sort key ending in a unique id; the next page
  is `WHERE key after $cursor ORDER BY key LIMIT first + 1` (the extra row tells whether
  there is a next page). Rows return their key, so cursors hold exactly the values compared.
- Reads of analysis results see one run: `of_analysis` gives them the variable `run`, the
  run the request reads (graph_model.reader pins one per request).
- Staging writes one node per row tagged with its run, invisible until the switch.
"""

from __future__ import annotations


def by_ids(label: str, projection: str, extra: str = "", key: str = "id: id") -> str:
    """The nodes of `label` whose id is in $ids, each as `projection` (`extra`: clauses
    between the match and the return, e.g. an OPTIONAL MATCH the projection reads; `key`:
    the properties matched)."""
    return f"""
UNWIND $ids AS id
MATCH (n:{label} {{{key}}}){extra}
RETURN collect(n {projection}) AS rows
"""


def per_parent(label: str, body: str, imports: str = "n") -> str:
    """For each id in $ids, the rows `body` finds for the (:`label`) node `n` (the body ends
    in `RETURN collect(...) AS found`): [{id, rows}]. `imports`: what the body sees."""
    return f"""
UNWIND $ids AS id
MATCH (n:{label} {{id: id}})
CALL ({imports}) {{{body}}}
RETURN collect({{id: id, rows: found}}) AS rows
"""


def of_analysis(body: str) -> str:
    """`body` (ending in `RETURN ... AS rows`) with `run` bound to the analysis run it reads:
    $run when the request has pinned one ($pinned), else the current run, read from the
    (:Meta {id: 'analysis'}) pointer in this same statement. Returns `rows` and `run`."""
    return f"""
OPTIONAL MATCH (pointer:Meta {{id: 'analysis'}})
WITH CASE WHEN $pinned THEN $run ELSE pointer.run END AS run
CALL (run) {{{body}}}
RETURN rows, run
"""


def staged(label: str) -> str:
    """A (:`label`) node for each row of $rows, holding the row's properties and the run
    ($run) that stages it."""
    return f"""
UNWIND $rows AS r
CREATE (s:{label})
SET s = r, s.run = $run
"""
