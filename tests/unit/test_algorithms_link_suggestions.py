"""Link suggestions (algorithms.link_suggestions)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from algorithms.link_suggestions import link_suggestions
from algorithms.observed import observe
from graph_model.path.record import Path
from graph_model.suggestion.record import LinkSuggestion
from tests.paths import path_of


def path(pages: str, outcome: str = "RESOLVED") -> Path:
    return path_of(pages, outcome)


PATHS = [
    path("ABCR"),  # A at 0, 3 clicks to R: saves 2. B at 1 is only 2 clicks away: nothing.
    path("AXAYZR"),  # A first at 0: 5 clicks, saves 4 (its second visit is not counted).
    # X at 1: 4 clicks, saves 3. Y at 3: 2 clicks: nothing.
    path("ABCDE", "ABANDONED"),  # did not resolve: nothing
    path("QWERT", "OPEN"),  # not resolved yet: nothing
    path("RBCDR"),  # R -> R is no link; B at 1: 3 clicks, saves 2
]


def test_link_suggestions_by_hand() -> None:
    assert link_suggestions(PATHS, existing=set()) == (
        LinkSuggestion("A", "R", paths=2, clicks_saved=6, mean_clicks_saved=3.0, rank=1),
        LinkSuggestion("X", "R", paths=1, clicks_saved=3, mean_clicks_saved=3.0, rank=2),
        LinkSuggestion("B", "R", paths=1, clicks_saved=2, mean_clicks_saved=2.0, rank=3),
    )


def test_existing_links_are_not_suggested() -> None:
    suggestions = link_suggestions(PATHS, existing={("X", "R")})
    assert [(s.from_page_id, s.to_page_id) for s in suggestions] == [("A", "R"), ("B", "R")]


def test_observed_transitions_count_as_existing_links() -> None:
    # One path went A -> R directly, so that link exists; A -> B -> C -> R suggests nothing.
    paths = [path("ABCR"), path("AR")]
    assert link_suggestions(paths, existing=observe(paths).transitions) == ()
    assert len(link_suggestions(paths, existing=set())) == 1


def test_limit_and_ties() -> None:
    paths = [path("ACDR"), path("BCDR"), path("BEFS")]  # each saves 2 on one path
    suggestions = link_suggestions(paths, existing=set(), limit=2)
    assert [(s.from_page_id, s.to_page_id) for s in suggestions] == [("A", "R"), ("B", "R")]


def test_two_clicks_save_nothing() -> None:
    assert link_suggestions([path("ABR"), path("AR"), path("R")], existing=set()) == ()


@given(st.lists(st.text("ABCDR", min_size=1, max_size=9), max_size=6))
def test_clicks_saved_are_consistent(routes: list[str]) -> None:
    paths = [path(route) for route in routes]
    for s in link_suggestions(paths, existing=set()):
        assert s.from_page_id != s.to_page_id
        assert s.clicks_saved >= 2 * s.paths  # every counted path saves at least 2
        assert s.mean_clicks_saved == s.clicks_saved / s.paths
        resolving = [p for p in paths if p.last_page == s.to_page_id]
        assert s.paths <= sum(s.from_page_id in p.pages for p in resolving)
