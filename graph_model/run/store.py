"""What `pathrank analyze` reads from the graph, and the life of a run's results: staged
(tagged with the run, invisible), switched (one short transaction moves the current-run
pointer), published (copied onto Page and Customer for Cypher users) and, once no reader can
be on them, deleted. docs/graph-model.md, "Analysis runs", says what readers see.

Writes go in bounded transactions, each a managed transaction the driver retries on a
transient error (a deadlock with ingest); rows are sent in a stable order so that
concurrent writers lock nodes in the same order as far as they can.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from neo4j import Driver, ManagedTransaction

from graph_model.admin import GraphAdmin, GraphCounts
from graph_model.change import cypher as change_q
from graph_model.change.record import ChangeRecord
from graph_model.community.record import CommunityRecord
from graph_model.link import cypher as link_q
from graph_model.link.record import ENDS, LinkSuccess, MisleadingLink
from graph_model.page.record import PageFigures, PageVersion
from graph_model.path.record import Path
from graph_model.properties import from_properties, to_properties
from graph_model.resolution import cypher as resolution_q
from graph_model.resolution.record import ResolutionCurve
from graph_model.run import cypher as q
from graph_model.run.record import (
    RETIRED_RESULTS_GRACE_S,
    AnalysisRun,
    LockLostError,
    SimilarPair,
)
from graph_model.schema import ensure_schema
from graph_model.series import cypher as series_q
from graph_model.series.record import StoredSeries
from graph_model.suggestion.record import LinkSuggestion
from graph_model.timewindow import ALL_TIME, TimeWindow
from graph_model.version import bump_graph_version

T = TypeVar("T")

_STAGE_BATCH = 10_000  # rows per staging transaction
_STAGE_SERIES = 500  # series per transaction: each holds a few lists of every day's counts
_DELETE_BATCH = 10_000
_PUBLISH_PAGES = 200  # pages per transaction: each one is a lock ingest also wants
_PUBLISH_CUSTOMERS = 5_000

# Set by the run, never by ingest: not part of the record the switch writes.
_LIFECYCLE = frozenset(
    {
        "id",
        "started_at",
        "status",
        "error",
        "watermark",
        "holder",
        "finished_at",
        "retired_at",
        "results_deleted_at",
        "results_deleted",
    }
)


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

    def prepare(self, run_id: str) -> None:
        """Finish what dead runs left: publish the current run if its publish was cut short,
        delete results nobody can read any more."""

    def stage_communities(
        self, run_id: str, communities: Sequence[CommunityRecord], memberships: Mapping[int, int]
    ) -> None: ...

    def stage_similar(self, run_id: str, similar: Sequence[SimilarPair]) -> None: ...

    def stage_suggestions(self, run_id: str, suggestions: Sequence[LinkSuggestion]) -> None: ...

    def stage_pages(self, run_id: str, pages: Mapping[str, PageFigures]) -> None: ...

    def stage_second_order(
        self,
        run_id: str,
        misleading: Sequence[MisleadingLink],
        success: Sequence[LinkSuccess],
        curves: Sequence[ResolutionCurve],
    ) -> None:
        """Misleading links, second-order success per link, and time-to-resolution curves."""

    def stage_series(self, run_id: str, series: Sequence[StoredSeries]) -> None: ...

    def stage_changes(self, run_id: str, changes: Sequence[ChangeRecord]) -> None: ...

    def page_versions(self) -> list[PageVersion]:
        """Every version of every catalog page."""

    def switch(self, run: AnalysisRun) -> str | None:
        """Make the staged run current and COMPLETE in one transaction, if it still holds the
        lock (else LockLostError); the run it replaced, if any."""

    def publish(self, run_id: str) -> None:
        """Copy the run's page figures and communities onto Page and Customer."""

    def clean_up(self, run_id: str, retired: str | None) -> None:
        """Delete the results of runs nobody can read, waiting out the grace period of the
        run just `retired`."""

    def finish(self, run: AnalysisRun) -> None:
        """Record the run's final step times."""

    def fail(self, run: AnalysisRun, error: str) -> None:
        """Record the run FAILED (one attempt: the database may be what failed)."""

    def discard(self, run_id: str) -> None:
        """Delete what the failed run staged."""


class Neo4jAnalysisStore:
    def __init__(self, driver: Driver, database: str) -> None:
        self.driver = driver
        self.database = database

    # ---- reads --------------------------------------------------------------------------

    def _run(self, query: str, **params: Any) -> list[Any]:
        records, _, _ = self.driver.execute_query(query, params, database_=self.database)
        return list(records)

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

    # ---- writes -------------------------------------------------------------------------

    def _write(self, query: str, **params: Any) -> list[Any]:
        """One managed write transaction (the driver retries it on deadlocks)."""

        def work(tx: ManagedTransaction) -> list[Any]:
            return list(tx.run(query, params))

        with self.driver.session(database=self.database) as session:
            return session.execute_write(work)

    def _batches(self, query: str, rows: Sequence[Any], size: int, **params: Any) -> None:
        for chunk in _chunks(rows, size):
            self._write(query, rows=chunk, **params)

    def _drain(self, query: str, **params: Any) -> None:
        """Run a bounded delete until it deletes nothing."""
        while self._write(query, limit=_DELETE_BATCH, **params)[0]["n"]:
            pass

    def prepare(self, run_id: str) -> None:
        current = self._run(q.CURRENT)[0]
        if current["run"] is not None and current["published"] != current["run"]:
            self.publish(current["run"])
        if not current["legacyCleared"]:
            for statement in q.DELETE_LEGACY_BATCHES:
                self._drain(statement)
            self._write(q.LEGACY_DELETED)
        self._delete_unread(run_id)

    def stage_communities(
        self, run_id: str, communities: Sequence[CommunityRecord], memberships: Mapping[int, int]
    ) -> None:
        rows = [to_properties(c) for c in communities]
        self._batches(q.STAGE_COMMUNITIES, rows, _STAGE_BATCH, run=run_id)
        members = sorted([node, community] for node, community in memberships.items())
        self._batches(q.STAGE_MEMBERSHIPS, members, _STAGE_BATCH, run=run_id)

    def stage_similar(self, run_id: str, similar: Sequence[SimilarPair]) -> None:
        rows = sorted([a, b, score] for a, b, score in similar)
        self._batches(q.STAGE_SIMILAR, rows, _STAGE_BATCH, run=run_id)

    def stage_suggestions(self, run_id: str, suggestions: Sequence[LinkSuggestion]) -> None:
        rows = [
            {
                "from": s.from_page_id,
                "to": s.to_page_id,
                "clicksSaved": s.clicks_saved,
                "paths": s.paths,
                "meanClicksSaved": s.mean_clicks_saved,
                "rank": s.rank,
            }
            for s in suggestions
        ]
        self._batches(q.STAGE_SUGGESTIONS, rows, _STAGE_BATCH, run=run_id)

    def stage_pages(self, run_id: str, pages: Mapping[str, PageFigures]) -> None:
        rows = [{"id": page, "props": to_properties(f)} for page, f in sorted(pages.items())]
        self._batches(q.STAGE_PAGE_FIGURES, rows, _STAGE_BATCH, run=run_id)

    def stage_second_order(
        self,
        run_id: str,
        misleading: Sequence[MisleadingLink],
        success: Sequence[LinkSuccess],
        curves: Sequence[ResolutionCurve],
    ) -> None:
        for statement, links in (
            (link_q.STAGE_MISLEADING, misleading),
            (link_q.STAGE_SUCCESS, success),
        ):
            rows = sorted(
                (
                    {
                        "from": x.from_page_id,
                        "to": x.to_page_id,
                        "props": to_properties(x, skip=ENDS),
                    }
                    for x in links
                ),
                key=lambda r: (r["from"], r["to"]),
            )
            self._batches(statement, rows, _STAGE_BATCH, run=run_id)
        curve_rows = [to_properties(c) for c in curves]
        self._batches(resolution_q.STAGE_CURVES, curve_rows, _STAGE_BATCH // 10, run=run_id)

    def stage_series(self, run_id: str, series: Sequence[StoredSeries]) -> None:
        pages = [to_properties(s) for s in series if s.page_id is not None]
        site = [to_properties(s) for s in series if s.page_id is None]
        self._batches(series_q.STAGE_PAGE_SERIES, pages, _STAGE_SERIES, run=run_id)
        self._batches(series_q.STAGE_SITE_SERIES, site, _STAGE_SERIES, run=run_id)

    def stage_changes(self, run_id: str, changes: Sequence[ChangeRecord]) -> None:
        rows = [to_properties(c) for c in changes]
        self._batches(change_q.STAGE_CHANGES, rows, _STAGE_BATCH, run=run_id)

    def page_versions(self) -> list[PageVersion]:
        return [from_properties(PageVersion, r["v"]) for r in self._run(q.PAGE_VERSIONS)]

    def switch(self, run: AnalysisRun) -> str | None:
        def work(tx: ManagedTransaction) -> str | None:
            if not tx.run(q.HOLDS_LOCK, run=run.id).single(strict=True)["held"]:
                raise LockLostError(f"analysis run {run.id} lost the lock before its switch")
            previous = tx.run(q.SWITCH, run=run.id, record=_record(run)).single(strict=True)
            bump_graph_version(tx)  # last: see graph_model.version
            return None if previous["previous"] is None else str(previous["previous"])

        with self.driver.session(database=self.database) as session:
            return session.execute_write(work)

    def publish(self, run_id: str) -> None:
        pages = sorted(
            (
                {"id": r["id"], "props": dict(r["props"])}
                for r in self._run(q.STAGED_PAGE_FIGURES, run=run_id)
            ),
            key=lambda r: r["id"],
        )
        self._batches(q.PUBLISH_PAGES, pages, _PUBLISH_PAGES)
        members = sorted(
            [r["id"], r["community"]] for r in self._run(q.STAGED_MEMBERSHIPS, run=run_id)
        )
        self._batches(q.PUBLISH_MEMBERSHIPS, members, _PUBLISH_CUSTOMERS)
        self._write(q.PUBLISHED, run=run_id)

    def clean_up(self, run_id: str, retired: str | None) -> None:
        if retired is not None:
            rows = self._run(q.GRACE_LEFT, run=retired, graceMs=int(RETIRED_RESULTS_GRACE_S * 1000))
            if rows and rows[0]["wait"] is not None and rows[0]["wait"] > 0:
                time.sleep(rows[0]["wait"] / 1000)
        self._delete_unread(run_id)

    def finish(self, run: AnalysisRun) -> None:
        def work(tx: ManagedTransaction) -> None:
            tx.run(q.FINISH_RUN, run=run.id, record=_timing(run)).consume()
            bump_graph_version(tx)

        with self.driver.session(database=self.database) as session:
            session.execute_write(work)

    def fail(self, run: AnalysisRun, error: str) -> None:
        with (
            self.driver.session(database=self.database) as session,
            session.begin_transaction() as tx,
        ):
            tx.run(q.FAIL_RUN, run=run.id, record=_timing(run), error=error).consume()
            bump_graph_version(tx)
            tx.commit()

    def discard(self, run_id: str) -> None:
        self._delete_results(run_id)

    def _delete_unread(self, run_id: str) -> None:
        grace_ms = int(RETIRED_RESULTS_GRACE_S * 1000)
        for other in self._run(q.DELETABLE_RUNS, run=run_id, graceMs=grace_ms)[0]["runs"]:
            self._delete_results(other)

    def _delete_results(self, run_id: str) -> None:
        self._write(q.DELETING_RESULTS, run=run_id)  # first: pinned readers will notice
        for statement in q.DELETE_BATCHES:
            self._drain(statement, run=run_id)
        self._write(q.RESULTS_DELETED, run=run_id)


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


def _record(run: AnalysisRun) -> dict[str, Any]:
    """What the switch records of the run: counts and step times."""
    return to_properties(run, skip=_LIFECYCLE)


def _timing(run: AnalysisRun) -> dict[str, Any]:
    return {k: v for k, v in _record(run).items() if k in ("steps", "durationMs")}


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
