"""Funnel steps and patterns, without a database: what the translation refuses, and how a
funnel's steps are checked (the matching itself is compared with re.search against Neo4j in
tests/integration/test_funnel_patterns.py)."""

from __future__ import annotations

import pytest

from graph_model.funnel.pattern import PatternError, to_cypher
from graph_model.funnel.record import (
    FunnelError,
    FunnelEvent,
    FunnelStepSpec,
    checked_steps,
    funnel_from_rows,
)

REFUSED = {
    "(?P<id>\\d+)": "named group",
    "(?P=x)": "not a regular expression",
    "a++": "possessive",
    "a{1,2}+": "possessive",
    "(?>a)": "atomic",
    "a\\Z": "\\Z",
    "(?s)a": "inline flag",
    "(?x)a": "inline flag",
    "(?#note)a": "comment",
    "(a)?(?(1)b|c)": "conditional",
    "\\0": "octal",
    "(a)" * 10 + "\\10": "multi-digit",
    "[\\1]": "octal",
    "[\\W]": "inside a class",
    "\\U0001F600": "\\U",
    "\\N{BULLET}": "named characters",
    "\\ud800": "surrogate",
    "a{1001}": "repetition",
    "\\p{L}": "not a regular expression",
    "a[": "not a regular expression",
    "x" * 501: "at most 500",
}


@pytest.mark.parametrize("pattern", list(REFUSED))
def test_what_the_two_syntaxes_do_not_share_is_refused_by_name(pattern: str) -> None:
    with pytest.raises(PatternError, match=REFUSED[pattern].replace("\\", "\\\\")):
        to_cypher(pattern)


@pytest.mark.parametrize(
    ("pattern", "java"),
    [
        ("article", "(?s:.*)(?:article)(?s:.*)"),
        ("^p\\d{2,}$", "(?s:.*)(?:^p\\p{Nd}{2,}(?=\\n?\\z))(?s:.*)"),
        ("(?i)faq.", "(?iu)(?s:.*)(?:faq[^\\n])(?s:.*)"),
        ("a{,3}{x}", "(?s:.*)(?:a{0,3}\\{x\\})(?s:.*)"),
        ("[]&[]", "(?s:.*)(?:[\\]\\&\\[])(?s:.*)"),
    ],
)
def test_translations_keep_pythons_meaning_in_javas_syntax(pattern: str, java: str) -> None:
    assert to_cypher(pattern) == java


def test_a_step_is_exactly_one_thing() -> None:
    with pytest.raises(FunnelError):
        FunnelStepSpec()
    with pytest.raises(FunnelError):
        FunnelStepSpec(page_id="a", event=FunnelEvent.SEARCH)
    assert FunnelStepSpec(event=FunnelEvent.SEARCH).parameter("find")["pages"] == ["find"]
    assert FunnelStepSpec(event=FunnelEvent.ESCALATION).parameter("s")["outcome"] == "ESCALATED"


@pytest.mark.parametrize(("steps", "within"), [(1, None), (11, None), (3, 0), (3, -5)])
def test_funnels_have_two_to_ten_steps_and_a_positive_window(steps: int, within: int) -> None:
    with pytest.raises(FunnelError):
        checked_steps([FunnelStepSpec(page_id="a")] * steps, within)


def test_rows_become_steps_with_their_drop_offs_most_paths_first() -> None:
    steps = [FunnelStepSpec(page_id="a"), FunnelStepSpec(page_id="b")]
    row = {"converted": False, "median": None}
    rows = [
        {**row, "step": -1, "next": None, "outcome": None, "paths": 5},
        {
            **row,
            "step": 0,
            "converted": True,
            "next": None,
            "outcome": None,
            "paths": 3,
            "median": 1.5,
        },
        {**row, "step": 0, "next": "c", "outcome": "RESOLVED", "paths": 1},
        {**row, "step": 0, "next": None, "outcome": "ABANDONED", "paths": 2},
        {**row, "step": 0, "next": "c", "outcome": "ESCALATED", "paths": 2},
        {**row, "step": 1, "converted": True, "next": None, "outcome": None, "paths": 3},
    ]
    funnel = funnel_from_rows(steps, None, rows)
    assert funnel.paths == 5 + 3 + 1 + 2 + 2
    first, last = funnel.steps
    assert (first.reached, first.converted, first.dropped) == (8, 3, 5)
    assert first.median_minutes_to_next == 1.5
    assert [
        (d.page_id, d.paths, d.resolved, d.abandoned, d.escalated) for d in first.drop_offs
    ] == [
        ("c", 3, 1, 0, 2),
        (None, 2, 0, 2, 0),
    ]
    assert (last.reached, last.converted, last.dropped, last.drop_offs) == (3, 3, 0, ())
    assert last.median_minutes_to_next is None
