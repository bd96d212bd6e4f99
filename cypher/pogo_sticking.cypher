// Pogo-sticking per query: the pages customers opened from a search and left straight back to
// search (the page did not answer the query), with how often that happened of their clicks.
MATCH (p:Path) WHERE p.queries IS NOT NULL AND p.outcome <> 'OPEN'
UNWIND range(0, size(p.pages) - 2) AS i
WITH p, i WHERE p.queries[i] <> '' AND p.queries[i + 1] = ''
WITH p.queries[i] AS query, p.pages[i + 1] AS page,
     i + 2 < size(p.pages) AND p.queries[i + 2] <> '' AS back
WITH query, page, count(*) AS clicks, sum(CASE WHEN back THEN 1 ELSE 0 END) AS pogos
WHERE pogos > 0
OPTIONAL MATCH (pg:Page {id: page})
RETURN query, page, pg.title AS title, clicks, pogos,
       round(toFloat(pogos) / clicks, 3) AS pogoRate
ORDER BY pogos DESC, pogoRate DESC
LIMIT 25;
