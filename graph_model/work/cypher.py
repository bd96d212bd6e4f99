"""Cypher of the work queue: what an analysis stages and publishes, the status a content
designer sets, and the API's reads of the run it pins (docs/graph-model.md, "The work
queue").

A (:WorkItem) is created the first time a run stages its figures (with status OPEN) and is
never deleted by an analysis; its `lastSeenRun` is set when a run that found it is
published. Readers see an item when the run they read staged its figures, or, marked
stale, when an earlier published run found it.
"""

from __future__ import annotations

from typing import Final

from graph_model.statements import of_analysis
from graph_model.work.record import FIGURES, STATE, VERIFICATION

_IDENTITY: Final = "action: r.action, pageId: r.pageId, fromPageId: r.fromPageId, " + (
    "toPageId: r.toPageId, query: r.query"
)

# ---- staging: tagged with the run, invisible until its switch ----------------------------

# The item is created (OPEN) if it is new; its status is never touched here. It is ABOUT its
# page (both pages of a link) or its search query.
STAGE_FIGURES = f"""
UNWIND $rows AS r
MERGE (w:WorkItem {{id: r.itemId}})
  ON CREATE SET w += {{{_IDENTITY}}}, w.status = 'OPEN', w.createdRun = $run
CREATE (f:WorkItemFigures)
SET f = r, f.run = $run
WITH w, r
CALL (w, r) {{
  UNWIND [x IN [r.pageId, r.fromPageId, r.toPageId] WHERE x IS NOT NULL] AS pageId
  MATCH (p:Page {{id: pageId}}) USING INDEX p:Page(id)
  MERGE (w)-[:ABOUT]->(p)
}}
CALL (w, r) {{
  MATCH (q:Query {{text: r.query}}) USING INDEX q:Query(text)
  MERGE (w)-[:ABOUT]->(q)
}}
"""

# A verification the run computed, with the state it was computed for (status, doneAt): it
# is published only if the item still has that state.
STAGE_VERIFICATIONS = """
UNWIND $rows AS r
CREATE (v:WorkItemVerification)
SET v = r.props, v.run = $run, v.itemId = r.itemId, v.forStatus = r.status,
    v.forDoneAt = r.doneAt
"""

# (match, index, extra condition) of what a run's deletion drains.
DELETED: Final = (
    ("(x:WorkItemFigures)", "x:WorkItemFigures(run, itemId)", " AND x.itemId IS NOT NULL"),
    (
        "(x:WorkItemVerification)",
        "x:WorkItemVerification(run, itemId)",
        " AND x.itemId IS NOT NULL",
    ),
)

# ---- publishing (after the switch; done again by the next run if cut short) -------------

_STATE: Final = STATE.projection()

# The run's items with their state before publishing, and its verifications.
STAGED = f"""
MATCH (f:WorkItemFigures {{run: $run}})
MATCH (w:WorkItem {{id: f.itemId}})
RETURN f {FIGURES.projection()} AS figures, w {_STATE} AS state
"""

STAGED_VERIFICATIONS = f"""
MATCH (v:WorkItemVerification {{run: $run}})
MATCH (w:WorkItem {{id: v.itemId}})
WHERE w.status = v.forStatus AND coalesce(w.doneAt, -1) = coalesce(v.forDoneAt, -1)
RETURN v.itemId AS id, v {VERIFICATION.projection()} AS verification
"""

# The run's latest figures copied onto its items (what a stale item shows later).
PUBLISH_FIGURES = """
MATCH (f:WorkItemFigures {run: $run})
MATCH (w:WorkItem {id: f.itemId})
SET w += properties(f), w.lastSeenRun = $run,
    w.firstSeenAt = coalesce(w.firstSeenAt, timestamp())
REMOVE w.run
"""

PUBLISH_VERIFICATIONS = """
UNWIND $rows AS r
MATCH (w:WorkItem {id: r.id})
SET w += r.props
"""

# A dismissed item whose figures doubled is open again (record.reopens decides which).
REOPEN = """
UNWIND $ids AS id
MATCH (w:WorkItem {id: id}) WHERE w.status = 'DISMISSED'
SET w.status = 'OPEN', w.statusAt = timestamp(),
    w.note = 'Reopened: its tickets (or customers) per week doubled since it was dismissed.',
    w.dismissedTicketsPerWeek = null, w.dismissedCustomersPerWeek = null
"""

# ---- status (the API) --------------------------------------------------------------------

# The item's state and latest figures (this run's, else its last copy), whatever the run.
ITEM = f"""
MATCH (w:WorkItem {{id: $id}})
OPTIONAL MATCH (m:Meta {{id: 'analysis'}})
OPTIONAL MATCH (f:WorkItemFigures {{run: m.run, itemId: w.id}})
RETURN w {_STATE} AS state,
       CASE WHEN f IS NULL THEN w {FIGURES.projection()} ELSE f {FIGURES.projection()} END
         AS figures,
       w {VERIFICATION.projection()} AS verification, f IS NULL AS stale,
       w.lastSeenRun IS NOT NULL OR f IS NOT NULL AS visible
"""

# A new status drops the item's verification: a DONE time gets its own, computed anew.
SET_STATUS = """
MATCH (w:WorkItem {id: $id})
SET w += $cleared,
    w.status = $status, w.statusAt = $at, w.note = coalesce($note, w.note),
    w.doneAt = $doneAt, w.dismissedTicketsPerWeek = $dismissedTickets,
    w.dismissedCustomersPerWeek = $dismissedCustomers
RETURN w.id AS id
"""

# A verification for the item's current DONE time only (a later status change wins).
WRITE_VERIFICATION = """
MATCH (w:WorkItem {id: $id}) WHERE w.status = 'DONE' AND w.doneAt = $doneAt
SET w += $props
RETURN w.id AS id
"""

# Every item of the graph with its latest figures (the analysis reads them to verify).
ALL_ITEMS = f"""
MATCH (w:WorkItem) WHERE w.lastSeenRun IS NOT NULL
RETURN w {_STATE} AS state, w {FIGURES.projection()} AS figures,
       w {VERIFICATION.projection()} AS verification
"""

# ---- the API's reads of the run it pins ---------------------------------------------------

_ROW: Final = (
    "{state: w " + _STATE + ", stale: f IS NULL, "
    "figures: CASE WHEN f IS NULL THEN w "
    + FIGURES.projection()
    + " ELSE f "
    + FIGURES.projection()
    + " END, verification: w "
    + VERIFICATION.projection()
    + "}"
)

# Items of $statuses: the run's, ranked, then the stale ones (latest found first).
QUEUE = of_analysis(f"""
  MATCH (w:WorkItem) WHERE w.status IN $statuses
  OPTIONAL MATCH (f:WorkItemFigures {{run: run, itemId: w.id}})
  WITH w, f WHERE f IS NOT NULL OR w.lastSeenRun IS NOT NULL
  WITH w, f ORDER BY f IS NULL, f.rank, w.firstSeenAt DESC, w.id
  LIMIT $limit
  RETURN collect({_ROW}) AS rows
""")

ITEMS = of_analysis(f"""
  UNWIND $ids AS id
  MATCH (w:WorkItem {{id: id}})
  OPTIONAL MATCH (f:WorkItemFigures {{run: run, itemId: w.id}})
  WITH w, f WHERE f IS NOT NULL OR w.lastSeenRun IS NOT NULL
  RETURN collect({_ROW}) AS rows
""")

# How many items of each status (stale ones apart), and the verdicts of DONE items.
SUMMARY = of_analysis(f"""
  MATCH (w:WorkItem)
  OPTIONAL MATCH (f:WorkItemFigures {{run: run, itemId: w.id}})
  WITH w, f WHERE f IS NOT NULL OR w.lastSeenRun IS NOT NULL
  RETURN collect({{status: w.status, stale: f IS NULL,
                  verification: w {VERIFICATION.projection()}}}) AS rows
""")
