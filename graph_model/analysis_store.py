"""What `pathrank analyze` reads from and writes back to the graph."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from neo4j import Driver

from graph_model import analysis_cypher as q
from graph_model.graph_version import bump_graph_version_now

_WRITE_CHUNK = 10_000


@dataclass(frozen=True, slots=True)
class AnalysisPath:
    customer_id: str
    pages: tuple[str, ...]
    outcome: str


@dataclass(frozen=True, slots=True)
class GraphSize:
    pages: int
    transitions: int
    customers: int
    paths: int
    clicks: int


class AnalysisStore(ABC):
    @abstractmethod
    def paths(self) -> list[AnalysisPath]: ...

    @abstractmethod
    def declared_links(self) -> dict[str, list[str]]:
        """Pages the `pages` topic described, with their declared links (maybe none)."""

    @abstractmethod
    def page_node_ids(self) -> dict[str, int]: ...

    @abstractmethod
    def customer_communities(self) -> dict[str, int]: ...

    @abstractmethod
    def size(self) -> GraphSize: ...

    @abstractmethod
    def write_transition_probabilities(self) -> None: ...

    @abstractmethod
    def reset_results(self) -> None: ...

    @abstractmethod
    def write_page_properties(self, rows: Mapping[str, Mapping[str, Any]]) -> None: ...

    @abstractmethod
    def write_communities(self, rows: Sequence[Mapping[str, Any]]) -> None: ...

    @abstractmethod
    def write_link_suggestions(self, rows: Sequence[Mapping[str, Any]]) -> None: ...

    @abstractmethod
    def record_run(self, run: Mapping[str, Any]) -> None: ...


class Neo4jAnalysisStore(AnalysisStore):
    def __init__(self, driver: Driver, database: str) -> None:
        self.driver = driver
        self.database = database

    def _run(self, query: str, **params: Any) -> list[Any]:
        records, _, _ = self.driver.execute_query(query, params, database_=self.database)
        return list(records)

    def paths(self) -> list[AnalysisPath]:
        return [
            AnalysisPath(r["customer"], tuple(r["pages"]), r["outcome"]) for r in self._run(q.PATHS)
        ]

    def declared_links(self) -> dict[str, list[str]]:
        return {r["id"]: list(r["links"]) for r in self._run(q.DECLARED_LINKS)}

    def page_node_ids(self) -> dict[str, int]:
        return {r["id"]: r["nodeId"] for r in self._run(q.PAGE_NODE_IDS)}

    def customer_communities(self) -> dict[str, int]:
        return {r["customer"]: r["community"] for r in self._run(q.CUSTOMER_COMMUNITIES)}

    def size(self) -> GraphSize:
        r = self._run(q.GRAPH_SIZE)[0]
        return GraphSize(r["pages"], r["transitions"], r["customers"], r["paths"], r["clicks"])

    def write_transition_probabilities(self) -> None:
        self._run(q.TRANSITION_PROBABILITIES)

    def reset_results(self) -> None:
        """Drop the previous run's derived relationships and nodes, so runs are idempotent."""
        with self.driver.session(database=self.database) as session:
            session.run(q.DELETE_SIMILAR).consume()
        self._run(q.DELETE_SUGGESTIONS)
        self._run(q.DELETE_COMMUNITIES)
        bump_graph_version_now(self.driver, self.database)  # the run's first writes

    def write_page_properties(self, rows: Mapping[str, Mapping[str, Any]]) -> None:
        items = [{"id": page, "props": dict(props)} for page, props in rows.items()]
        for start in range(0, len(items), _WRITE_CHUNK):
            self._run(q.SET_PAGE_PROPERTIES, rows=items[start : start + _WRITE_CHUNK])

    def write_communities(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self._run(q.CREATE_COMMUNITIES, rows=[dict(r) for r in rows])

    def write_link_suggestions(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self._run(q.CREATE_SUGGESTIONS, rows=[dict(r) for r in rows])

    def record_run(self, run: Mapping[str, Any]) -> None:
        # Nested values (per-step durations) are stored as one JSON string property.
        flat = {
            k: (orjson.dumps(v).decode() if isinstance(v, dict | list) else v)
            for k, v in run.items()
        }
        self._run(q.RECORD_RUN, run=flat)
        bump_graph_version_now(self.driver, self.database)  # after the run's last write
