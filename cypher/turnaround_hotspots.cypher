// Turnaround hotspots: pages customers enter and immediately leave back to where they came from,
// significantly more often than the site as a whole (binomial test, Benjamini-Hochberg 5%).
MATCH (p:Page {isHotspot: true})
OPTIONAL MATCH (from:Page)-[t:TRANSITION]->(p)
WITH p, from, t ORDER BY t.turnarounds DESC
WITH p, collect({from: from.title, turnedBack: t.turnarounds, clicks: t.count})[0..3] AS worstEntries
RETURN p.id AS page, p.title AS title, p.turnarounds AS turnarounds,
       p.turnaroundOpportunities AS opportunities, round(p.turnaroundRate, 3) AS rate,
       p.hotspotQValue AS qValue, worstEntries
ORDER BY rate DESC;
