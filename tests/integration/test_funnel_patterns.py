"""A funnel pattern matches in Cypher exactly the page ids Python's re.search matches: the
translation (graph_model.funnel.pattern) run by Neo4j's `=~` against `re` itself, on
patterns drawn from the syntax the two share and ids with the characters where Java's and
Python's regular expressions differ (line separators, non-ASCII letters and digits)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from neo4j import Driver

from graph_model.funnel.pattern import to_cypher
from tests.tiers import examples

# Characters on which the two engines' classes, dots and anchors used to disagree.
ALPHABET = ["a", "b", "B", "1", "\u0663", "\u00e9", "\u00c9", "-", "/", "_", " ", ".", "{"]
ALPHABET += ["}", "\n", "\r", "\u2028", "\u00a0", "\u00bd", "\u0301"]

LITERALS = st.sampled_from(["a", "b", "1", "-", "/", "_", "\u00e9", "\\.", "\\{", "x", " "])
SHORTHANDS = st.sampled_from(["\\d", "\\w", "\\s", "\\D", "\\W", "\\S", ".", "\\u00e9"])
CLASSES = st.sampled_from(
    ["[a-c]", "[^b1]", "[\\d_]", "[\\w-]", "[\\s.]", "[]a]", "[^]]", "[a&&b]", "[[a]", "[\\b]"]
)
ANCHORS = st.sampled_from(["^", "$", "\\b", "\\B", "\\A"])
QUANTIFIERS = st.sampled_from(["*", "+", "?", "{2}", "{1,2}", "{,2}", "{1,}", "*?", "+?", "{,}"])
BRACES = st.sampled_from(["{", "}", "x{", "{a}", "{}"])


def _quantified(atom: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(atom, QUANTIFIERS).map("".join)


@st.composite
def _group(draw: st.DrawFn, inner: st.SearchStrategy[str]) -> str:
    opening = draw(st.sampled_from(["(", "(?:", "(?=", "(?!", "(?i:"]))
    return f"{opening}{draw(inner)})"


def _patterns() -> st.SearchStrategy[str]:
    atom = st.one_of(LITERALS, SHORTHANDS, CLASSES)
    piece = st.one_of(atom, _quantified(atom), ANCHORS, BRACES)

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        sequence = st.lists(inner, min_size=1, max_size=4).map("".join)
        alternation = st.lists(sequence, min_size=2, max_size=3).map("|".join)
        grouped = _group(st.one_of(sequence, alternation))
        return st.one_of(sequence, alternation, grouped, _quantified(grouped))

    body = st.recursive(piece, extend, max_leaves=8)
    flagged = st.tuples(st.sampled_from(["", "", "(?i)"]), body).map("".join)
    with_reference = body.map(lambda b: f"(a|b|\\d)x{b}\\1")
    return st.one_of(flagged, with_reference).filter(_compiles)


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


# Python warns that `[[` and `&&` may mean nested sets some day; today they are literals, and
# the patterns are drawn that way on purpose. Hypothesis warns about the strategy's long repr.
pytestmark = [
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning"),
]

IDS = st.lists(st.text(alphabet=ALPHABET, max_size=8), min_size=1, max_size=40)


@settings(
    max_examples=examples(1000, 150),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
@given(pattern=_patterns(), ids=IDS)
@example(pattern="a$", ids=["a", "a\n", "a\r", "a\u2028", "a\n\n"])
@example(pattern="^.$", ids=["\r", "\u2028", "\n", "\u0085", "\u00e9"])
@example(pattern="\\d\\w\\s", ids=["\u0663\u00e9\u00a0", "1a ", "\u00bd\u0301\u2028"])
@example(pattern="(?i)\u00c9", ids=["\u00e9", "e", "\u00c9"])
@example(pattern="x{,2}y{", ids=["y{", "xxy{", "x{,2}y{"])
@example(pattern="\\bb\\B", ids=["bb", "\u00e9bb", "b", "-bb1"])
@example(pattern="[[a]&&[b]]", ids=["[", "a&&b]", "&&]", "b]"])
def test_cypher_matches_exactly_what_re_search_matches(
    neo4j_driver: Driver, pattern: str, ids: list[str]
) -> None:
    records, _, _ = neo4j_driver.execute_query(
        "UNWIND $ids AS id RETURN collect(id =~ $regex) AS found",
        ids=ids,
        regex=to_cypher(pattern),
    )
    expected = [re.search(pattern, i) is not None for i in ids]
    assert records[0]["found"] == expected, (pattern, to_cypher(pattern), ids)
