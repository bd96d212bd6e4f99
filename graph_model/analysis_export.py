"""The analysed graph as plain edge lists, for running other libraries on the same data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from neo4j import Driver

from graph_model import analysis_cypher as q


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
        transitions=[(r["source"], r["target"], r["count"]) for r in records(q.EXPORT_TRANSITIONS)],
        resolution_pages=[r["id"] for r in records(q.EXPORT_RESOLUTION_PAGES)],
        similar=[(r["source"], r["target"], r["score"]) for r in records(q.EXPORT_SIMILAR)],
    )
