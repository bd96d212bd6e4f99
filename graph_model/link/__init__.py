"""The link aggregate: what analysis finds about a link A -> B from the page before B
(second order): (:Page)-[:MISLEADING_LINK]->(:Page) and (:Page)-[:LINK_SUCCESS]->(:Page)."""
