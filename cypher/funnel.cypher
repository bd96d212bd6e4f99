// A funnel over the completed paths that started in a window: per step, the paths that
// reached it and converted to the next (docs/analytics.md, "Funnels"). A step is a page id
// ({page: 'p000'}), a Java regular expression matched against whole page ids
// ({pattern: '.*article.*'}: unlike the API's patterns, Cypher's =~ matches the whole id),
// the search page ({page: 'search'}) or the path's end ({outcome: 'RESOLVED' | 'ESCALATED'}:
// after the last page, at the resolving click's or the marker's time). $withinMinutes: the
// conversion window after step 1 (null: the whole path). From the paths' arrays, so it holds
// after retention compacted clicks.
// :param steps => [{page: 'p000'}, {page: 'search'}, {pattern: 'p0[0-3].*'}, {outcome: 'RESOLVED'}]
// :param withinMinutes => 30
// :param since => datetime('2026-01-01T00:00:00Z')
// :param until => datetime('2027-01-01T00:00:00Z')
WITH $steps AS steps, size($steps) AS last
MATCH (p:Path)
WHERE p.start >= $since.epochMillis AND p.start < $until.epochMillis
  AND p.outcome IN ['RESOLVED', 'ABANDONED', 'ESCALATED']
WITH steps, last, p, p.pages AS pages, size(p.pages) AS n,
     p.timestamps + [CASE p.outcome
       WHEN 'ABANDONED' THEN null
       ELSE coalesce([(p)-[:ENDED_BY]->(m:Marker) | m.ts][0], last(p.timestamps))
     END] AS times
// m: the positions of the steps the path matched, each the first match after the last one;
// position n (after the last page) is where the resolution or escalation happened.
WITH steps, last, p, reduce(m = [], i IN range(0, n) |
       CASE
         WHEN size(m) < last
          AND CASE
                WHEN steps[size(m)].outcome IS NOT NULL
                  THEN i = n AND p.outcome = steps[size(m)].outcome
                WHEN steps[size(m)].pattern IS NOT NULL
                  THEN i < n AND pages[i] =~ steps[size(m)].pattern
                ELSE i < n AND pages[i] = steps[size(m)].page
              END
          AND (size(m) = 0 OR $withinMinutes IS NULL
               OR times[i] - times[m[0]] <= $withinMinutes * 60000)
         THEN m + i
         ELSE m
       END) AS m, times
UNWIND range(0, last - 1) AS k
WITH k, steps[k] AS step,
     count(CASE WHEN k < size(m) THEN 1 END) AS reached,
     count(CASE WHEN k + 1 < size(m) OR (k = last - 1 AND k < size(m)) THEN 1 END) AS converted,
     percentileCont(CASE WHEN k + 1 < size(m)
                         THEN (times[m[k + 1]] - times[m[k]]) / 60000.0 END, 0.5)
       AS medianMinutesToNext
RETURN k + 1 AS step, coalesce(step.page, step.pattern, step.outcome) AS matches, reached,
       converted, reached - converted AS dropped, medianMinutesToNext
ORDER BY step;
