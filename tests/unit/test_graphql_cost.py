"""The query cost counts every list by the most items it can return: size arguments, the
periods of a series (of the graph's paths where its window is open), enum values, and the
bounds the resolvers keep to. On the schema with in-memory graph reads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from graphql import GraphQLEnumType, GraphQLObjectType, get_named_type, get_nullable_type
from graphql import is_list_type as listed

from graph_model.path.cypher import READ_PAGES
from graphql_api import limits
from graphql_api.schema import schema
from graphql_api.types.common import capped
from tests.fakes import FakeGraph, FakeReads
from tests.unit.test_graphql_limits import codes, run

DAY_MS = 86_400_000


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def spanning(first: str, last: str) -> FakeGraph:
    """A graph whose paths started between `first` and `last`."""
    graph = FakeGraph()
    graph.series.span = FakeReads._method(  # type: ignore[attr-defined]
        graph.log, "path_span", (_ms(first), _ms(last))
    )
    return graph


def test_every_list_in_the_schema_has_a_bound() -> None:
    """No list can fall back on a guess: each has a size argument, periods, enum values, or a
    bound its resolver keeps to."""
    unbounded = []
    for type_name, kind in schema._schema.type_map.items():
        if type_name.startswith("__") or not isinstance(kind, GraphQLObjectType):
            continue
        for name, f in kind.fields.items():
            where = f"{type_name}.{name}"
            if not listed(get_nullable_type(f.type)):
                continue
            bounded = (
                set(limits.SIZE_ARGUMENTS) & set(f.args)
                or where in limits.SERIES_FIELDS
                or where in limits.LIST_BOUNDS
                or where in limits.CONNECTION_LISTS
                or isinstance(get_named_type(f.type), GraphQLEnumType)
            )
            if not bounded:
                unbounded.append(where)
    assert unbounded == []
    # The API reads as many of a path's pages as `first` may ask for.
    assert READ_PAGES >= limits.MAX_PAGE_SIZE


def test_a_day_series_of_every_page_since_2000_is_refused_before_any_read_of_it() -> None:
    """The hostile query of the issue: one click in 2000 makes every open-window series
    ~9,500 days long; 100 pages of them is far over the cost."""
    graph = spanning("2000-01-01", "2026-03-01")
    q = (
        "{ pages(first: 100) { nodes { series(metric: RESOLUTION_RATE, interval: DAY) "
        "{ start trials rate } } } }"
    )
    _, errors, read = run(q, read=graph)
    assert codes(errors) == ["QUERY_TOO_COMPLEX"]
    assert read.calls == ["path_span"]  # the span, nothing of the pages or their series


def test_a_series_counts_its_real_periods() -> None:
    graph = spanning("2026-01-01", "2026-03-01")  # 60 days: 60 DAY periods
    per_page = "series(metric: EXIT_RATE, interval: DAY) { start trials rate }"
    # 500 pages x (1 + 60 days x 3 fields) = 90,500 resolutions: allowed.
    assert run(f"{{ pages(first: 500) {{ nodes {{ {per_page} }} }} }}", read=graph)[1] == []
    # Explicit windows count their own periods, whatever the data: 3 x 1,000 x 500 > 200,000.
    window = 'from: "2020-01-01", until: "2022-09-27"'
    long = f"series(metric: EXIT_RATE, interval: DAY, {window}) {{ start trials rate }}"
    fresh = spanning("2026-01-01", "2026-03-01")
    _, errors, read = run(f"{{ pages(first: 500) {{ nodes {{ {long} }} }} }}", read=fresh)
    assert codes(errors) == ["QUERY_TOO_COMPLEX"]
    assert read.calls == []  # a closed window needs no span


def test_variables_give_the_window_and_the_interval() -> None:
    q = """query S($from: DateTime, $i: Interval) { pages(first: 500) { nodes {
      series(metric: VISITS, interval: $i, from: $from, until: "2026-01-01") { start rate } } } }"""
    weeks = {"from": "2016-01-01T00:00:00Z", "i": "WEEK"}  # 523 weeks x 2 x 500 > 200,000
    assert codes(run(q, weeks)[1]) == ["QUERY_TOO_COMPLEX"]
    near = {"from": "2025-06-01T00:00:00Z", "i": "WEEK"}  # 31 weeks
    assert run(q, near)[1] == []


def test_without_paths_an_open_series_costs_nothing() -> None:
    q = "{ pages(first: 500) { nodes { series(metric: VISITS, interval: DAY) { start } } } }"
    _, errors, read = run(q)
    assert errors == []
    assert "path_span" in read.calls


def test_a_paths_pages_are_a_sized_list() -> None:
    q = '{ customer(id: "c1") { paths(first: 500) { nodes { pages(first: 500) { id } } } } }'
    assert codes(run(q)[1]) == ["QUERY_TOO_COMPLEX"]  # 500 x 500 page ids
    over = '{ customer(id: "c1") { paths(first: 1) { nodes { pageIds(first: 501) } } } }'
    _, errors, _ = run(over)
    assert codes(errors) == ["BAD_USER_INPUT"]
    assert "between 0 and 500" in errors[0]["message"]


@pytest.mark.parametrize(("where", "bound"), sorted(limits.LIST_BOUNDS.items()))
def test_capped_keeps_to_the_bound(where: str, bound: int) -> None:
    items = list(range(bound + 7))
    assert list(capped(where, items)) == items[:bound]
    assert list(capped(where, items, latest=True)) == items[7:]
    assert list(capped(where, items[:3])) == items[:3]
