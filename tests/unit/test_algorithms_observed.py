"""Paths and the observed per-page figures (graph_model.path.record, algorithms.observed)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from algorithms.observed import observe
from graph_model.path.record import (
    Outcome,
    Path,
    find_turnarounds,
    path_stats,
    turnaround_positions,
)
from tests.paths import path_of


def path(pages: str, outcome: str = "RESOLVED") -> Path:
    """One page per letter."""
    return path_of(pages, outcome)


# --- inputs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        ("A", ()),
        ("AB", ()),
        ("ABA", (1,)),  # A->B->A: turned back on B
        ("ABAB", (1, 2)),
        ("AAA", ()),  # repeats are not turnarounds
        ("ABCB", (2,)),
        ("ABCA", ()),
    ],
)
def test_turnaround_positions(pages: str, expected: tuple[int, ...]) -> None:
    assert turnaround_positions(pages) == expected


@given(st.lists(st.sampled_from("ABC"), max_size=12))
def test_turnaround_positions_follow_the_ingest_rule(pages: list[str]) -> None:
    times = list(range(len(pages)))
    assert turnaround_positions(pages) == tuple(
        t.position for t in find_turnarounds(pages, times, 0)
    )


def test_a_path_has_at_least_one_click() -> None:
    with pytest.raises(ValueError, match="at least one click"):
        Path.of("c", [], Outcome.OPEN, 10_000)


# --- observed figures --------------------------------------------------------------------------


def test_observed_figures_by_hand() -> None:
    observed = observe(
        [
            path("ABAC"),  # resolved on C; turnaround on B (position 1)
            path("AD", "ABANDONED"),  # exit on D
            path("AE", "OPEN"),  # counts only towards transitions
            path("C"),  # resolved on C at once
        ]
    )
    a, b, c, d, e = (observed.pages[p] for p in "ABCDE")
    # visits in completed paths: A twice in ABAC + once in AD
    assert [p.visits for p in (a, b, c, d, e)] == [3, 1, 2, 1, 0]
    # entries: ABAC and AD start on A, C on C; the OPEN AE is not counted
    assert [p.entries for p in (a, b, c, d, e)] == [2, 0, 1, 0, 0]
    assert (c.resolutions, d.exits) == (2, 1)
    assert sum(p.resolutions + p.exits for p in (a, b, e)) == 0
    # opportunities: inner positions of ABAC (B at 1, A at 2); AD and C have none
    assert [p.turnaround_opportunities for p in (a, b, c, d, e)] == [1, 1, 0, 0, 0]
    assert [p.turnarounds for p in (a, b, c, d, e)] == [0, 1, 0, 0, 0]
    assert (b.turnaround_rate, a.turnaround_rate, c.turnaround_rate) == (1.0, 0.0, None)
    assert (d.exit_rate, a.exit_rate, e.exit_rate) == (1.0, 0.0, None)
    # clicks to resolution: ABAC has A at 0 (3 clicks) and 2 (1 click) -> mean 2; B at 1 -> 2;
    # C at the resolving position -> 0 (twice); D, E never in a resolved path
    assert [p.mean_clicks_to_resolution for p in (a, b, c, d, e)] == [2.0, 2.0, 0.0, None, None]
    # transitions from every path, the OPEN one included
    assert dict(observed.transitions) == {
        ("A", "B"): 1,
        ("B", "A"): 1,
        ("A", "C"): 1,
        ("A", "D"): 1,
        ("A", "E"): 1,
    }
    assert (observed.resolved_paths, observed.abandoned_paths, observed.open_paths) == (2, 1, 1)
    assert observed.completed_paths == 3
    assert observed.site_success_probability == pytest.approx(2 / 3)
    assert observed.site_exit_rate == pytest.approx(1 / 7)  # 1 exit / 7 completed visits
    assert observed.site_turnaround_rate == 0.5  # 1 turnaround / 2 opportunities


def test_escalated_paths_count_as_escalations_not_exits() -> None:
    observed = observe(
        [
            path("ABC", "ESCALATED"),  # a ticket after C
            path("AC", "ESCALATED"),
            path("AB", "ABANDONED"),
            path("AC"),  # resolved on C
        ]
    )
    a, b, c = (observed.pages[p] for p in "ABC")
    assert [p.escalations for p in (a, b, c)] == [0, 0, 2]
    assert [p.exits for p in (a, b, c)] == [0, 1, 0]
    assert [p.resolutions for p in (a, b, c)] == [0, 0, 1]
    assert (c.visits, c.escalation_rate, a.escalation_rate) == (3, 2 / 3, 0.0)
    # no clicks to resolution from an escalated path
    assert c.mean_clicks_to_resolution == 0.0
    counts = (observed.resolved_paths, observed.abandoned_paths, observed.escalated_paths)
    assert counts == (1, 1, 2)
    assert observed.completed_paths == 4
    assert observed.site_success_probability == 0.25
    assert observed.site_escalation_rate == pytest.approx(2 / 9)  # 2 escalations / 9 visits
    assert observed.site_exit_rate == pytest.approx(1 / 9)


def test_open_paths_add_no_page_figures() -> None:
    observed = observe([path("ABA", "OPEN")])
    assert observed.pages["B"].turnarounds == 0
    assert observed.pages["A"].visits == 0
    assert observed.site_success_probability is None
    assert observed.site_exit_rate is None
    assert observed.site_turnaround_rate is None


# --- path statistics -------------------------------------------------------------------------


def test_path_statistics_on_the_seed_scenario() -> None:
    # The sample scenario: [28,35,42] and [35,42], both resolved: mean 2.5, variance 0.25.
    stats = path_stats([path_of(("28", "35", "42")), path_of(("35", "42"))])
    resolved, abandoned = stats.of(Outcome.RESOLVED), stats.of(Outcome.ABANDONED)
    assert (stats.completed, stats.resolved, stats.abandoned, stats.open) == (2, 2, 0, 0)
    assert (stats.mean_length, stats.variance_length) == (2.5, 0.25)
    assert (resolved.mean_length, abandoned.mean_length) == (2.5, None)
    assert (stats.turnaround_rate, stats.self_service_rate) == (0.0, 1.0)


def test_path_statistics_by_outcome() -> None:
    stats = path_stats([path("ABA"), path("A"), path("ABCD", "ABANDONED"), path("ABAB", "OPEN")])
    resolved, abandoned = stats.of(Outcome.RESOLVED), stats.of(Outcome.ABANDONED)
    assert (stats.completed, stats.resolved, stats.abandoned, stats.open) == (3, 2, 1, 1)
    assert stats.mean_length == pytest.approx(8 / 3)  # (3 + 1 + 4) / 3
    assert stats.variance_length == pytest.approx(14 / 9)  # ((1/3)^2 + (5/3)^2 + (4/3)^2) / 3
    assert (resolved.mean_length, resolved.variance_length) == (2.0, 1.0)
    assert (abandoned.mean_length, abandoned.variance_length) == (4.0, 0.0)
    assert stats.turnaround_rate == pytest.approx(1 / 3)  # only ABA among completed paths
    assert stats.self_service_rate == pytest.approx(2 / 3)


def test_path_statistics_count_escalated_paths_as_completed() -> None:
    stats = path_stats(
        [path("AB"), path("ABC", "ESCALATED"), path("A", "ABANDONED"), path("AB", "OPEN")],
        orphan_markers=2,
    )
    assert (stats.completed, stats.resolved, stats.abandoned, stats.escalated) == (3, 1, 1, 1)
    assert stats.mean_length == 2.0  # (2 + 3 + 1) / 3
    assert stats.of(Outcome.ESCALATED).mean_length == 3.0
    assert (stats.self_service_rate, stats.escalation_rate) == (1 / 3, 1 / 3)
    assert stats.orphan_markers == 2


def test_path_statistics_without_completed_paths() -> None:
    stats = path_stats([path("AB", "OPEN")])
    assert (stats.completed, stats.open, stats.mean_length, stats.self_service_rate) == (
        0,
        1,
        None,
        None,
    )


def test_path_statistics_are_floats() -> None:
    # pvariance of ints is an int when integral; the API promises floats.
    stats = path_stats([path("AB", "ABANDONED"), path("CD", "ABANDONED")])
    assert type(stats.variance_length) is float
    assert type(stats.mean_length) is float
    assert stats.of(Outcome.RESOLVED).mean_length is None
    assert stats.self_service_rate == 0.0
