"""`pathrank analyze`: every analysis figure, written back into Neo4j as one unit.

GDS computes what it has algorithms for (PageRank, personalised PageRank, Dijkstra, KNN
similarity, Leiden); scipy computes the absorbing chain and the binomial tests. Each step is
timed. A run holds the analysis lock from start to end (one run at a time); everything it
computes is one `AnalysisResults`, staged invisibly, made current by one short switch, then
published for Cypher users; a failure before the switch leaves the previous run current and
records this one FAILED (docs/analytics.md, "Running the analysis").
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import replace
from enum import StrEnum
from typing import Final

from graphdatascience import GraphDataScience

from algorithms.changes import changes, segment_changes, tested_segments
from algorithms.communities import community_profiles
from algorithms.gds.communities import Communities, communities
from algorithms.gds.ranks import page_rank, path_rank
from algorithms.gds.routes import SuccessRoute, success_routes
from algorithms.hotspots import escalation_hotspots, high_exit_pages, turnaround_hotspots
from algorithms.link_suggestions import link_suggestions
from algorithms.markov import success_chain
from algorithms.observed import observe
from algorithms.page_figures import PageSteps, page_figures
from algorithms.path_arrays import PathArrays
from algorithms.resolution_times import resolution_curves
from algorithms.search import search_figures
from algorithms.second_order import (
    OrderTest,
    link_success,
    link_tests,
    misleading_into,
    misleading_links,
    order_test,
    triples,
)
from algorithms.series import Timeline, analysed_window, timelines
from algorithms.weak_pages import weak_pages
from algorithms.window import WindowRows, window_counts, window_rows
from algorithms.work.analysis import WorkFindings, WorkQueue, work_results
from graph_model.admin import GraphCounts
from graph_model.change.record import ChangeRecord
from graph_model.link.record import LinkSuccess, MisleadingLink
from graph_model.page.record import PageVersion, PathMode
from graph_model.path.record import Path, PathStats, path_stats
from graph_model.run.lock import HeldLock, Neo4jAnalysisLock, WaitReporter
from graph_model.run.record import (
    AnalysisResults,
    AnalysisRun,
    AnalysisStatus,
    NothingToAnalyzeError,
)
from graph_model.run.store import AnalysisStore
from graph_model.timewindow import ALL_TIME, MAX_PERIODS, Interval, TimeWindow
from graph_model.work.record import WorkResults

MAX_SUGGESTIONS = 200


class Step(StrEnum):
    """Every step of a run, in order (docs/analytics.md, "Running the analysis"): `on_step`
    gets their values."""

    PREPARE = "prepare"
    READ_PATHS = "read paths"
    PAGERANK = "pageRank (GDS)"
    PATHRANK = "pathRank (GDS)"
    ABSORBING_CHAIN = "absorbing chain"
    HOTSPOTS_AND_HIGH_EXITS = "hotspots and high exits"
    SHORTEST_SUCCESS_PATHS = "shortest success paths (GDS)"
    SECOND_ORDER = "second order"
    WEAK_PAGES = "weak pages"
    LINK_SUGGESTIONS = "link suggestions"
    TIME_TO_RESOLUTION = "time to resolution"
    COMMUNITIES = "communities (GDS)"
    SERIES = "series"
    CHANGES = "changes"
    SEARCH = "search"
    WORK_QUEUE = "work queue"
    STAGE_COMMUNITIES = "stage communities"
    STAGE_SIMILAR_CUSTOMERS = "stage similar customers"
    STAGE_LINK_SUGGESTIONS = "stage link suggestions"
    STAGE_SECOND_ORDER = "stage second order"
    STAGE_PAGE_FIGURES = "stage page figures"
    STAGE_SERIES = "stage series"
    STAGE_CHANGES = "stage changes"
    STAGE_SEARCH = "stage search"
    STAGE_WORK_QUEUE = "stage work queue"
    SWITCH = "switch"
    PUBLISH = "publish"
    CLEAN_UP = "clean up"


# The step names, in order (fault injection and the CLI name them).
STEPS: Final = tuple(step.value for step in Step)

StepReporter = Callable[[str], None]


class Analysis:
    """One analysis run over the graph in `store`, with GDS through `gds`, holding `lock`.

    `on_step` is called as each step starts, with its name (the CLI's spinner; tests inject
    faults there). `wait_s`: how long to wait for another run's lock (None: not at all).
    `window`: the paths analysed, by start time (docs/analytics.md, "Windows").
    """

    def __init__(
        self,
        store: AnalysisStore,
        gds: GraphDataScience,
        lock: Neo4jAnalysisLock,
        on_step: StepReporter | None = None,
        *,
        wait_s: float | None = None,
        on_wait: WaitReporter | None = None,
        window: TimeWindow = ALL_TIME,
        work: WorkQueue | None = None,
    ) -> None:
        self.store = store
        self.work = work or WorkQueue()
        self.window = window
        self.gds = gds
        self.lock = lock
        self.on_step = on_step or (lambda _s: None)
        self.wait_s = wait_s
        self.on_wait = on_wait
        self.run_id = uuid.uuid4().hex
        self.results = store.for_run(self.run_id)
        self.started_ms = int(time.time() * 1000)
        self.steps: dict[str, float] = {}
        self.statistics: PathStats | None = None  # of the paths analysed, once read
        self._held: HeldLock | None = None

    @contextmanager
    def _step(self, step: Step) -> Iterator[None]:
        if self._held is not None:
            self._held.check()  # a run that lost its lock stops at the next step
        self.on_step(step.value)
        t0 = time.perf_counter()
        yield
        self.steps[step.value] = time.perf_counter() - t0

    def run(self, *, allow_empty: bool = False) -> AnalysisRun:
        """The run, recorded COMPLETE; AnalysisLockedError if another run holds the lock;
        NothingToAnalyzeError, before anything is recorded, when no completed path started in
        the window (unless `allow_empty`: then its empty results become current)."""
        self.store.ensure_schema()
        if not allow_empty and self.store.completed_paths(self.window) == 0:
            raise NothingToAnalyzeError(self.window)
        with self.lock.acquire(self.run_id, wait_s=self.wait_s, on_wait=self.on_wait) as held:
            self._held = held
            self.started_ms = held.started_at
            switched = False
            record = AnalysisRun(id=self.run_id, started_at=self.started_ms)
            try:
                results = self._compute()
                record = results.run
                with self._step(Step.STAGE_COMMUNITIES):
                    self.results.stage_communities(results.communities, results.memberships)
                with self._step(Step.STAGE_SIMILAR_CUSTOMERS):
                    self.results.stage_similar(results.similar)
                with self._step(Step.STAGE_LINK_SUGGESTIONS):
                    self.results.stage_suggestions(results.suggestions)
                with self._step(Step.STAGE_SECOND_ORDER):
                    self.results.stage_second_order(
                        results.misleading_links,
                        results.link_success,
                        results.resolution_curves,
                    )
                with self._step(Step.STAGE_PAGE_FIGURES):
                    self.results.stage_pages(results.pages)
                with self._step(Step.STAGE_SERIES):
                    self.results.stage_series(results.series)
                with self._step(Step.STAGE_CHANGES):
                    self.results.stage_changes(results.changes)
                with self._step(Step.STAGE_SEARCH):
                    self.results.stage_search(results.search)
                with self._step(Step.STAGE_WORK_QUEUE):
                    self.results.stage_work(results.work)
                with self._step(Step.SWITCH):
                    retired = self.results.switch(self._timed(record))
                switched = True
                with self._step(Step.PUBLISH):
                    self.results.publish()
                with self._step(Step.CLEAN_UP):
                    self.results.clean_up(retired)
                done = self._timed(replace(record, status=AnalysisStatus.COMPLETE))
                self.results.finish(done)
                return done
            except BaseException as exc:
                if not switched:
                    self._fail(self._timed(record), exc)
                raise

    def _fail(self, record: AnalysisRun, exc: BaseException) -> None:
        """Record the run FAILED and drop what it staged, as far as the database lets us."""
        error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        try:
            self.results.fail(record, error)
        except Exception:
            return  # the database is what failed: the next run finds the lock stale
        with suppress(Exception):
            self.results.discard()

    def _projected(
        self, paths: Sequence[Path], node_ids: dict[str, int], size: GraphCounts
    ) -> tuple[WindowRows | None, dict[str, int] | None, GraphCounts]:
        """A windowed run projects its own paths' transitions and visits, and counts its own
        size; (None, None, size): the graph's."""
        if not self.window.bounded:
            return None, None, size
        customers = self.store.customer_node_ids([p.customer_id for p in paths])
        rows = window_rows(paths, node_ids, customers)
        return rows, customers, window_counts(paths, size.watermark_ms)

    def _compute(self) -> AnalysisResults:
        store = self.store
        with self._step(Step.PREPARE):
            self.results.prepare()
        with self._step(Step.READ_PATHS):
            size = store.size()
            paths = store.paths(self.window)
            self.statistics = path_stats(paths)
            observed = observe(paths)
            node_ids = store.page_node_ids()
            rows, customers, size = self._projected(paths, node_ids, size)
        transitions = None if rows is None else rows.transitions
        page_of = {n: p for p, n in node_ids.items()}
        resolution_ids = [
            node_ids[page]
            for page, obs in observed.pages.items()
            if obs.resolutions > 0 and page in node_ids
        ]
        with self._step(Step.PAGERANK):
            ranks = _by_page(page_rank(self.gds, transitions), page_of)
        with self._step(Step.PATHRANK):
            path_ranks = _by_page(path_rank(self.gds, resolution_ids, transitions), page_of)
        with self._step(Step.ABSORBING_CHAIN):
            chain = success_chain(observed)
        with self._step(Step.HOTSPOTS_AND_HIGH_EXITS):
            hotspots = turnaround_hotspots(observed)
            exits = high_exit_pages(observed)
            escalations = escalation_hotspots(observed)
        with self._step(Step.SHORTEST_SUCCESS_PATHS):
            free = max(node_ids.values(), default=0) + 1
            fewest = _routes(
                self.gds, resolution_ids, PathMode.FEWEST_CLICKS, free, page_of, transitions
            )
            likely = _routes(
                self.gds, resolution_ids, PathMode.MOST_LIKELY, free, page_of, transitions
            )
        with self._step(Step.SECOND_ORDER):
            arrays, misleading, order, pair_success = _second_order(paths)
        with self._step(Step.WEAK_PAGES):
            weak = weak_pages(
                observed,
                chain,
                hotspots,
                exits,
                escalations,
                declared_links=store.declared_links(),
                misleading_into=misleading_into(misleading),
            )
        with self._step(Step.LINK_SUGGESTIONS):
            suggestions = link_suggestions(paths, set(observed.transitions), limit=MAX_SUGGESTIONS)
        with self._step(Step.TIME_TO_RESOLUTION):
            curves = resolution_curves(arrays)
        with self._step(Step.COMMUNITIES):
            # No path, no visit: nothing to project (GDS refuses an empty projection).
            found = (
                communities(self.gds, rows=None if rows is None else rows.customer_pages)
                if paths
                else Communities({}, [], 0, 0.0)
            )
            if customers is None:
                customers = store.customer_node_ids()
            profiles = community_profiles(paths, _customer_communities(customers, found))
        with self._step(Step.SERIES):
            covered = analysed_window(paths, self.window, self.started_ms)
            periods = timelines(paths, covered)
        with self._step(Step.CHANGES):
            found_changes, segments, versions = _changes(
                periods[Interval.WEEK], paths, covered, store.page_versions()
            )
        with self._step(Step.SEARCH):
            searched = search_figures(paths)
        work = self._work_queue(
            paths,
            covered,
            size.watermark_ms,
            WorkFindings(
                observed=observed,
                chain=chain,
                weak=weak,
                tests=(hotspots, exits, escalations),
                misleading=misleading,
                suggestions=suggestions,
                changes=found_changes,
                segments_tested=segments,
                versions=versions,
                searched=searched,
            ),
        )
        steps = PageSteps(
            observed=observed,
            chain=chain,
            hotspots={t.page_id: t for t in hotspots},
            exits={t.page_id: t for t in exits},
            escalations={t.page_id: t for t in escalations},
            weak={w.page_id: w for w in weak},
            page_rank=ranks,
            path_rank=path_ranks,
            fewest={p: route for p, (route, _) in fewest.items()},
            likely=likely,
        )
        run = AnalysisRun(
            id=self.run_id,
            started_at=self.started_ms,
            **{k: getattr(size, k) for k in ("pages", "transitions", "customers", "paths")},
            # The clicks of the paths read: with retention, older paths keep no Click nodes.
            clicks=sum(p.length for p in paths),
            hotspots=sum(t.significant for t in hotspots),
            high_exit_pages=sum(t.significant for t in exits),
            escalation_hotspots=sum(t.significant for t in escalations),
            weak_pages=len(weak),
            communities=found.count,
            similar_pairs=len(found.similar),
            link_suggestions=len(suggestions),
            leiden_compute_s=found.leiden_compute_s,
            misleading_links=len(misleading),
            markov_order_statistic=order.statistic if order.p_value is not None else None,
            markov_order_degrees_of_freedom=order.degrees_of_freedom,
            markov_order_p_value=order.p_value,
            markov_order_transitions=order.transitions,
            status=AnalysisStatus.RUNNING,
            since=self.window.since,
            until=self.window.until,
            changes=sum(c.significant for c in found_changes if c.segment is None),
            searches=searched.site.searches,
            content_gaps=searched.site.content_gaps,
        )
        return AnalysisResults(
            run=run,
            pages={page: page_figures(page, steps) for page in node_ids},
            communities=profiles,
            memberships=found.memberships,
            similar=found.similar,
            suggestions=suggestions,
            misleading_links=misleading,
            link_success=pair_success,
            resolution_curves=curves,
            # A series is served up to MAX_PERIODS periods: a longer one is not stored (a
            # history back to 2000 would be 9,000 daily points per page).
            series=[
                s
                for timeline in periods.values()
                if len(timeline.starts) <= MAX_PERIODS
                for s in timeline.stored()
            ],
            changes=found_changes,
            search=searched,
            work=work,
        )

    def _work_queue(
        self,
        paths: Sequence[Path],
        covered: TimeWindow,
        watermark_ms: int | None,
        found: WorkFindings,
    ) -> WorkResults:
        """The work queue step: the items, their verifications and the alerts."""
        with self._step(Step.WORK_QUEUE):
            return work_results(
                self.work,
                self.store,
                paths,
                covered,
                watermark_ms,
                found,
                window_bounded=self.window.bounded,
                now_ms=self.started_ms,
            )

    def _timed(self, run: AnalysisRun) -> AnalysisRun:
        """The run with the steps timed so far."""
        steps = {k: round(v, 4) for k, v in self.steps.items()}
        return replace(run, steps=steps, duration_ms=int(sum(self.steps.values()) * 1000))


def _changes(
    weekly: Timeline, paths: Sequence[Path], covered: TimeWindow, versions: list[PageVersion]
) -> tuple[list[ChangeRecord], int, list[PageVersion]]:
    """Everyone's changes and the catalog comparisons, then each large segment's changes;
    how many segments were tested; the catalog versions compared."""
    segments = tested_segments(paths, covered)
    found = [*changes(weekly, paths, versions), *segment_changes(segments, covered)]
    return found, len(segments), versions


def _by_page(scores: Mapping[int, float], page_of: Mapping[int, str]) -> dict[str, float]:
    return {page_of[n]: s for n, s in scores.items() if n in page_of}


def _routes(
    gds: GraphDataScience,
    resolution_ids: Sequence[int],
    mode: PathMode,
    free_node_id: int,
    page_of: Mapping[int, str],
    rows: Sequence[Sequence[int]] | None,
) -> dict[str, tuple[tuple[str, ...], SuccessRoute]]:
    routes = success_routes(gds, resolution_ids, mode, free_node_id, rows)
    return {
        page_of[node]: (tuple(page_of[n] for n in route.node_ids), route)
        for node, route in routes.items()
        if node in page_of
    }


def _customer_communities(customers: Mapping[str, int], found: Communities) -> dict[str, int]:
    """customer id -> community, from GDS's node ids."""
    return {
        customer: found.memberships[node]
        for customer, node in customers.items()
        if node in found.memberships
    }


def _second_order(
    paths: Sequence[Path],
) -> tuple[PathArrays, list[MisleadingLink], OrderTest, list[LinkSuccess]]:
    """Misleading links, the order test and second-order success per link (section 15)."""
    arrays = PathArrays.of(paths)
    counts = triples(arrays)
    return arrays, misleading_links(link_tests(counts)), order_test(counts), link_success(arrays)
