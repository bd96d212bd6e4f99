"""Cypher of `pathrank analyze`: what it reads, what GDS projects, the lock, and how a run's
results are staged, made current, published and deleted (docs/graph-model.md, "Analysis
runs").

Every result a run writes is tagged with its run id and invisible until the switch moves the
`(:Meta {id: 'analysis'})` pointer to it; the API reads through that pointer. Large writes
and deletes go in bounded transactions, each retried on a deadlock by the driver.
"""

from __future__ import annotations

from typing import Final

from graph_model.alert import cypher as alert_cypher
from graph_model.change import cypher as change_cypher
from graph_model.link import cypher as link_cypher
from graph_model.page.record import FIGURES, VERSION
from graph_model.path.record import Path
from graph_model.properties import properties_of
from graph_model.resolution import cypher as resolution_cypher
from graph_model.run.record import AnalysisRun
from graph_model.search import cypher as search_cypher
from graph_model.statements import of_analysis, staged
from graph_model.work import cypher as work_cypher

# What analysis needs of a path (its click keys are ingest's bookkeeping).
_ANALYSED_PATH: Final = properties_of(Path).projection(skip=frozenset({"keys"}))

PATHS = f"MATCH (p:Path) RETURN p {_ANALYSED_PATH} AS path"

# The paths that started in a window [$since, $until) (from the path_start index).
PATHS_IN_WINDOW = f"""
MATCH (p:Path) WHERE p.start >= $since AND p.start < $until
RETURN p {_ANALYSED_PATH} AS path
"""

# How many completed paths started in a window [$since, $until): none, and an analysis
# would make empty results current (it is refused unless asked for).
COMPLETED_IN_WINDOW = """
MATCH (p:Path) WHERE p.start >= $since AND p.start < $until AND p.outcome <> 'OPEN'
RETURN count(p) AS n
"""

DECLARED_LINKS = """
MATCH (p:Page) WHERE p.title IS NOT NULL OR EXISTS { (p)-[:LINKS_TO]->() }
RETURN p.id AS id, [(p)-[:LINKS_TO]->(t) | t.id] AS links
"""

PAGE_NODE_IDS = "MATCH (p:Page) RETURN p.id AS id, id(p) AS nodeId"

PAGE_VERSIONS = f"MATCH (v:PageVersion) RETURN v {VERSION.projection()} AS v"

CUSTOMER_NODE_IDS = "MATCH (c:Customer) RETURN c.id AS id, id(c) AS nodeId"

# A windowed run's customers only.
CUSTOMER_NODE_IDS_OF = """
UNWIND $ids AS cid
MATCH (c:Customer {id: cid})
RETURN c.id AS id, id(c) AS nodeId
"""

# ---- what GDS projects ------------------------------------------------------------------

# Native projection of the transition graph, weighted by click count.
PAGE_LABEL: Final = "Page"
TRANSITION_TYPE: Final = "TRANSITION"
TRANSITION_WEIGHT: Final = "count"

# Every customer with the sorted node ids of the pages it visited as a list property, for
# Jaccard similarity in GDS KNN (computed in the projection: nothing is written).
CUSTOMER_PAGE_SETS = """
MATCH (c:Customer)-[:VISITED]->(p:Page)
WITH c, id(p) AS page ORDER BY page
WITH c, collect(page) AS pages
RETURN gds.graph.project($graph_name, c, null,
  {sourceNodeProperties: {pages: pages}, targetNodeProperties: null})
"""
CUSTOMER_PAGES: Final = "pages"

# The reversed TRANSITION graph (clicks 1, cost -ln p with p = count / the page's onward
# clicks), plus edges of weight 0 from a virtual node $source (an id no page has) to the
# resolution pages $targets. p is computed here from one read of each page's transitions
# (never written on them: ingest updates them all the time), so it stays in (0, 1] even while
# ingest changes counts.


def _routes(out: str) -> str:
    """The routes projection from `out`: rows of each page `a` (a node id) with `out`, the
    [next page's node id, clicks] of its transitions."""
    return f"""
CALL () {{
  {out}
  WITH a, out, reduce(total = 0, o IN out | total + o[1]) AS total
  UNWIND out AS o
  RETURN o[0] AS source, a AS target, 1.0 AS clicks, -log(toFloat(o[1]) / total) AS cost
  UNION ALL
  UNWIND $targets AS target
  RETURN $source AS source, target, 0.0 AS clicks, 0.0 AS cost
}}
RETURN gds.graph.project($graph_name, source, target,
  {{relationshipProperties: {{clicks: clicks, cost: cost}}}})
"""


ROUTES_TO_RESOLUTION = _routes(
    "MATCH (p:Page)-[t:TRANSITION]->(b:Page) WHERE t.count > 0 "
    "WITH id(p) AS a, collect([id(b), t.count]) AS out"
)

# A windowed run projects what its paths give, not the graph's all-time aggregates: rows of
# node ids computed from the window's paths (algorithms.window).

# [source page node id, target page node id, clicks]
TRANSITION_ROWS = """
UNWIND $rows AS r
RETURN gds.graph.project($graph_name, r[0], r[1], {relationshipProperties: {count: toFloat(r[2])}})
"""

TRANSITION_ROWS_REVERSED = """
UNWIND $rows AS r
RETURN gds.graph.project($graph_name, r[1], r[0], {relationshipProperties: {count: toFloat(r[2])}})
"""

# ROUTES_TO_RESOLUTION on rows [source, target, clicks] instead of TRANSITION.
ROUTES_FROM_ROWS = _routes("UNWIND $rows AS r WITH r[0] AS a, collect([r[1], r[2]]) AS out")

# [customer node id, sorted page node ids]: CUSTOMER_PAGE_SETS over the window's paths.
CUSTOMER_PAGE_ROWS = """
UNWIND $rows AS r
RETURN gds.graph.project($graph_name, r[0], null,
  {sourceNodeProperties: {pages: r[1]}, targetNodeProperties: null})
"""

# ---- the lock: (:Meta {id: 'analysis-lock'}) ----------------------------------------------

LOCK_ID: Final = "analysis-lock"

# Writing the node first takes its write lock: whoever reads it next in this transaction
# reads what the last holder committed, and nobody else can claim it until we commit.
CLAIM_LOCK = f"MERGE (l:Meta {{id: '{LOCK_ID}'}}) SET l.claimedAt = timestamp()"

READ_LOCK = f"""
MATCH (l:Meta {{id: '{LOCK_ID}'}})
RETURN l.run AS run, l.host AS host, l.pid AS pid, l.processKey AS processKey,
       l.startedAt AS startedAt, l.heartbeat AS heartbeat, timestamp() AS now
"""

# The lock taken and the run recorded RUNNING, with the watermark it is about to analyse.
TAKE_LOCK = f"""
MATCH (l:Meta {{id: '{LOCK_ID}'}})
SET l.run = $run, l.host = $host, l.pid = $pid, l.processKey = $processKey,
    l.startedAt = timestamp(), l.heartbeat = timestamp()
WITH l
OPTIONAL MATCH (w:Meta {{id: 'watermark'}})
CREATE (r:AnalysisRun {{id: $run}})
SET r.startedAt = l.startedAt, r.status = 'RUNNING', r.watermark = w.value,
    r.holder = $holder
RETURN r.startedAt AS startedAt
"""

# A run is RUNNING only while its process holds the lock: any other one died.
FAIL_DEAD_RUNS = """
MATCH (r:AnalysisRun {status: 'RUNNING'})
WHERE r.id <> $run
SET r.status = 'FAILED', r.error = $error, r.finishedAt = timestamp()
RETURN count(r) AS n
"""

HEARTBEAT = f"""
MATCH (l:Meta {{id: '{LOCK_ID}'}}) WHERE l.run = $run
SET l.heartbeat = timestamp()
RETURN count(l) AS held
"""

RELEASE_LOCK = f"""
MATCH (l:Meta {{id: '{LOCK_ID}'}}) WHERE l.run = $run
REMOVE l.run, l.host, l.pid, l.processKey, l.startedAt, l.heartbeat
"""

FAIL_RUN = """
MATCH (r:AnalysisRun {id: $run}) WHERE r.status = 'RUNNING'
SET r += $record, r.status = 'FAILED', r.error = $error, r.finishedAt = timestamp()
"""

# ---- staging: the run's results, invisible until the switch -------------------------------

STAGE_COMMUNITIES = staged("Community")

# customerId on the relationship: the API lists a community's members in id order from the
# (run, community, customerId) index.
STAGE_MEMBERSHIPS = """
UNWIND $rows AS r
MATCH (c:Customer) WHERE id(c) = r[0]
MATCH (k:Community {run: $run, id: r[1]}) USING INDEX k:Community(run, id)
CREATE (c)-[:MEMBER_OF {run: $run, community: r[1], customerId: c.id}]->(k)
"""

STAGE_SIMILAR = """
UNWIND $rows AS r
MATCH (a:Customer) WHERE id(a) = r[0]
MATCH (b:Customer) WHERE id(b) = r[1]
CREATE (a)-[:SIMILAR {run: $run, score: r[2]}]->(b)
"""

STAGE_SUGGESTIONS = """
UNWIND $rows AS r
MATCH (a:Page {id: r.from}) USING INDEX a:Page(id)
MATCH (b:Page {id: r.to}) USING INDEX b:Page(id)
CREATE (a)-[:SUGGESTED_LINK {run: $run, clicksSaved: r.clicksSaved, paths: r.paths,
                              meanClicksSaved: r.meanClicksSaved, rank: r.rank}]->(b)
"""

STAGE_PAGE_FIGURES = """
UNWIND $rows AS r
CREATE (f:PageFigures)
SET f = r.props, f.run = $run, f.pageId = r.id
"""

# ---- the switch: one short transaction makes the run current -----------------------------

# Refreshes the heartbeat and proves the lock is still ours, in the switching transaction.
HOLDS_LOCK = HEARTBEAT

SWITCH = """
MERGE (m:Meta {id: 'analysis'})
WITH m, m.run AS previous
SET m.run = $run, m.switchedAt = timestamp()
WITH previous
MATCH (r:AnalysisRun {id: $run})
SET r += $record, r.status = 'COMPLETE', r.finishedAt = timestamp()
WITH previous
OPTIONAL MATCH (p:AnalysisRun {id: previous})
SET p.retiredAt = timestamp()
RETURN previous
"""

FINISH_RUN = "MATCH (r:AnalysisRun {id: $run}) SET r += $record"

# ---- publishing: the current run's figures as plain Page and Customer properties ---------

CURRENT = """
OPTIONAL MATCH (m:Meta {id: 'analysis'})
RETURN m.run AS run, m.published AS published, m.legacyCleared AS legacyCleared
"""

# What publishing copies: the staged page figures and memberships of a run.
STAGED_PAGE_FIGURES = f"""
MATCH (f:PageFigures {{run: $run}})
RETURN f.pageId AS id, f {FIGURES.projection()} AS props
"""

STAGED_MEMBERSHIPS = """
MATCH ()-[m:MEMBER_OF]->() WHERE m.run = $run
RETURN m.customerId AS id, m.community AS community
"""

PUBLISH_PAGES = """
UNWIND $rows AS r
MATCH (p:Page {id: r.id}) USING INDEX p:Page(id)
SET p += r.props
"""

# Only where it changes: a rerun on the same graph rewrites nothing.
PUBLISH_MEMBERSHIPS = """
UNWIND $rows AS r
MATCH (c:Customer {id: r[0]}) USING INDEX c:Customer(id)
WITH c, r WHERE c.community IS NULL OR c.community <> r[1]
SET c.community = r[1]
"""

PUBLISHED = """
MATCH (m:Meta {id: 'analysis'}) WHERE m.run = $run
SET m.published = $run
"""

# ---- deleting results nobody can read any more --------------------------------------------

# Runs whose results can go: failed ones (never current), and those replaced more than the
# grace period ago.
DELETABLE_RUNS = """
OPTIONAL MATCH (m:Meta {id: 'analysis'})
WITH m.run AS current
MATCH (r:AnalysisRun)
WHERE r.status IN ['FAILED', 'COMPLETE'] AND NOT coalesce(r.resultsDeleted, false)
  AND r.id <> coalesce(current, '') AND r.id <> $run
  AND (r.status = 'FAILED' OR r.retiredAt <= timestamp() - $graceMs)
RETURN collect(r.id) AS runs
"""

# Milliseconds until a replaced run's results may be deleted.
GRACE_LEFT = """
MATCH (r:AnalysisRun {id: $run})
RETURN r.retiredAt + $graceMs - timestamp() AS wait
"""

# Before the first delete: a reader still pinned to the run sees this and retries.
DELETING_RESULTS = """
MATCH (r:AnalysisRun {id: $run})
SET r.resultsDeletedAt = coalesce(r.resultsDeletedAt, timestamp())
"""

RESULTS_DELETED = "MATCH (r:AnalysisRun {id: $run}) SET r.resultsDeleted = true"

# Each deletes one bounded batch of the run's results and returns how many; run until 0.
# Writes that look nodes up name their index: their plans must not depend on statistics that
# the run itself changes (a re-plan after one batch once picked a scan: 13 s for 5,000 rows).
_BATCH = "WITH x LIMIT $limit {delete} x RETURN count(*) AS n"
DELETE_BATCHES: Final = tuple(
    f"MATCH {match} USING INDEX {index} WHERE x.run = $run{also} " + _BATCH.format(delete=delete)
    for match, index, also, delete in (
        ("()-[x:SIMILAR]->()", "x:SIMILAR(run)", "", "DELETE"),
        (
            "()-[x:MEMBER_OF]->()",
            "x:MEMBER_OF(run, community, customerId)",
            " AND x.community IS NOT NULL AND x.customerId IS NOT NULL",
            "DELETE",
        ),
        ("()-[x:SUGGESTED_LINK]->()", "x:SUGGESTED_LINK(run)", "", "DELETE"),
        ("(x:Community)", "x:Community(run, id)", " AND x.id IS NOT NULL", "DETACH DELETE"),
        ("(x:PageFigures)", "x:PageFigures(run, pageId)", " AND x.pageId IS NOT NULL", "DELETE"),
        *(
            (match, index, also, "DELETE")
            for match, index, also in link_cypher.DELETED
            + resolution_cypher.DELETED
            + search_cypher.DELETED
            + change_cypher.DELETED
            + work_cypher.DELETED
            + alert_cypher.DELETED
        ),
        (
            "(x:PageSeries)",
            "x:PageSeries(run, pageId, interval)",
            " AND x.pageId IS NOT NULL AND x.interval IS NOT NULL",
            "DELETE",
        ),
        ("(x:SiteSeries)", "x:SiteSeries(run, interval)", " AND x.interval IS NOT NULL", "DELETE"),
        (
            "(x:Change)",
            "x:Change(run, kind, rank)",
            " AND x.kind IS NOT NULL AND x.rank IS NOT NULL",
            "DELETE",
        ),
    )
)

# Results of versions that wrote them untagged, in place (and TRANSITION.probability/cost,
# no longer stored), deleted once: the graph then says so on the pointer.
DELETE_LEGACY_BATCHES: Final = (
    "MATCH ()-[s:SIMILAR]->() WHERE s.run IS NULL "
    "WITH s LIMIT $limit DELETE s RETURN count(*) AS n",
    "MATCH ()-[s:SUGGESTED_LINK]->() WHERE s.run IS NULL "
    "WITH s LIMIT $limit DELETE s RETURN count(*) AS n",
    "MATCH (c:Community) WHERE c.run IS NULL "
    "WITH c LIMIT $limit DETACH DELETE c RETURN count(*) AS n",
    "MATCH ()-[t:TRANSITION]->() WHERE t.probability IS NOT NULL OR t.cost IS NOT NULL "
    "WITH t LIMIT $limit REMOVE t.probability, t.cost RETURN count(*) AS n",
)

LEGACY_DELETED = """
MERGE (m:Meta {id: 'analysis'})
SET m.legacyCleared = true
WITH m
MATCH (r:AnalysisRun) WHERE r.status IS NULL
SET r.status = 'COMPLETE', r.resultsDeleted = true
"""

# ---- the API's reads --------------------------------------------------------------------

_RUN: Final = properties_of(AnalysisRun).projection()

ANALYSIS_RUNS = f"""
MATCH (r:AnalysisRun)
WITH r ORDER BY r.startedAt DESC, r.id
LIMIT $limit
RETURN collect(r {_RUN}) AS rows
"""

ANALYSIS_RUN = f"""
MATCH (r:AnalysisRun {{id: $id}})
WITH r LIMIT 1
RETURN collect(r {_RUN}) AS rows
"""

# The run whose results the request reads.
CURRENT_RUN = of_analysis(f"""
  OPTIONAL MATCH (r:AnalysisRun {{id: run}})
  RETURN collect(r {_RUN}) AS rows
""")

# Whether a run's results are still all there (a pinned reader's last check).
RESULTS_INTACT = """
OPTIONAL MATCH (r:AnalysisRun {id: $run})
RETURN r IS NOT NULL AND r.resultsDeletedAt IS NULL AS intact
"""
