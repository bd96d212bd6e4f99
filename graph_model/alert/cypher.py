"""Cypher of alerts: raising them (once each), the webhook deliverer's claims and results,
and the API's status reads (docs/alerts.md)."""

from __future__ import annotations

from typing import Final

from graph_model.alert.record import ALERT, DELIVERY
from graph_model.statements import staged

# An analysis stages its alerts with its results; publishing raises them.
STAGE_ALERTS = staged("StagedAlert")

DELETED: Final = (("(x:StagedAlert)", "x:StagedAlert(run)", ""),)

# Raised once: a second raise of the same id changes nothing. A new item's alert only for
# the items in $newItems (no earlier run published them).
RAISE_STAGED = """
MATCH (s:StagedAlert {run: $run})
WHERE s.kind <> 'NEW_ITEM' OR s.itemId IN $newItems
MERGE (a:Alert {id: s.id})
  ON CREATE SET a += properties(s), a.run = null, a.createdAt = timestamp()
"""

RAISE = """
UNWIND $rows AS r
MERGE (a:Alert {id: r.id})
  ON CREATE SET a += r, a.createdAt = timestamp()
"""

# ---- the deliverer ------------------------------------------------------------------------

# A target receives the alerts raised from the first time a process that sends (or raises)
# alerts knew it.
REGISTER_TARGETS = """
UNWIND $targets AS t
MERGE (x:AlertTarget {id: t.id})
  ON CREATE SET x.since = timestamp()
SET x.host = t.host
"""

# A delivery for each alert a target has not got one for yet.
OPEN_DELIVERIES = """
UNWIND $targets AS tid
MATCH (t:AlertTarget {id: tid})
MATCH (a:Alert) WHERE a.createdAt >= t.since
  AND NOT EXISTS { MATCH (:AlertDelivery {id: a.id + '@' + tid}) }
CREATE (d:AlertDelivery {id: a.id + '@' + tid})
SET d.alertId = a.id, d.target = tid, d.host = t.host, d.state = 'PENDING', d.attempts = 0,
    d.nextAttemptAt = timestamp(), d.createdAt = timestamp()
RETURN count(d) AS n
"""

_DELIVERY: Final = DELIVERY.projection()
_ALERT: Final = ALERT.projection()

# Due deliveries, leased to this deliverer for $leaseMs (another one skips them meanwhile).
CLAIM_DUE = f"""
MATCH (d:AlertDelivery {{state: 'PENDING'}})
WHERE d.target IN $targets AND d.nextAttemptAt <= timestamp()
  AND coalesce(d.leaseUntil, 0) <= timestamp()
WITH d ORDER BY d.createdAt, d.id
LIMIT $limit
SET d.leaseUntil = timestamp() + $leaseMs
WITH d
MATCH (a:Alert {{id: d.alertId}})
RETURN d {_DELIVERY} AS delivery, a {_ALERT} AS alert
"""

DELIVERED = """
MATCH (d:AlertDelivery {id: $id})
SET d.state = 'DELIVERED', d.deliveredAt = timestamp(), d.attempts = d.attempts + 1,
    d.lastAttemptAt = timestamp(), d.lastError = null, d.leaseUntil = null
"""

# $giveUp: this was the last attempt (FAILED), else the next one in $waitMs.
ATTEMPT_FAILED = """
MATCH (d:AlertDelivery {id: $id})
SET d.attempts = d.attempts + 1, d.lastAttemptAt = timestamp(), d.lastError = $error,
    d.nextAttemptAt = timestamp() + $waitMs, d.leaseUntil = null,
    d.state = CASE WHEN $giveUp THEN 'FAILED' ELSE 'PENDING' END
"""

# ---- status -------------------------------------------------------------------------------

COUNTS = """
MATCH (d:AlertDelivery)
WITH d.state AS state, count(*) AS n, sum(CASE WHEN d.attempts > 0 THEN 1 ELSE 0 END) AS tried
RETURN collect({state: state, n: n, tried: tried}) AS rows
"""

# Deliveries of $states, latest first, with their alerts.
DELIVERIES = f"""
MATCH (d:AlertDelivery) WHERE d.state IN $states
WITH d ORDER BY coalesce(d.lastAttemptAt, d.createdAt) DESC, d.id
LIMIT $limit
OPTIONAL MATCH (a:Alert {{id: d.alertId}})
RETURN collect({{delivery: d {_DELIVERY}, alert: a {_ALERT}}}) AS rows
"""
