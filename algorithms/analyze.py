"""`pathrank analyze`: every figure of DESIGN.md section 6, written back into Neo4j.

GDS computes what it has algorithms for (PageRank, personalised PageRank, Dijkstra, KNN
similarity, Leiden); scipy computes the absorbing chain and the binomial tests. Each step is
timed, and the run is recorded as an (:AnalysisRun) node.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from graphdatascience import GraphDataScience

from algorithms import gds_steps
from algorithms.hotspots import RateTest, high_exit_pages, turnaround_hotspots
from algorithms.inputs import PathRecord, turnaround_positions
from algorithms.link_suggestions import link_suggestions
from algorithms.markov import SuccessChain, success_chain
from algorithms.observed import Observed, PathStatistics, observe, path_statistics
from algorithms.weak_pages import weak_pages
from graph_model.analysis_store import AnalysisPath, AnalysisStore

TOP_PAGES = 5
MAX_SUGGESTIONS = 200


@dataclass
class AnalysisReport:
    run_id: str
    started_ms: int
    steps_s: dict[str, float] = field(default_factory=dict)
    size: dict[str, int] = field(default_factory=dict)
    statistics: PathStatistics | None = None
    hotspots: int = 0
    high_exit: int = 0
    weak_pages: int = 0
    communities: int = 0
    similar_pairs: int = 0
    leiden_s: float = 0.0  # GDS Leiden compute time, inside the communities step
    link_suggestions: int = 0

    @property
    def total_s(self) -> float:
        return sum(self.steps_s.values())


StepReporter = Callable[[str], None]


class Analysis:
    """One analysis run over the graph in `store`, with GDS through `gds`."""

    def __init__(
        self, store: AnalysisStore, gds: GraphDataScience, on_step: StepReporter | None = None
    ) -> None:
        self.store = store
        self.gds = gds
        self.on_step = on_step or (lambda _s: None)
        self.report = AnalysisReport(uuid.uuid4().hex, int(time.time() * 1000))

    @contextmanager
    def _step(self, name: str) -> Iterator[None]:
        self.on_step(name)
        t0 = time.perf_counter()
        yield
        self.report.steps_s[name] = time.perf_counter() - t0

    def run(self) -> AnalysisReport:
        r = self.report
        with self._step("reset previous results"):
            self.store.reset_results()
        with self._step("read paths"):
            size = self.store.size()
            r.size = {
                "pages": size.pages,
                "transitions": size.transitions,
                "customers": size.customers,
                "paths": size.paths,
                "clicks": size.clicks,
            }
            paths = self.store.paths()
            records = [_record(p) for p in paths]
            observed = observe(records)
            r.statistics = path_statistics(records)
            node_ids = self.store.page_node_ids()
        resolution_ids = [
            node_ids[page]
            for page, obs in observed.pages.items()
            if obs.resolutions > 0 and page in node_ids
        ]
        page_props: dict[str, dict[str, Any]] = {page: {} for page in node_ids}
        with self._step("transition probabilities"):
            self.store.write_transition_probabilities()
        with self._step("pageRank (GDS)"):
            gds_steps.page_rank(self.gds)
        with self._step("pathRank (GDS)"):
            if resolution_ids:
                gds_steps.path_rank(self.gds, resolution_ids)
        with self._step("absorbing chain"):
            chain = success_chain(observed)
            _observed_props(page_props, observed, chain)
        with self._step("hotspots and high exits"):
            hotspots = turnaround_hotspots(observed)
            exits = high_exit_pages(observed)
            _test_props(page_props, hotspots, "hotspot", "isHotspot")
            _test_props(page_props, exits, "exit", "isHighExit")
            r.hotspots = sum(t.significant for t in hotspots)
            r.high_exit = sum(t.significant for t in exits)
        with self._step("shortest success paths (GDS)"):
            self._routes(page_props, node_ids, resolution_ids)
        with self._step("weak pages"):
            weak = weak_pages(
                observed, chain, hotspots, exits, declared_links=self.store.declared_links()
            )
            for page in page_props.values():
                page.update({"impact": 0.0, "weakReasons": []})
            for w in weak:
                page_props[w.page_id].update({"impact": w.impact, "weakReasons": list(w.reasons)})
            r.weak_pages = len(weak)
        with self._step("link suggestions"):
            suggestions = link_suggestions(
                records, set(observed.transitions), limit=MAX_SUGGESTIONS
            )
            self.store.write_link_suggestions(
                [
                    {
                        "from": s.from_page_id,
                        "to": s.to_page_id,
                        "clicksSaved": s.clicks_saved,
                        "paths": s.paths,
                        "meanClicksSaved": s.mean_clicks_saved,
                        "rank": rank,
                    }
                    for rank, s in enumerate(suggestions, start=1)
                ]
            )
            r.link_suggestions = len(suggestions)
        with self._step("communities (GDS)"):
            self._communities(paths)
        with self._step("write page properties"):
            self.store.write_page_properties(page_props)
        self.store.record_run(
            {
                "id": r.run_id,
                "startedAt": r.started_ms,
                "durationMs": int(r.total_s * 1000),
                "steps": {k: round(v, 4) for k, v in r.steps_s.items()},
                **r.size,
                "hotspots": r.hotspots,
                "highExitPages": r.high_exit,
                "weakPages": r.weak_pages,
                "communities": r.communities,
                "linkSuggestions": r.link_suggestions,
            }
        )
        return r

    def _communities(self, paths: list[AnalysisPath]) -> None:
        result = gds_steps.communities(self.gds)
        summaries = community_summaries(paths, self.store.customer_communities())
        self.store.write_communities(summaries)
        self.report.communities = result.communities
        self.report.similar_pairs = result.similar_pairs
        self.report.leiden_s = result.leiden_compute_s

    def _routes(
        self,
        page_props: dict[str, dict[str, Any]],
        node_ids: Mapping[str, int],
        resolution_ids: list[int],
    ) -> None:
        page_of = {n: p for p, n in node_ids.items()}
        for page in page_props.values():
            page.update(
                {
                    "successPathFewest": None,
                    "successPathFewestClicks": None,
                    "successPathLikely": None,
                    "successPathLikelyClicks": None,
                    "successPathLikelyProbability": None,
                }
            )
        if not resolution_ids:
            return
        modes: tuple[tuple[gds_steps.PathMode, str], ...] = (
            ("FEWEST_CLICKS", "successPathFewest"),
            ("MOST_LIKELY", "successPathLikely"),
        )
        for mode, prefix in modes:
            routes = gds_steps.success_routes(
                self.gds, resolution_ids, mode, free_node_id=max(node_ids.values()) + 1
            )
            for node, route in routes.items():
                props = page_props[page_of[node]]
                props[prefix] = [page_of[n] for n in route.node_ids]
                props[f"{prefix}Clicks"] = route.clicks
                if mode == "MOST_LIKELY":
                    props[f"{prefix}Probability"] = route.probability


def _record(p: AnalysisPath) -> PathRecord:
    return PathRecord(
        pages=p.pages,
        outcome=p.outcome,  # type: ignore[arg-type]
        turnaround_positions=turnaround_positions(p.pages),
    )


def _observed_props(
    page_props: dict[str, dict[str, Any]], observed: Observed, chain: SuccessChain
) -> None:
    for page, props in page_props.items():
        obs = observed.pages.get(page)
        success = chain.pages.get(page)
        props.update(
            {
                "visits": obs.visits if obs else 0,
                "exits": obs.exits if obs else 0,
                "exitRate": obs.exit_rate if obs else None,
                "resolutions": obs.resolutions if obs else 0,
                "turnarounds": obs.turnarounds if obs else 0,
                "turnaroundOpportunities": obs.turnaround_opportunities if obs else 0,
                "turnaroundRate": obs.turnaround_rate if obs else None,
                "observedMeanClicksToResolution": obs.mean_clicks_to_resolution if obs else None,
                "successProbability": success.success_probability if success else None,
                "expectedClicksToResolution": (
                    success.expected_clicks_to_resolution if success else None
                ),
            }
        )


def _test_props(
    page_props: dict[str, dict[str, Any]], tests: tuple[RateTest, ...], name: str, flag: str
) -> None:
    for props in page_props.values():
        props.update({flag: False, f"{name}PValue": None, f"{name}QValue": None})
    for t in tests:
        if t.page_id in page_props:
            page_props[t.page_id].update(
                {flag: t.significant, f"{name}PValue": t.p_value, f"{name}QValue": t.q_value}
            )


def community_summaries(
    paths: list[AnalysisPath], communities: Mapping[str, int]
) -> list[dict[str, Any]]:
    """DESIGN 6.6: per community its size, top pages, resolution rate, mean path length and
    turnaround rate, over the completed paths of its customers."""
    members: Counter[int] = Counter(communities.values())
    visits: dict[int, Counter[str]] = defaultdict(Counter)
    lengths: dict[int, list[int]] = defaultdict(list)
    resolved: Counter[int] = Counter()
    turned: Counter[int] = Counter()
    for p in paths:
        community = communities.get(p.customer_id)
        if community is None:
            continue
        visits[community].update(p.pages)
        if p.outcome == "OPEN":
            continue
        lengths[community].append(len(p.pages))
        resolved[community] += p.outcome == "RESOLVED"
        turned[community] += bool(turnaround_positions(p.pages))
    out = []
    for community, size in sorted(members.items()):
        completed = len(lengths[community])
        out.append(
            {
                "id": community,
                "size": size,
                "topPages": [page for page, _ in visits[community].most_common(TOP_PAGES)],
                "completedPaths": completed,
                "resolutionRate": resolved[community] / completed if completed else None,
                "meanPathLength": statistics.fmean(lengths[community]) if completed else None,
                "turnaroundRate": turned[community] / completed if completed else None,
            }
        )
    return out
