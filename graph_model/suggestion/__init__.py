"""The link suggestion aggregate: (:Page)-[:SUGGESTED_LINK]->(:Page), written by analysis."""
