"""The analysed graph as plain edge lists, for running other libraries on the same data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from neo4j import Driver

EXPORT_TRANSITIONS = """
MATCH (a:Page)-[t:TRANSITION]->(b:Page)
RETURN a.id AS source, b.id AS target, t.count AS count
"""

EXPORT_RESOLUTION_PAGES = "MATCH (p:Page) WHERE p.resolutions > 0 RETURN p.id AS id"

EXPORT_SIMILAR = """
MATCH (a:Customer)-[s:SIMILAR]->(b:Customer)
RETURN id(a) AS source, id(b) AS target, s.score AS score
"""


@dataclass(frozen=True, slots=True)
class AnalysedGraph:
    transitions: list[tuple[str, str, int]]  # page -> page, click count
    resolution_pages: list[str]  # pages where at least one path resolved
    similar: list[tuple[int, int, float]]  # customer node id -> customer node id, Jaccard


def export_analysed_graph(driver: Driver, database: str) -> AnalysedGraph:
    def records(query: str) -> list[Any]:
        found, _, _ = driver.execute_query(query, database_=database)
        return list(found)

    return AnalysedGraph(
        transitions=[(r["source"], r["target"], r["count"]) for r in records(EXPORT_TRANSITIONS)],
        resolution_pages=[r["id"] for r in records(EXPORT_RESOLUTION_PAGES)],
        similar=[(r["source"], r["target"], r["score"]) for r in records(EXPORT_SIMILAR)],
    )
