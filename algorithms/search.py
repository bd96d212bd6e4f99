"""Search figures and content gaps (docs/analytics.md, "18. Search").

Over the search steps of completed paths, per normalised query: searches, customers, and
the rates of what followed each search (no results, a click, a refinement, pogo-sticking,
an exit, the path's outcome), every rate over the query's searches. Content gaps count
paths: a query searched in at least 20 completed paths whose failure rate (escalated or
abandoned) is above the site's (over every completed path with a search) by a one-sided
binomial test, Benjamini-Hochberg at 5% over the tested queries; ranked by excess
failures = failed paths - paths x the site's failure rate.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

import numpy as np
from scipy import stats

from algorithms.proportions import benjamini_hochberg
from graph_model.path.record import Outcome, Path
from graph_model.search.record import MAX_RESULTS, QueryFigures, SearchFigures, SiteSearch
from graph_model.timewindow import Interval

MIN_PATHS: Final = 20
FDR: Final = 0.05
FAILED: Final = frozenset({Outcome.ABANDONED, Outcome.ESCALATED})


@dataclass(slots=True)
class _Tally:
    searches: int = 0
    reported: int = 0
    no_results: int = 0
    clicks: int = 0
    refinements: int = 0
    pogos: int = 0
    exits: int = 0
    resolutions: int = 0
    escalations: int = 0
    paths: int = 0
    failed_paths: int = 0
    customers: set[str] = field(default_factory=set)
    next_pages: Counter[str] = field(default_factory=Counter)
    next_resolved: Counter[str] = field(default_factory=Counter)


def search_figures(paths: Iterable[Path]) -> SearchFigures:
    """Every query's figures and the site's, over the completed paths among `paths`."""
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    site = _SiteTally()
    for p in paths:
        if not p.completed:
            continue
        site.completed += 1
        resolved = p.outcome is Outcome.RESOLVED
        if not p.queries or not any(p.queries):
            site.resolved_without += resolved
            continue
        site.with_search += 1
        site.resolved_with += resolved
        site.failed_with += p.outcome in FAILED
        _tally_path(p, tallies)
    site_rate = site.failed_with / site.with_search if site.with_search else None
    queries = _tested([_figures(text, t) for text, t in tallies.items()], site_rate)
    ranked = sorted(
        queries, key=lambda q: (not q.is_content_gap, -q.excess_failures, -q.searches, q.text)
    )
    return SearchFigures(tuple(ranked), site.figures(ranked, site_rate))


def _tally_path(p: Path, tallies: dict[str, _Tally]) -> None:
    queries, pages, counts = p.queries, p.pages, p.result_counts
    n = len(pages)
    outcome = p.outcome
    for i, text in enumerate(queries):
        if not text:
            continue
        t = tallies[text]
        t.searches += 1
        t.customers.add(p.customer_id)
        if counts[i] >= 0:
            t.reported += 1
            t.no_results += counts[i] == 0
        if i + 1 < n:
            if queries[i + 1]:
                t.refinements += 1
            else:
                t.clicks += 1
                t.next_pages[pages[i + 1]] += 1
                t.next_resolved[pages[i + 1]] += outcome is Outcome.RESOLVED
                t.pogos += i + 2 < n and bool(queries[i + 2])
        elif outcome is Outcome.ABANDONED:
            t.exits += 1
        t.resolutions += outcome is Outcome.RESOLVED
        t.escalations += outcome is Outcome.ESCALATED
    for text in {q for q in queries if q}:
        t = tallies[text]
        t.paths += 1
        t.failed_paths += outcome in FAILED


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _figures(text: str, t: _Tally) -> QueryFigures:
    top = sorted(t.next_pages.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_RESULTS]
    return QueryFigures(
        text=text,
        searches=t.searches,
        customers=len(t.customers),
        reported=t.reported,
        no_results=t.no_results,
        clicks=t.clicks,
        refinements=t.refinements,
        pogos=t.pogos,
        exits=t.exits,
        resolutions=t.resolutions,
        escalations=t.escalations,
        no_result_rate=_rate(t.no_results, t.reported),
        click_through_rate=_rate(t.clicks, t.searches),
        refinement_rate=_rate(t.refinements, t.searches),
        pogo_rate=_rate(t.pogos, t.searches),
        exit_rate=_rate(t.exits, t.searches),
        resolution_rate=_rate(t.resolutions, t.searches),
        escalation_rate=_rate(t.escalations, t.searches),
        paths=t.paths,
        failed_paths=t.failed_paths,
        failure_rate=_rate(t.failed_paths, t.paths),
        result_pages=tuple(page for page, _ in top),
        result_clicks=tuple(n for _, n in top),
        result_resolutions=tuple(t.next_resolved[page] for page, _ in top),
    )


def _tested(queries: Sequence[QueryFigures], site_rate: float | None) -> list[QueryFigures]:
    """The content-gap test on every query with at least MIN_PATHS paths."""
    if site_rate is None:
        return list(queries)
    excess = [replace(q, excess_failures=q.failed_paths - q.paths * site_rate) for q in queries]
    tested = [i for i, q in enumerate(excess) if q.paths >= MIN_PATHS]
    if not tested:
        return excess
    failed = np.array([excess[i].failed_paths for i in tested])
    trials = np.array([excess[i].paths for i in tested])
    # One-sided: P(X >= failed) under Binomial(paths, site rate).
    p_values = stats.binom.sf(failed - 1, trials, site_rate)
    q_values = benjamini_hochberg(p_values)
    for i, p, q in zip(tested, p_values, q_values, strict=True):
        gap = (
            bool(q <= FDR) and excess[i].failure_rate is not None and excess[i].excess_failures > 0
        )
        excess[i] = replace(excess[i], p_value=float(p), q_value=float(q), is_content_gap=gap)
    return excess


@dataclass(slots=True)
class _SiteTally:
    completed: int = 0
    with_search: int = 0
    resolved_with: int = 0
    resolved_without: int = 0
    failed_with: int = 0

    def figures(self, queries: Sequence[QueryFigures], failure_rate: float | None) -> SiteSearch:
        total = {
            name: sum(getattr(q, name) for q in queries)
            for name in (
                "searches",
                "reported",
                "no_results",
                "clicks",
                "refinements",
                "pogos",
                "exits",
            )
        }
        searches = total["searches"]
        without = self.completed - self.with_search
        return SiteSearch(
            completed=self.completed,
            with_search=self.with_search,
            resolved_with_search=self.resolved_with,
            resolved_without_search=self.resolved_without,
            failed_with_search=self.failed_with,
            queries=len(queries),
            content_gaps=sum(q.is_content_gap for q in queries),
            search_share=_rate(self.with_search, self.completed),
            self_service_with_search=_rate(self.resolved_with, self.with_search),
            self_service_without_search=_rate(self.resolved_without, without),
            failure_rate=failure_rate,
            no_result_rate=_rate(total["no_results"], total["reported"]),
            click_through_rate=_rate(total["clicks"], searches),
            refinement_rate=_rate(total["refinements"], searches),
            pogo_rate=_rate(total["pogos"], searches),
            exit_rate=_rate(total["exits"], searches),
            **total,
        )


def with_paths_without_search(
    figures: SearchFigures, without: int, resolved_without: int
) -> SearchFigures:
    """`figures` computed from the paths with a search only (the API's on-demand read), told
    the completed paths without one: the site's share and self-service comparison."""
    site = figures.site
    completed = site.with_search + without
    return replace(
        figures,
        site=replace(
            site,
            completed=completed,
            resolved_without_search=resolved_without,
            search_share=_rate(site.with_search, completed),
            self_service_without_search=_rate(resolved_without, without),
        ),
    )


def query_periods(paths: Iterable[Path], text: str, interval: Interval) -> dict[int, QueryFigures]:
    """One query's figures per period (by the start of the paths that searched it)."""
    by_period: dict[int, list[Path]] = defaultdict(list)
    for p in paths:
        by_period[interval.start_of(p.start)].append(p)
    out = {}
    for start, period in by_period.items():
        found = [q for q in search_figures(period).queries if q.text == text]
        if found:
            out[start] = found[0]
    return out
