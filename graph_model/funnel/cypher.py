"""The funnel statement: one pass over the completed paths that started in the window
(the path_start index), their `pages` and `timestamps` arrays, outcome and ending marker.

$steps: per step {pages, pattern, outcome} (graph_model.funnel.record.FunnelStepSpec.
parameter). A pattern step becomes the ids of the pages it matches first (the regular
expression runs once per page, not once per click). Per path, `m` collects the positions of
its matched steps in one walk over positions 0..n, where n (after the last page) is the
position of its resolution or escalation, at the time of the resolving click or the marker:
that time is read only for the paths that reached it (a marker is one more read), and its
conversion window checked after the walk (nothing matches after position n). The result is
one row per (step, converted, next page, outcome) with its paths and, for the converted, the
median minutes to the next step; step -1 counts the paths that entered none. A path without
step 1's page skips the walk.
"""

from __future__ import annotations

from typing import Final

FUNNEL: Final = """
CALL () {
  OPTIONAL MATCH (pg:Page) WHERE $patterns
  RETURN collect(pg.id) AS known
}
WITH [s IN $steps | CASE WHEN s.pattern IS NULL THEN s.pages
                         ELSE [id IN known WHERE id =~ s.pattern] END] AS stepPages,
     [s IN $steps | s.outcome] AS stepOutcomes, size($steps) AS last
MATCH (p:Path)
WHERE p.start >= $since AND p.start < $until AND p.outcome IN $completed
  AND ($segment IS NULL OR $segment IN p.segments)
WITH stepPages, stepOutcomes, last, p, p.pages AS pages, size(p.pages) AS n,
     p.timestamps AS ts
WITH stepPages, stepOutcomes, last, p, pages, n, ts,
     CASE WHEN stepOutcomes[0] IS NULL AND NOT any(x IN pages WHERE x IN stepPages[0]) THEN []
     ELSE reduce(m = [], i IN range(0, n) |
       CASE
         WHEN size(m) < last
          AND CASE WHEN stepOutcomes[size(m)] IS NULL
                   THEN i < n AND pages[i] IN stepPages[size(m)]
                          AND (size(m) = 0 OR $windowMs IS NULL OR ts[i] - ts[m[0]] <= $windowMs)
                   ELSE i = n AND p.outcome = stepOutcomes[size(m)] END
         THEN m + i
         ELSE m
       END) END AS m
// The time of the resolution or escalation (position n), read only for the paths that
// reached it: the resolving click's, or the marker's.
WITH p.outcome AS outcome, pages, n, m, ts,
     CASE WHEN last(m) = n THEN
       CASE WHEN p.endedBy IS NULL THEN last(ts)
            ELSE COLLECT { MATCH (p)-[:ENDED_BY]->(marker:Marker) RETURN marker.ts }[0] END
     END AS endTs
// Its window, checked after the walk: nothing can match after position n.
WITH outcome, pages, n, ts, endTs,
     CASE WHEN size(m) > 1 AND last(m) = n AND $windowMs IS NOT NULL
               AND endTs - ts[m[0]] > $windowMs
          THEN m[..-1] ELSE m END AS m
UNWIND CASE WHEN size(m) = 0 THEN [-1] ELSE range(0, size(m) - 1) END AS k
WITH k, k >= 0 AND (k + 1 < size(m) OR k = size($steps) - 1) AS converted,
     CASE WHEN k >= 0 AND k + 1 < size(m)
          THEN (coalesce(ts[m[k + 1]], endTs) - ts[m[k]]) / 60000.0 END AS minutes,
     CASE WHEN k >= 0 AND m[k] + 1 < n THEN pages[m[k] + 1] END AS next, outcome
WITH k, converted,
     CASE WHEN converted OR k < 0 THEN null ELSE next END AS next,
     CASE WHEN converted OR k < 0 THEN null ELSE outcome END AS outcome,
     minutes
WITH k, converted, next, outcome, count(*) AS paths, percentileCont(minutes, 0.5) AS median
RETURN collect({step: k, converted: converted, next: next, outcome: outcome, paths: paths,
                median: median}) AS rows
"""
