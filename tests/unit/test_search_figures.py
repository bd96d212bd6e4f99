"""Search figures on tiny paths worked out by hand from the definitions of
docs/analytics.md ("18. Search"), the content-gap test, and live assist's FAILED_SEARCH."""

from __future__ import annotations

import pytest
from scipy import stats

from algorithms.search import search_figures, with_paths_without_search
from graph_model.assist.record import AssistFigures, RiskReason
from graph_model.path.record import Click, EventType, Outcome, Path
from ingest.assist import AssistRules, judge

S = "search"


def path(
    pid: str, steps: list[str | tuple[str, int]], outcome: Outcome, customer: str = "c"
) -> Path:
    """Steps: a page id, or (query, results) for a search (results -1: not reported)."""
    clicks = []
    for n, step in enumerate(steps):
        if isinstance(step, tuple):
            query, results = step
            clicks.append(
                Click(
                    f"{pid}-{n}",
                    customer,
                    S,
                    n * 1000,
                    kind=EventType.SEARCH,
                    query=query,
                    results=None if results < 0 else results,
                )
            )
        else:
            clicks.append(Click(f"{pid}-{n}", customer, step, n * 1000))
    return Path.of(customer, clicks, outcome, 10_000)


PATHS = [
    # refund: no result, refined with "refund status", clicks a2, resolves
    path("p1", ["home", ("refund", 0), ("refund status", 4), "a2"], Outcome.RESOLVED, "c1"),
    # refund: click a1, back to search (pogo), then a1 again; abandoned on a1
    path("p2", [("refund", 3), "a1", ("refund", 3), "a1"], Outcome.ABANDONED, "c2"),
    # refund status: the path's last step, abandoned: an exit
    path("p3", ["home", ("refund status", -1)], Outcome.ABANDONED, "c1"),
    # escalated after a click on a2
    path("p4", [("refund status", 2), "a2"], Outcome.ESCALATED, "c3"),
    # no search at all
    path("p5", ["home", "a1"], Outcome.RESOLVED, "c4"),
    path("p6", ["home"], Outcome.ABANDONED, "c5"),
    # open: not counted
    path("p7", [("refund", 0)], Outcome.OPEN, "c6"),
]


def test_per_query_figures_by_hand() -> None:
    figures = {q.text: q for q in search_figures(PATHS).queries}
    refund = figures["refund"]
    # searches: p1 once, p2 twice; customers c1, c2
    assert (refund.searches, refund.customers) == (3, 2)
    # results reported 3 times, one of them 0
    assert (refund.reported, refund.no_results, refund.no_result_rate) == (3, 1, 1 / 3)
    # next steps: p1 -> search (refinement); p2 -> a1 (click, then search: pogo); p2 -> a1
    assert (refund.clicks, refund.refinements, refund.pogos, refund.exits) == (2, 1, 1, 0)
    assert (refund.click_through_rate, refund.refinement_rate, refund.pogo_rate) == (
        2 / 3,
        1 / 3,
        1 / 3,
    )
    # outcomes per search: p1 resolved once, p2 abandoned twice
    assert (refund.resolutions, refund.escalations, refund.resolution_rate) == (1, 0, 1 / 3)
    assert (refund.paths, refund.failed_paths) == (2, 1)
    assert refund.result_pages == ("a1",)
    assert (refund.result_clicks, refund.result_resolutions) == ((2,), (0,))

    status = figures["refund status"]
    assert (status.searches, status.customers, status.reported, status.no_results) == (3, 2, 2, 0)
    assert (status.clicks, status.exits, status.exit_rate) == (2, 1, 1 / 3)
    assert (status.resolutions, status.escalations) == (1, 1)
    assert (status.paths, status.failed_paths, status.failure_rate) == (3, 2, 2 / 3)
    assert dict(zip(status.result_pages, status.result_clicks, strict=True)) == {"a2": 2}
    assert dict(zip(status.result_pages, status.result_resolutions, strict=True)) == {"a2": 1}


def test_site_figures_by_hand() -> None:
    site = search_figures(PATHS).site
    assert (site.completed, site.with_search) == (6, 4)
    assert (site.resolved_with_search, site.resolved_without_search) == (1, 1)
    assert site.search_share == 4 / 6
    assert (site.self_service_with_search, site.self_service_without_search) == (1 / 4, 1 / 2)
    assert site.failure_rate == 3 / 4
    assert (site.searches, site.queries) == (6, 2)
    assert site.no_result_rate == 1 / 5
    assert site.click_through_rate == 4 / 6
    # with paths without a search told apart (the API's on-demand read)
    only = search_figures([p for p in PATHS if p.queries])
    site2 = with_paths_without_search(only, 2, 1).site
    assert (site2.completed, site2.search_share, site2.self_service_without_search) == (
        6,
        4 / 6,
        1 / 2,
    )


def test_paths_without_searches_have_no_query_lists() -> None:
    assert PATHS[4].queries == PATHS[4].result_counts == ()
    assert PATHS[0].queries == ("", "refund", "refund status", "")
    assert PATHS[2].result_counts == (-1, -1)


def gap_paths(text: str, failed: int, total: int, start: int = 0) -> list[Path]:
    return [
        path(
            f"{text}-{start + n}",
            [(text, 1), "a1"],
            Outcome.ABANDONED if n < failed else Outcome.RESOLVED,
            f"{text}-{n}",
        )
        for n in range(total)
    ]


def test_content_gaps_count_paths_against_the_site_rate() -> None:
    paths = (
        gap_paths("gap", 18, 20)  # 90% failed
        + gap_paths("fine", 10, 40)
        + gap_paths("small", 19, 19)  # too few paths: not tested
        + gap_paths("other", 15, 60)
    )
    figures = {q.text: q for q in search_figures(paths).queries}
    site_rate = (18 + 10 + 19 + 15) / (20 + 40 + 19 + 60)
    tested = ["gap", "fine", "other"]
    p_values = [
        stats.binomtest(figures[t].failed_paths, figures[t].paths, site_rate, "greater").pvalue
        for t in tested
    ]
    q_values = stats.false_discovery_control(p_values, method="bh")
    for text, p, q in zip(tested, p_values, q_values, strict=True):
        assert figures[text].p_value == pytest.approx(p)
        assert figures[text].q_value == pytest.approx(q)
        assert figures[text].is_content_gap == (q <= 0.05)
    assert figures["gap"].is_content_gap
    assert figures["small"].p_value is None
    assert not figures["small"].is_content_gap
    assert figures["gap"].excess_failures == pytest.approx(18 - 20 * site_rate)
    ranked = search_figures(paths).queries
    assert ranked[0].text == "gap"


def test_a_search_twice_in_one_path_counts_the_path_once() -> None:
    twice = [path("t", [("x", 1), ("x", 1), "a"], Outcome.ABANDONED)]
    x = search_figures(twice).queries[0]
    assert (x.searches, x.paths, x.failed_paths, x.refinements) == (2, 1, 1, 1)


@pytest.mark.parametrize(
    ("steps", "at", "failed"),
    [
        ([("refund", 0)], 0, True),  # no result
        ([("refund", 3)], 0, False),
        ([("refund", -1)], 0, False),  # not reported: no verdict from it
        ([("refund", 3), ("refund status", 2)], 1, True),  # two searches in a row
        ([("refund", 3), "a1", ("refund", 3)], 2, False),  # clicked in between
        (["home", "a1"], 1, False),
    ],
)
def test_live_assist_failed_search(
    steps: list[str | tuple[str, int]], at: int, failed: bool
) -> None:
    p = path("a", steps, Outcome.OPEN)
    figures = AssistFigures(run="r", success={})
    verdict = judge(p.pages, at, figures, AssistRules(timeout_ms=1), p.queries, p.result_counts)
    assert (RiskReason.FAILED_SEARCH in verdict.reasons) == failed
