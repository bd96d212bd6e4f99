// Weak pages: where content changes would help most customers (run `pathrank analyze` first).
// impact = visits x max(0, site success probability - page success probability).
MATCH (p:Page)
WHERE p.impact > 0 OR size(coalesce(p.weakReasons, [])) > 0
RETURN p.id AS page, p.title AS title, round(p.impact, 1) AS impact, p.weakReasons AS reasons,
       p.visits AS visits, round(p.successProbability, 3) AS successProbability,
       round(p.exitRate, 3) AS exitRate, round(p.turnaroundRate, 3) AS turnaroundRate
ORDER BY impact DESC
LIMIT 25;
