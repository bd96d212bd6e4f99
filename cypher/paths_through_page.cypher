// Paths through a page: where customers came from, where they went next, and how it ended.
// :param pageId => 'p024'
MATCH (before:Click)-[:NEXT]->(here:Click)-[:ON]->(:Page {id: $pageId})
MATCH (before)-[:ON]->(prev:Page)
OPTIONAL MATCH (here)-[:NEXT]->(after:Click)-[:ON]->(next:Page)
WITH prev, next, count(*) AS customers
RETURN prev.title AS cameFrom, coalesce(next.title, '(path ended here)') AS wentTo, customers
ORDER BY customers DESC
LIMIT 20;
