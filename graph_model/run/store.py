"""What `pathrank analyze` reads from the graph; each run writes its results through the
store bound to it (graph_model/run/results.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from graph_model.admin import GraphAdmin, GraphCounts
from graph_model.page.record import PageVersion
from graph_model.path.record import Path
from graph_model.properties import from_properties
from graph_model.run import cypher as q
from graph_model.run.results import Neo4jRunResults, RunResults
from graph_model.schema import ensure_schema
from graph_model.store import Neo4jStore
from graph_model.timewindow import ALL_TIME, TimeWindow
from graph_model.work.record import WorkItem
from graph_model.work.store import Neo4jWorkStore


class AnalysisStore(Protocol):
    """The graph as one analysis run sees it (docs/analytics.md, "Running the analysis")."""

    def ensure_schema(self) -> None: ...

    def paths(self, window: TimeWindow = ALL_TIME) -> list[Path]:
        """Every path that started in `window` (without its click keys), once each, skipping
        any that ingest replaced while it was read."""

    def completed_paths(self, window: TimeWindow = ALL_TIME) -> int:
        """Completed paths that started in `window`."""

    def declared_links(self) -> dict[str, list[str]]:
        """Pages the `pages` topic described, with their declared links (maybe none)."""

    def page_node_ids(self) -> dict[str, int]: ...

    def customer_node_ids(self, ids: Sequence[str] | None = None) -> dict[str, int]:
        """Every customer's node id (or those of `ids`)."""

    def size(self) -> GraphCounts: ...

    def page_versions(self) -> list[PageVersion]:
        """Every version of every catalog page."""

    def for_run(self, run_id: str) -> RunResults:
        """The results of run `run_id`, from staging to deletion."""

    def work_items(self) -> list[WorkItem]:
        """Every work item an analysis published, with its status and latest figures."""


class Neo4jAnalysisStore(Neo4jStore):
    def ensure_schema(self) -> None:
        ensure_schema(self.driver, self.database)

    def paths(self, window: TimeWindow = ALL_TIME) -> list[Path]:
        found: dict[str, Path] = {}
        rows = (
            self._run(q.PATHS_IN_WINDOW, since=window.low, until=window.high)
            if window.bounded
            else self._run(q.PATHS)
        )
        for r in rows:
            path = _whole_path(r["path"])
            if path is not None:
                found[path.id] = path  # a path recomputed while read: its last version
        return list(found.values())

    def completed_paths(self, window: TimeWindow = ALL_TIME) -> int:
        [row] = self._run(q.COMPLETED_IN_WINDOW, since=window.low, until=window.high)
        return int(row["n"])

    def declared_links(self) -> dict[str, list[str]]:
        return {r["id"]: list(r["links"]) for r in self._run(q.DECLARED_LINKS)}

    def page_node_ids(self) -> dict[str, int]:
        return {r["id"]: r["nodeId"] for r in self._run(q.PAGE_NODE_IDS)}

    def customer_node_ids(self, ids: Sequence[str] | None = None) -> dict[str, int]:
        if ids is None:
            return {r["id"]: r["nodeId"] for r in self._run(q.CUSTOMER_NODE_IDS)}
        rows = self._run(q.CUSTOMER_NODE_IDS_OF, ids=sorted(set(ids)))
        return {r["id"]: r["nodeId"] for r in rows}

    def size(self) -> GraphCounts:
        return GraphAdmin(self.driver, self.database).counts()

    def page_versions(self) -> list[PageVersion]:
        return [from_properties(PageVersion, r["v"]) for r in self._run(q.PAGE_VERSIONS)]

    def for_run(self, run_id: str) -> RunResults:
        return Neo4jRunResults(self.driver, self.database, run_id)

    def work_items(self) -> list[WorkItem]:
        return Neo4jWorkStore(self.driver, self.database).items()


def _whole_path(props: Mapping[str, Any]) -> Path | None:
    """The path in `props`, or None for a row of a path that ingest deleted or rewrote while
    it was read (missing or inconsistent properties)."""
    try:
        path = from_properties(Path, props)
    except (ValueError, TypeError):
        return None
    consistent = path.length == len(path.pages) > 0 and (
        not path.timestamps or len(path.timestamps) == path.length
    )
    return path if consistent else None
