// The shortest and the most likely route to resolution from a page, beside what customers do.
// :param pageId => 'p000'
MATCH (p:Page {id: $pageId})
RETURN p.title AS page,
       [pid IN p.successPathFewest | COLLECT { MATCH (x:Page {id: pid}) RETURN x.title }[0]] AS fewestClicksRoute,
       p.successPathFewestClicks AS fewestClicks,
       [pid IN p.successPathLikely | COLLECT { MATCH (x:Page {id: pid}) RETURN x.title }[0]] AS mostLikelyRoute,
       round(p.successPathLikelyProbability, 3) AS routeProbability,
       round(p.observedMeanClicksToResolution, 2) AS observedMeanClicks,
       round(p.expectedClicksToResolution, 2) AS expectedClicks;
