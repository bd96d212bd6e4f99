// One customer's journey: every path in time order, each click with its page and time.
// Set the parameter first in Neo4j Browser:  :param customerId => 'c00042'
MATCH (c:Customer {id: $customerId})-[:TOOK]->(path:Path)
MATCH (path)-[:FIRST]->(first:Click)
MATCH (path)-[:LAST]->(last:Click)
MATCH walk = (first)-[:NEXT*0..]->(last)
RETURN path.id AS pathId, path.outcome AS outcome, path.length AS length,
       datetime({epochMillis: path.start}) AS start,
       [k IN nodes(walk) | [(k)-[:ON]->(pg) | pg.title][0]] AS pages,
       path.turnarounds AS turnarounds
ORDER BY path.start;
