"""`pathrank analyze`: every analysis figure (docs/analytics.md), written back into Neo4j.

GDS computes what it has algorithms for (PageRank, personalised PageRank, Dijkstra, KNN
similarity, Leiden); scipy computes the absorbing chain and the binomial tests. Each step is
timed. Everything computed is one `AnalysisResults`, written by graph_model at the end and
recorded as an (:AnalysisRun).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace

from graphdatascience import GraphDataScience

from algorithms.communities import community_profiles
from algorithms.gds.communities import Communities, communities
from algorithms.gds.ranks import page_rank, path_rank
from algorithms.gds.routes import SuccessRoute, success_routes
from algorithms.hotspots import high_exit_pages, turnaround_hotspots
from algorithms.link_suggestions import link_suggestions
from algorithms.markov import success_chain
from algorithms.observed import observe
from algorithms.page_figures import PageSteps, page_figures
from algorithms.weak_pages import weak_pages
from graph_model.page.record import PathMode
from graph_model.path.record import PathStats, path_stats
from graph_model.run.record import AnalysisResults, AnalysisRun
from graph_model.run.store import AnalysisStore

MAX_SUGGESTIONS = 200

StepReporter = Callable[[str], None]


class Analysis:
    """One analysis run over the graph in `store`, with GDS through `gds`."""

    def __init__(
        self, store: AnalysisStore, gds: GraphDataScience, on_step: StepReporter | None = None
    ) -> None:
        self.store = store
        self.gds = gds
        self.on_step = on_step or (lambda _s: None)
        self.run_id = uuid.uuid4().hex
        self.started_ms = int(time.time() * 1000)
        self.steps: dict[str, float] = {}
        self.statistics: PathStats | None = None  # of the paths analysed, once read

    @contextmanager
    def _step(self, name: str) -> Iterator[None]:
        self.on_step(name)
        t0 = time.perf_counter()
        yield
        self.steps[name] = time.perf_counter() - t0

    def run(self) -> AnalysisRun:
        store = self.store
        with self._step("reset previous results"):
            store.reset_results()
        with self._step("read paths"):
            size = store.size()
            paths = store.paths()
            self.statistics = path_stats(paths)
            observed = observe(paths)
            node_ids = store.page_node_ids()
        page_of = {n: p for p, n in node_ids.items()}
        resolution_ids = [
            node_ids[page]
            for page, obs in observed.pages.items()
            if obs.resolutions > 0 and page in node_ids
        ]
        with self._step("transition probabilities"):
            store.write_transition_probabilities()
        with self._step("pageRank (GDS)"):
            ranks = _by_page(page_rank(self.gds), page_of)
        with self._step("pathRank (GDS)"):
            path_ranks = _by_page(path_rank(self.gds, resolution_ids), page_of)
        with self._step("absorbing chain"):
            chain = success_chain(observed)
        with self._step("hotspots and high exits"):
            hotspots = turnaround_hotspots(observed)
            exits = high_exit_pages(observed)
        with self._step("shortest success paths (GDS)"):
            free = max(node_ids.values(), default=0) + 1
            fewest = _routes(self.gds, resolution_ids, PathMode.FEWEST_CLICKS, free, page_of)
            likely = _routes(self.gds, resolution_ids, PathMode.MOST_LIKELY, free, page_of)
        with self._step("weak pages"):
            weak = weak_pages(
                observed, chain, hotspots, exits, declared_links=store.declared_links()
            )
        with self._step("link suggestions"):
            suggestions = link_suggestions(paths, set(observed.transitions), limit=MAX_SUGGESTIONS)
        with self._step("communities (GDS)"):
            found = communities(self.gds)
            profiles = community_profiles(paths, _customer_communities(store, found))
        steps = PageSteps(
            observed=observed,
            chain=chain,
            hotspots={t.page_id: t for t in hotspots},
            exits={t.page_id: t for t in exits},
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
            clicks=size.clicks,
            hotspots=sum(t.significant for t in hotspots),
            high_exit_pages=sum(t.significant for t in exits),
            weak_pages=len(weak),
            communities=found.count,
            similar_pairs=len(found.similar),
            link_suggestions=len(suggestions),
            leiden_compute_s=found.leiden_compute_s,
        )
        results = AnalysisResults(
            run=run,
            pages={page: page_figures(page, steps) for page in node_ids},
            communities=profiles,
            memberships=found.memberships,
            similar=found.similar,
            suggestions=suggestions,
        )
        with self._step("write results"):
            store.write(replace(results, run=self._timed(run)))
        return self._timed(run)

    def _timed(self, run: AnalysisRun) -> AnalysisRun:
        """The run with the steps timed so far."""
        steps = {k: round(v, 4) for k, v in self.steps.items()}
        return replace(run, steps=steps, duration_ms=int(sum(self.steps.values()) * 1000))


def _by_page(scores: Mapping[int, float], page_of: Mapping[int, str]) -> dict[str, float]:
    return {page_of[n]: s for n, s in scores.items() if n in page_of}


def _routes(
    gds: GraphDataScience,
    resolution_ids: Sequence[int],
    mode: PathMode,
    free_node_id: int,
    page_of: Mapping[int, str],
) -> dict[str, tuple[tuple[str, ...], SuccessRoute]]:
    routes = success_routes(gds, resolution_ids, mode, free_node_id)
    return {
        page_of[node]: (tuple(page_of[n] for n in route.node_ids), route)
        for node, route in routes.items()
        if node in page_of
    }


def _customer_communities(store: AnalysisStore, found: Communities) -> dict[str, int]:
    """customer id -> community, from GDS's node ids."""
    return {
        customer: found.memberships[node]
        for customer, node in store.customer_node_ids().items()
        if node in found.memberships
    }
