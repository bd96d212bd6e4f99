"""The life of one analysis run's results: staged (tagged with the run, invisible),
switched (one short transaction moves the current-run pointer), published (copied onto Page
and Customer for Cypher users) and, once no reader can be on them, deleted.
docs/graph-model.md, "Analysis runs", says what readers see.

Writes go in bounded transactions, each a managed transaction the driver retries on a
transient error (a deadlock with ingest); rows are sent in a stable order so that
concurrent writers lock nodes in the same order as far as they can.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from neo4j import Driver, ManagedTransaction

from graph_model.alert import cypher as alert_q
from graph_model.alert.store import alert_rows
from graph_model.change import cypher as change_q
from graph_model.change.record import ChangeRecord
from graph_model.community.record import CommunityRecord
from graph_model.link import cypher as link_q
from graph_model.link.record import ENDS, LinkSuccess, MisleadingLink
from graph_model.page.record import PageFigures
from graph_model.properties import to_properties
from graph_model.resolution import cypher as resolution_q
from graph_model.resolution.record import ResolutionCurve
from graph_model.run import cypher as q
from graph_model.run.record import (
    RETIRED_RESULTS_GRACE_S,
    AnalysisRun,
    LockLostError,
    SimilarPair,
)
from graph_model.search import cypher as search_q
from graph_model.search.record import SearchFigures
from graph_model.series import cypher as series_q
from graph_model.series.record import StoredSeries
from graph_model.suggestion.record import LinkSuggestion
from graph_model.version import bump_graph_version
from graph_model.work import cypher as work_q
from graph_model.work.record import WorkResults
from graph_model.work.store import publish_work, staged_figure_rows, verification_rows

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


class RunResults(Protocol):
    """The results of one run (`run_id`), from staging to deletion."""

    @property
    def run_id(self) -> str: ...

    def prepare(self) -> None:
        """Finish what dead runs left: publish the current run if its publish was cut short,
        delete results nobody can read any more."""

    def stage_communities(
        self, communities: Sequence[CommunityRecord], memberships: Mapping[int, int]
    ) -> None: ...

    def stage_similar(self, similar: Sequence[SimilarPair]) -> None: ...

    def stage_suggestions(self, suggestions: Sequence[LinkSuggestion]) -> None: ...

    def stage_pages(self, pages: Mapping[str, PageFigures]) -> None: ...

    def stage_second_order(
        self,
        misleading: Sequence[MisleadingLink],
        success: Sequence[LinkSuccess],
        curves: Sequence[ResolutionCurve],
    ) -> None:
        """Misleading links, second-order success per link, and time-to-resolution curves."""

    def stage_series(self, series: Sequence[StoredSeries]) -> None: ...

    def stage_changes(self, changes: Sequence[ChangeRecord]) -> None: ...

    def stage_search(self, search: SearchFigures) -> None:
        """Every query's figures and the site's (docs/analytics.md, "18. Search")."""

    def stage_work(self, work: WorkResults) -> None:
        """The work queue's items, the verifications computed and the alerts to raise."""

    def switch(self, run: AnalysisRun) -> str | None:
        """Make the staged run current and COMPLETE in one transaction, if it still holds the
        lock (else LockLostError); the run it replaced, if any."""

    def publish(self) -> None:
        """Copy the run's page figures and communities onto Page and Customer."""

    def clean_up(self, retired: str | None) -> None:
        """Delete the results of runs nobody can read, waiting out the grace period of the
        run just `retired`."""

    def finish(self, run: AnalysisRun) -> None:
        """Record the run's final step times."""

    def fail(self, run: AnalysisRun, error: str) -> None:
        """Record the run FAILED (one attempt: the database may be what failed)."""

    def discard(self) -> None:
        """Delete what the failed run staged."""


class Neo4jRunResults:
    def __init__(self, driver: Driver, database: str, run_id: str) -> None:
        self.driver = driver
        self.database = database
        self._run_id = run_id

    @property
    def run_id(self) -> str:
        return self._run_id

    def _read(self, query: str, **params: Any) -> list[Any]:
        records, _, _ = self.driver.execute_query(query, params, database_=self.database)
        return list(records)

    def _write(self, query: str, **params: Any) -> list[Any]:
        """One managed write transaction (the driver retries it on deadlocks)."""

        def work(tx: ManagedTransaction) -> list[Any]:
            return list(tx.run(query, params))

        with self.driver.session(database=self.database) as session:
            return session.execute_write(work)

    def _stage(self, query: str, rows: Sequence[Any], size: int = _STAGE_BATCH) -> None:
        """`rows` tagged with this run, `size` rows per transaction."""
        for chunk in _chunks(rows, size):
            self._write(query, rows=chunk, run=self._run_id)

    def _drain(self, query: str, **params: Any) -> None:
        """Run a bounded delete until it deletes nothing."""
        while self._write(query, limit=_DELETE_BATCH, **params)[0]["n"]:
            pass

    def prepare(self) -> None:
        current = self._read(q.CURRENT)[0]
        if current["run"] is not None and current["published"] != current["run"]:
            self._publish(current["run"])
        if not current["legacyCleared"]:
            for statement in q.DELETE_LEGACY_BATCHES:
                self._drain(statement)
            self._write(q.LEGACY_DELETED)
        self._delete_unread()

    def stage_communities(
        self, communities: Sequence[CommunityRecord], memberships: Mapping[int, int]
    ) -> None:
        self._stage(q.STAGE_COMMUNITIES, [to_properties(c) for c in communities])
        members = sorted([node, community] for node, community in memberships.items())
        self._stage(q.STAGE_MEMBERSHIPS, members)

    def stage_similar(self, similar: Sequence[SimilarPair]) -> None:
        self._stage(q.STAGE_SIMILAR, sorted([a, b, score] for a, b, score in similar))

    def stage_suggestions(self, suggestions: Sequence[LinkSuggestion]) -> None:
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
        self._stage(q.STAGE_SUGGESTIONS, rows)

    def stage_pages(self, pages: Mapping[str, PageFigures]) -> None:
        rows = [{"id": page, "props": to_properties(f)} for page, f in sorted(pages.items())]
        self._stage(q.STAGE_PAGE_FIGURES, rows)

    def stage_second_order(
        self,
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
            self._stage(statement, rows)
        curve_rows = [to_properties(c) for c in curves]
        self._stage(resolution_q.STAGE_CURVES, curve_rows, _STAGE_BATCH // 10)

    def stage_series(self, series: Sequence[StoredSeries]) -> None:
        pages = [to_properties(s) for s in series if s.page_id is not None]
        site = [to_properties(s) for s in series if s.page_id is None]
        self._stage(series_q.STAGE_PAGE_SERIES, pages, _STAGE_SERIES)
        self._stage(series_q.STAGE_SITE_SERIES, site, _STAGE_SERIES)

    def stage_changes(self, changes: Sequence[ChangeRecord]) -> None:
        everyone = [to_properties(c) for c in changes if c.segment is None]
        by_segment = [to_properties(c) for c in changes if c.segment is not None]
        self._stage(change_q.STAGE_CHANGES, everyone)
        self._stage(change_q.STAGE_SEGMENT_CHANGES, by_segment)

    def stage_work(self, work: WorkResults) -> None:
        self._stage(work_q.STAGE_FIGURES, staged_figure_rows(work.items))
        self._stage(work_q.STAGE_VERIFICATIONS, verification_rows(work.verifications))
        self._stage(alert_q.STAGE_ALERTS, alert_rows(work.alerts))

    def stage_search(self, search: SearchFigures) -> None:
        rows = sorted((to_properties(q) for q in search.queries), key=lambda r: r["text"])
        self._stage(search_q.STAGE_QUERY_FIGURES, rows)
        self._write(search_q.STAGE_SITE_SEARCH, site=to_properties(search.site), run=self._run_id)

    def switch(self, run: AnalysisRun) -> str | None:
        if run.id != self._run_id:
            raise ValueError(f"run {run.id} switched through the results of run {self._run_id}")

        def work(tx: ManagedTransaction) -> str | None:
            if not tx.run(q.HOLDS_LOCK, run=run.id).single(strict=True)["held"]:
                raise LockLostError(f"analysis run {run.id} lost the lock before its switch")
            previous = tx.run(q.SWITCH, run=run.id, record=_record(run)).single(strict=True)
            bump_graph_version(tx)  # last: see graph_model.version
            return None if previous["previous"] is None else str(previous["previous"])

        with self.driver.session(database=self.database) as session:
            return session.execute_write(work)

    def publish(self) -> None:
        self._publish(self._run_id)

    def _publish(self, run_id: str) -> None:
        """Publish `run_id`: this run, or the current one whose publish a crash cut short."""
        self._copy(q.STAGED_PAGE_FIGURES, "id", q.PUBLISH_PAGES, _PUBLISH_PAGES, run_id)
        members = sorted(
            [r["id"], r["community"]] for r in self._read(q.STAGED_MEMBERSHIPS, run=run_id)
        )
        for member_rows in _chunks(members, _PUBLISH_CUSTOMERS):
            self._write(q.PUBLISH_MEMBERSHIPS, rows=member_rows)
        staged_queries = search_q.STAGED_QUERY_FIGURES
        self._copy(staged_queries, "text", search_q.PUBLISH_QUERIES, _PUBLISH_CUSTOMERS, run_id)
        with self.driver.session(database=self.database) as session:
            session.execute_write(publish_work, run_id)
        self._write(q.PUBLISHED, run=run_id)

    def _copy(self, staged: str, key: str, publish: str, size: int, run_id: str) -> None:
        """A run's staged figures ({key, props} rows) onto their nodes, in key order."""
        rows = sorted(
            ({key: r[key], "props": dict(r["props"])} for r in self._read(staged, run=run_id)),
            key=lambda r: str(r[key]),
        )
        for chunk in _chunks(rows, size):
            self._write(publish, rows=chunk)

    def clean_up(self, retired: str | None) -> None:
        if retired is not None:
            grace_ms = int(RETIRED_RESULTS_GRACE_S * 1000)
            rows = self._read(q.GRACE_LEFT, run=retired, graceMs=grace_ms)
            if rows and rows[0]["wait"] is not None and rows[0]["wait"] > 0:
                time.sleep(rows[0]["wait"] / 1000)
        self._delete_unread()

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

    def discard(self) -> None:
        self._delete_results(self._run_id)

    def _delete_unread(self) -> None:
        grace_ms = int(RETIRED_RESULTS_GRACE_S * 1000)
        for other in self._read(q.DELETABLE_RUNS, run=self._run_id, graceMs=grace_ms)[0]["runs"]:
            self._delete_results(other)

    def _delete_results(self, run_id: str) -> None:
        self._write(q.DELETING_RESULTS, run=run_id)  # first: pinned readers will notice
        for statement in q.DELETE_BATCHES:
            self._drain(statement, run=run_id)
        self._write(q.RESULTS_DELETED, run=run_id)


def _record(run: AnalysisRun) -> dict[str, Any]:
    """What the switch records of the run: counts and step times."""
    return to_properties(run, skip=_LIFECYCLE)


def _timing(run: AnalysisRun) -> dict[str, Any]:
    return {k: v for k, v in _record(run).items() if k in ("steps", "durationMs")}


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
