"""Cypher an analyst can paste into Neo4j Browser; `pathrank demo` prints them (more in cypher/)."""

from __future__ import annotations

from typing import Final

EXAMPLE_QUERIES: Final = (
    "MATCH (p:Path {outcome: 'RESOLVED'}) RETURN p.pages, p.length ORDER BY p.start LIMIT 10",
    "MATCH (a:Page)-[t:TRANSITION]->(b:Page) RETURN a.title, b.title, t.count, t.turnarounds "
    "ORDER BY t.turnarounds DESC LIMIT 10",
    "MATCH (c:Customer)-[:TOOK]->(p:Path) WITH c, count(p) AS n WHERE n > 2 "
    "MATCH (c)-[:TOOK]->(p:Path) RETURN c.id, p.pages, p.outcome ORDER BY c.id, p.start LIMIT 20",
)
