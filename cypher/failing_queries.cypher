// Top failing queries: what customers searched for in paths that then failed (escalated or
// abandoned), content gaps first, by the failed paths they account for beyond the site's rate.
// The figures of the current analysis run, published on (:Query).
MATCH (q:Query) WHERE q.paths > 0
RETURN q.text AS query, q.searches AS searches, q.paths AS paths, q.failedPaths AS failedPaths,
       round(q.failureRate, 3) AS failureRate, round(q.noResultRate, 3) AS noResultRate,
       round(q.pogoRate, 3) AS pogoRate, q.isContentGap AS contentGap,
       round(q.excessFailures, 1) AS excessFailures
ORDER BY contentGap DESC, excessFailures DESC, searches DESC
LIMIT 25;
