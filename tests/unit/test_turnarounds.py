"""Turnarounds (docs/paths.md): where customers go to a page and come straight back."""

from __future__ import annotations

import pytest

from graph_model.path.record import (
    Turnaround,
    transitions,
)
from tests.unit.path_cases import (
    TIMEOUT,
    click,
    clicks_of,
    resolve,
    turnarounds_in,
    turnarounds_of,
)


def turns(pages: str) -> list[tuple[int, str, str]]:
    """(position, from page A, page B) of each turnaround."""
    found = turnarounds_of(clicks_of(pages))
    return [(t.position, t.from_page_id, t.page_id) for t in found]


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        ("ABA", [(1, "A", "B")]),
        ("CABAD", [(2, "A", "B")]),
        ("ABABA", [(1, "A", "B"), (2, "B", "A"), (3, "A", "B")]),
        ("AAA", []),  # repeated clicks are not turnarounds
        ("AABAA", [(2, "A", "B")]),
        ("ABBA", []),  # not straight back
        ("ABCA", []),
        ("AB", []),
        ("A", []),
        ("", []),
    ],
)
def test_turnaround_examples(pages: str, expected: list[tuple[int, str, str]]) -> None:
    assert turns(pages) == expected


def test_turnarounds_at_the_ends_are_not_counted() -> None:
    # B->A at the start and A->B at the end would need a click before / after the path.
    assert turns("AB") == []
    assert turns("BAB") == [(1, "B", "A")]


@pytest.mark.parametrize(("time_on_b", "quick"), [(9_999, True), (10_000, False), (60_000, False)])
def test_quick_turnaround_threshold(time_on_b: int, quick: bool) -> None:
    clicks = [
        click("a", 0, "A", False, 0),
        click("b", 100_000, "B", False, 1),
        click("a2", 100_000 + time_on_b, "A", False, 2),
    ]
    assert turnarounds_of(clicks) == (Turnaround(1, "B", "A", quick),)


def test_quick_threshold_is_a_parameter() -> None:
    clicks = clicks_of("ABA", step=3_000)
    assert turnarounds_of(clicks, 3_001)[0].quick is True
    assert turnarounds_of(clicks, 3_000)[0].quick is False


def test_quick_uses_time_on_b_not_time_before_it() -> None:
    clicks = [click("a", 0, "A", False, 0), click("b", 1_000_000, "B", False, 1)]
    clicks.append(click("c", 1_001_000, "A", False, 2))
    assert turnarounds_of(clicks)[0].quick is True


def test_turnarounds_are_within_a_path() -> None:
    # A B | A: the path ends (timeout) before the customer comes back.
    clicks = [
        click("a", 0, "A", False, 0),
        click("b", 1_000, "B", False, 1),
        click("c", 1_000 + TIMEOUT + 1, "A", False, 2),
    ]
    assert [turnarounds_in(p) for p in resolve(clicks)] == [(), ()]


def test_transitions_mark_the_pair_leading_to_a_turnaround() -> None:
    [path] = resolve(clicks_of("AABACC"))
    assert transitions(path.pages) == [
        ("A", "A", False),
        ("A", "B", True),
        ("B", "A", False),
        ("A", "C", False),
        ("C", "C", False),
    ]


def test_transitions_of_a_single_click_path() -> None:
    [path] = resolve(clicks_of("A"))
    assert transitions(path.pages) == []
