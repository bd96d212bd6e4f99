// Paths through a page: where customers came from, where they went next, and how the path
// ended (its outcome). From the paths' pages, so it holds after retention compacted clicks.
// :param pageId => 'p024'
MATCH (here:Page {id: $pageId})<-[:VISITED]-(:Customer)-[:TOOK]->(p:Path)
WHERE $pageId IN p.pages
UNWIND [i IN range(0, size(p.pages) - 1) WHERE p.pages[i] = $pageId] AS i
WITH p, CASE WHEN i > 0 THEN p.pages[i - 1] END AS prevId,
     CASE WHEN i < size(p.pages) - 1 THEN p.pages[i + 1] END AS nextId
OPTIONAL MATCH (prev:Page {id: prevId})
OPTIONAL MATCH (next:Page {id: nextId})
WITH coalesce(prev.title, prevId, '(path started here)') AS cameFrom,
     coalesce(next.title, nextId, '(path ended here)') AS wentTo,
     p.outcome AS outcome, count(*) AS visits
RETURN cameFrom, wentTo, outcome, visits
ORDER BY visits DESC, cameFrom, wentTo, outcome
LIMIT 20;
