// A community's profile: its size, most visited pages, outcomes, and a few members.
// Read from the current analysis run, so it is exact even while a new run is written.
// :param community => 0
MATCH (m:Meta {id: 'analysis'})
MATCH (c:Community {run: m.run, id: $community})
MATCH (member:Customer)-[:MEMBER_OF {run: m.run}]->(c)
WITH c, collect(member.id)[0..5] AS someMembers
RETURN c.id AS community, c.size AS customers, c.topPages AS topPageIds,
       [pid IN c.topPages | COLLECT { MATCH (p:Page {id: pid}) RETURN p.title }[0]] AS topPages,
       round(c.resolutionRate, 3) AS resolutionRate, round(c.meanPathLength, 2) AS meanPathLength,
       round(c.turnaroundRate, 3) AS turnaroundRate, someMembers;
