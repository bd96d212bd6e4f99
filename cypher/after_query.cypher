// What customers did right after searching a query: the page they clicked (or another search),
// how often, and how many of those journeys resolved. Completed paths, read from the paths'
// `pages` and `queries` lists (they stay when clicks are compacted).
// :param query => 'refund status'
MATCH (:Query {text: $query})<-[:SEARCHED]-(p:Path) WHERE p.outcome <> 'OPEN'
UNWIND range(0, size(p.pages) - 1) AS i
WITH p, i WHERE p.queries[i] = $query
WITH CASE
       WHEN i = size(p.pages) - 1 THEN '(left: the last step)'
       WHEN p.queries[i + 1] <> '' THEN '(searched again)'
       ELSE p.pages[i + 1]
     END AS next, p.outcome AS outcome
OPTIONAL MATCH (pg:Page {id: next})
RETURN next, pg.title AS title, count(*) AS searches,
       round(avg(CASE outcome WHEN 'RESOLVED' THEN 1.0 ELSE 0.0 END), 3) AS resolutionRate
ORDER BY searches DESC
LIMIT 20;
