"""Cypher of live assist: the at-risk state on (:Path) (label `AtRisk` while at risk), the
outbox of announcements not yet acknowledged by Kafka, and the figures ingest scores with."""

from __future__ import annotations

from typing import Final

from graph_model.assist.record import ANNOUNCEMENT, STATE
from graph_model.page.record import FIGURES
from graph_model.path.record import Path
from graph_model.properties import properties_of

_PATH: Final = properties_of(Path).projection(skip=frozenset({"keys"}))
_STATE: Final = STATE.projection()
_STORED: Final = STATE.prop("risk_changes")
_AT_RISK: Final = STATE.prop("at_risk")
_SINCE: Final = STATE.prop("risk_since")

# ---- inside ingest's batch transaction ----------------------------------------------------

# The stored state of the batch's changed paths, read before their old versions go.
READ_STATES = f"""
UNWIND $ids AS id
MATCH (p:Path {{id: id}})
WHERE p.{_STORED} IS NOT NULL
RETURN id, p {_STATE} AS state
"""

# Paths at risk that ended without a click of this batch (the watermark closed them).
ENDED_AT_RISK = f"""
MATCH (p:Path:AtRisk)
WHERE p.outcome <> 'OPEN' AND NOT p.id IN $handled
RETURN p {_PATH} AS path, p {_STATE} AS state
"""

WRITE_STATES = """
UNWIND $states AS s
MATCH (p:Path {id: s.id})
SET p += s.props
FOREACH (_ IN CASE WHEN s.atRisk THEN [1] ELSE [] END | SET p:AtRisk)
FOREACH (_ IN CASE WHEN s.atRisk THEN [] ELSE [1] END | REMOVE p:AtRisk)
"""

# MERGE: an announcement is in the outbox at most once, whatever retried.
ADD_TO_OUTBOX = """
UNWIND $rows AS r
MERGE (a:AssistOutbox {id: r.id})
ON CREATE SET a += r, a.created = timestamp()
"""

# ---- the outbox, after the batch ------------------------------------------------------------

PENDING = f"""
MATCH (a:AssistOutbox)
WHERE a.sourceTopic = $topic AND a.sourcePartition IN $partitions
RETURN a {ANNOUNCEMENT.projection()} AS announcement, a.created AS created
"""

DELIVERED = "UNWIND $ids AS id MATCH (a:AssistOutbox {id: id}) DELETE a"

# ---- the figures paths are scored with -----------------------------------------------------

CURRENT_RUN = "OPTIONAL MATCH (m:Meta {id: 'analysis'}) RETURN m.run AS run"

RUN_FIGURES = f"""
MATCH (f:PageFigures {{run: $run}})
RETURN f.pageId AS id, f.{FIGURES.prop("success_probability")} AS success,
       f.{FIGURES.prop("is_hotspot")} AS hotspot
"""

# The run's second-order figures: chance per (previous page, page), and misleading links.
RUN_PAIRS = """
MATCH (a:Page)-[s:LINK_SUCCESS {run: $run}]->(b:Page)
RETURN a.id AS from, b.id AS to, s.successProbability AS chance, s.observations AS observations
"""

RUN_MISLEADING = """
MATCH (a:Page)-[m:MISLEADING_LINK {run: $run}]->(b:Page)
RETURN a.id AS from, b.id AS to
"""

# ---- the API ----------------------------------------------------------------------------

AT_RISK_PATHS = f"""
MATCH (p:Path:AtRisk)
WHERE p.outcome = 'OPEN'
WITH p ORDER BY p.{_SINCE} DESC, p.id
LIMIT $limit
RETURN collect({{path: p {_PATH}, state: p {_STATE}}}) AS rows
"""

AT_RISK_COUNT = (
    f"MATCH (p:Path:AtRisk) WHERE p.outcome = 'OPEN' AND p.{_AT_RISK} RETURN count(p) AS n"
)
