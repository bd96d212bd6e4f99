"""What `pathrank analyze` reads from the graph and how its results are written back."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol, TypeVar

from neo4j import Driver

from graph_model.admin import GraphAdmin, GraphCounts
from graph_model.path.record import Path
from graph_model.properties import from_properties, to_properties
from graph_model.run import cypher as q
from graph_model.run.record import AnalysisResults, AnalysisRun
from graph_model.version import bump_graph_version_now

_CHUNK = 10_000
T = TypeVar("T")


class AnalysisStore(Protocol):
    def paths(self) -> list[Path]:
        """Every path (without its click keys)."""

    def declared_links(self) -> dict[str, list[str]]:
        """Pages the `pages` topic described, with their declared links (maybe none)."""

    def page_node_ids(self) -> dict[str, int]: ...

    def customer_node_ids(self) -> dict[str, int]: ...

    def size(self) -> GraphCounts: ...

    def write_transition_probabilities(self) -> None: ...

    def reset_results(self) -> None:
        """Drop the previous run's derived relationships and nodes."""

    def write(self, results: AnalysisResults) -> None: ...


class Neo4jAnalysisStore:
    def __init__(self, driver: Driver, database: str) -> None:
        self.driver = driver
        self.database = database

    def _run(self, query: str, **params: Any) -> list[Any]:
        records, _, _ = self.driver.execute_query(query, params, database_=self.database)
        return list(records)

    def paths(self) -> list[Path]:
        # A path replaced by ingest while this reads can come back without properties.
        return [
            from_properties(Path, r["path"])
            for r in self._run(q.PATHS)
            if r["path"]["pages"] is not None
        ]

    def declared_links(self) -> dict[str, list[str]]:
        return {r["id"]: list(r["links"]) for r in self._run(q.DECLARED_LINKS)}

    def page_node_ids(self) -> dict[str, int]:
        return {r["id"]: r["nodeId"] for r in self._run(q.PAGE_NODE_IDS)}

    def customer_node_ids(self) -> dict[str, int]:
        return {r["id"]: r["nodeId"] for r in self._run(q.CUSTOMER_NODE_IDS)}

    def size(self) -> GraphCounts:
        return GraphAdmin(self.driver, self.database).counts()

    def write_transition_probabilities(self) -> None:
        self._run(q.TRANSITION_PROBABILITIES)

    def reset_results(self) -> None:
        with self.driver.session(database=self.database) as session:
            session.run(q.DELETE_SIMILAR).consume()
        self._run(q.DELETE_SUGGESTIONS)
        self._run(q.DELETE_COMMUNITIES)
        bump_graph_version_now(self.driver, self.database)  # the run's first writes

    def write(self, results: AnalysisResults) -> None:
        pages = [{"id": page, "props": to_properties(f)} for page, f in results.pages.items()]
        for rows in _chunks(pages):
            self._run(q.SET_PAGE_FIGURES, rows=rows)
        for member_rows in _chunks([[n, c] for n, c in results.memberships.items()]):
            self._run(q.SET_MEMBERSHIPS, rows=member_rows)
        for similar_rows in _chunks([list(pair) for pair in results.similar]):
            self._run(q.CREATE_SIMILAR, rows=similar_rows)
        self._run(q.CREATE_COMMUNITIES, rows=[to_properties(c) for c in results.communities])
        self._run(
            q.CREATE_SUGGESTIONS,
            rows=[
                {
                    "from": s.from_page_id,
                    "to": s.to_page_id,
                    "clicksSaved": s.clicks_saved,
                    "paths": s.paths,
                    "meanClicksSaved": s.mean_clicks_saved,
                    "rank": s.rank,
                }
                for s in results.suggestions
            ],
        )
        self.record(results.run)

    def record(self, run: AnalysisRun) -> None:
        self._run(q.RECORD_RUN, run=to_properties(run))
        bump_graph_version_now(self.driver, self.database)  # after the run's last write


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
