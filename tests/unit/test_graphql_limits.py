"""Limits, masking and the API key, on the schema with in-memory graph reads (no server).

The fake counts its calls: a refused query must not have read anything.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import pytest
from graphql import GraphQLError, get_introspection_query
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.requests import Request
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from graph_model.errors import GraphUnavailableError
from graph_model.run.record import AnalysisLockedError, LockHolder
from graphql_api import limits
from graphql_api.app import STATIC_DIR
from graphql_api.context import AnalysisService, Context
from graphql_api.extensions.shape import document_shape
from graphql_api.metrics import Metrics
from graphql_api.schema import schema
from tests.fakes import FakeGraph
from tests.tiers import examples

HTTP_400 = "HTTP_400"


def _request(headers: dict[str, str] | None = None) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return Request({"type": "http", "method": "POST", "path": "/graphql", "headers": raw})


def run(
    query: str,
    variables: dict[str, Any] | None = None,
    read: FakeGraph | None = None,
    headers: dict[str, str] | None = None,
    api_key: str | None = None,
    analysis: AnalysisService | None = None,
) -> tuple[dict[str, Any] | None, list[dict[str, Any]], FakeGraph]:
    read = read or FakeGraph()
    context = Context.create(_request(headers), read, api_key, analysis, Metrics())
    try:
        result = asyncio.run(
            schema.execute(query, variable_values=variables, context_value=context)
        )
    except (MissingQueryError, InvalidOperationTypeError, CannotGetOperationTypeError) as exc:
        # The HTTP view answers these with a 400 and a GraphQL-shaped body.
        return None, [{"message": str(exc), "extensions": {"code": HTTP_400}}], read
    errors = [dict(e.formatted) for e in result.errors or []]
    return result.data, errors, read


def codes(errors: list[dict[str, Any]]) -> list[str]:
    return [e.get("extensions", {}).get("code", "") for e in errors]


def nested(levels: int) -> str:
    inner = "id"
    for _ in range(levels):
        inner = f"outgoing(limit: 1) {{ to {{ {inner} }} }}"
    return f'{{ page(id: "p1") {{ {inner} }} }}'


def test_depth_ten_passes_and_eleven_is_refused_before_any_read() -> None:
    # page(1) + 4 x (outgoing, to) (8) + id = depth 10
    data, errors, _ = run(nested(4))
    assert errors == []
    assert data is not None
    data, errors, read = run(nested(5))
    assert data is None
    assert any("maximum operation depth of 10" in e["message"] for e in errors)
    assert read.calls == []


@pytest.mark.parametrize("size", [501, -1, 2**31 - 1])
@pytest.mark.parametrize(
    "query",
    [
        "{ pages(first: %d) { totalCount } }",
        '{ page(id: "p1") { outgoing(limit: %d) { count } } }',
        "{ weakPages(limit: %d) { impact } }",
    ],
)
def test_page_size_out_of_range_is_a_graphql_error(query: str, size: int) -> None:
    data, errors, read = run(query % size)
    assert data is None
    assert "BAD_USER_INPUT" in codes(errors)  # (and graphql-core's 32-bit Int check)
    assert any("between 0 and 500" in e["message"] for e in errors)
    assert read.calls == []


def test_page_size_from_a_variable_or_its_default() -> None:
    q = "query($n: Int) { pages(first: $n) { totalCount } }"
    _, errors, _ = run(q, {"n": 1000})
    assert codes(errors) == ["BAD_USER_INPUT"]
    _, errors, _ = run("query($n: Int = 600) { pages(first: $n) { totalCount } }")
    assert codes(errors) == ["BAD_USER_INPUT"]
    data, errors, _ = run(q, {"n": 500})
    assert errors == []
    assert data == {"pages": {"totalCount": 1}}
    data, errors, _ = run(q, {"n": None})  # null means the default
    assert errors == []


def test_aliases_and_tokens() -> None:
    ok = "{ " + " ".join(f"a{i}: pathStats {{ open }}" for i in range(15)) + " }"
    assert run(ok)[1] == []
    too_many = "{ " + " ".join(f"a{i}: pathStats {{ open }}" for i in range(16)) + " }"
    _, errors, read = run(too_many)
    assert "16 aliases found" in errors[0]["message"]
    assert read.calls == []
    huge = "{ " + "pathStats { open } " * 700 + "}"
    _, errors, read = run(huge)
    assert "more than 2000 tokens" in errors[0]["message"]
    assert codes(errors) == ["GRAPHQL_PARSE_FAILED"]
    assert read.calls == []


def test_cost_is_the_product_of_list_sizes() -> None:
    # 500 pages x 401 transitions each, each with a field: over 200 000 resolutions.
    q = "{ pages(first: 500) { edges { node { outgoing(limit: 400) { count } } } } }"
    _, errors, read = run(q)
    assert codes(errors) == ["QUERY_TOO_COMPLEX"]
    assert read.calls == []
    q = "{ pages(first: 500) { edges { node { outgoing(limit: 300) { count } } } } }"
    assert run(q)[1] == []


def test_fragment_bomb_is_refused_quickly() -> None:
    n = 40  # 2^40 expansions if anything walked it naively
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(n))
    q = f"query Bomb {{ ...F0 }} {fragments} fragment F{n} on Query {{ pathStats {{ open }} }}"
    _, errors, read = run(q)
    assert codes(errors) == ["QUERY_TOO_COMPLEX"]
    assert read.calls == []


@pytest.mark.parametrize(
    "query",
    [
        "{ ...Missing }",
        "query A { ...F } fragment F on Query { ...F }",
        "{ pages { ",
        "{ nope }",
        "{ page { id } }",
        "",
        "subscription { pathStats { open } }",
    ],
)
def test_malformed_queries_are_graphql_errors(query: str) -> None:
    data, errors, read = run(query)
    assert data is None
    assert errors
    allowed = {"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", HTTP_400}
    assert all(c in allowed for c in codes(errors))
    assert read.calls == []


def test_internal_errors_are_masked() -> None:
    read = FakeGraph(fail=RuntimeError("secret: bolt://admin:hunter2@db"))
    data, errors, _ = run('{ page(id: "p1") { id } }', read=read)
    assert data == {"page": None}
    assert errors[0]["message"] == "Internal server error"
    assert codes(errors) == ["INTERNAL_SERVER_ERROR"]
    assert "hunter2" not in str(errors)


def test_known_failures_say_what_happened() -> None:
    read = FakeGraph(fail=GraphUnavailableError("connection refused at 10.0.0.1"))
    _, errors, _ = run("{ pathStats { open } }", read=read)
    assert codes(errors) == ["SERVICE_UNAVAILABLE"]
    assert "10.0.0.1" not in errors[0]["message"]


def test_unknown_reasons_are_skipped_not_errors() -> None:
    data, errors, _ = run("{ weakPages { reasons } }")
    assert errors == []
    assert data == {"weakPages": [{"reasons": ["LOW_SUCCESS"]}]}


RUN = "mutation { runAnalysis { id durationMs steps { name seconds } } }"


def _service() -> AnalysisService:
    return AnalysisService(lambda: "run-1")


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({}, False),
        ({"X-API-Key": "wrong"}, False),
        ({"Authorization": "Bearer wrong"}, False),
        ({"Authorization": "Basic s3cret"}, False),
        ({"X-API-Key": "s3cret"}, True),
        ({"Authorization": "Bearer s3cret"}, True),
        ({"Authorization": "bearer  s3cret "}, True),
    ],
)
def test_run_analysis_needs_the_api_key(headers: dict[str, str], allowed: bool) -> None:
    data, errors, read = run(RUN, headers=headers, api_key="s3cret", analysis=_service())
    if allowed:
        assert errors == []
        assert data == {
            "runAnalysis": {
                "id": "run-1",
                "durationMs": 5,
                "steps": [{"name": "read paths", "seconds": 0.1}],
            }
        }
    else:
        assert data is None
        assert codes(errors) == ["UNAUTHENTICATED"]
        assert read.calls == []


def test_run_analysis_without_a_configured_key_or_runner() -> None:
    data, errors, _ = run(RUN, analysis=_service())  # no key configured: open
    assert errors == []
    assert data is not None
    _, errors, _ = run(RUN)  # no runner
    assert codes(errors) == ["NOT_AVAILABLE"]


def test_an_analysis_refused_by_the_lock_is_a_conflict_naming_the_holder() -> None:
    # The lock itself lives in Neo4j (tests/integration/test_analysis_runs.py); here, only
    # how the service reports a refusal.
    holder = LockHolder("r1", "box", 42, started_at=0, heartbeat=1_000)

    def runner() -> str:
        raise AnalysisLockedError(holder, now_ms=3_000)

    with pytest.raises(GraphQLError) as refused:
        asyncio.run(AnalysisService(runner).run())
    assert refused.value.extensions == {"code": "CONFLICT"}
    assert refused.value.message.startswith(
        "analysis run r1 holds the lock (host box, pid 42, started 00:00:00 UTC, last "
        "heartbeat 2s ago); try again"
    )


@settings(max_examples=examples(200), deadline=None)
@given(st.text(max_size=200))
def test_any_text_as_a_query_gives_errors_not_exceptions(text: str) -> None:
    data, errors, _ = run(text)
    assert errors or data is not None
    assert "INTERNAL_SERVER_ERROR" not in codes(errors)


@settings(max_examples=examples(100), deadline=None)
@given(
    first=st.one_of(st.none(), st.integers(), st.text(max_size=5), st.floats()),
    after=st.one_of(st.none(), st.text(max_size=60), st.integers()),
)
def test_any_variables_give_data_or_clean_errors(first: object, after: object) -> None:
    q = "query($f: Int, $a: String) { pages(first: $f, after: $a) { totalCount } }"
    data, errors, _ = run(q, {"f": first, "a": after})
    assert errors or data is not None
    assert "INTERNAL_SERVER_ERROR" not in codes(errors)


def test_operation_labels_are_bounded() -> None:
    m = Metrics()
    assert m.operation_label(None) == "anonymous"
    assert m.operation_label("bad name!") == "other"
    names = {m.operation_label(f"Op{i}") for i in range(1000)}
    assert len(names) == 201  # 200 kept, then "other"
    assert m.operation_label("Op1") == "Op1"


def test_document_shape_is_linear() -> None:
    from graphql import parse

    n = 200
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(n))
    doc = parse(f"{{ ...F0 }} {fragments} fragment F{n} on Query {{ pathStats {{ open }} }}")
    shape = document_shape(doc)
    assert shape.expanded_fields > limits.MAX_EXPANDED_FIELDS
    assert not shape.broken


# graphql-core's OverlappingFieldsCanBeMerged compares every pair of same-name fields (and of
# fragments) in a selection set: each of these took it 80-800 ms of CPU before the shape
# check refused them (~1,600 tokens, within every other limit).
REPEATED = {
    "one field 400 times": "{ pathStats { " + "completed " * 400 + "} }",
    "one subselection 400 times": "{ " + "pathStats { completed } " * 400 + "}",
    "inside an unused fragment": "{ pathStats { open } } fragment X on Query { "
    + "pathStats { completed } " * 400
    + "}",
    "190 fragments in one set": "{ "
    + " ".join(f"...F{i}" for i in range(190))
    + " } "
    + " ".join(f"fragment F{i} on Query {{ ...Z }}" for i in range(190))
    + " fragment Z on Query { pathStats { open } }",
}


@pytest.mark.parametrize("query", REPEATED.values(), ids=REPEATED.keys())
def test_repeated_fields_are_refused_before_validation(
    query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import strawberry.schema.schema as strawberry_schema

    validated: list[object] = []
    real_validate = strawberry_schema.validate

    def spy(*args: Any, **kwargs: Any) -> Any:
        validated.append(args)
        return real_validate(*args, **kwargs)

    monkeypatch.setattr(strawberry_schema, "validate", spy)
    cpu = []
    for n in range(3):  # a new document each time: no parse or validation cache hit
        started = time.process_time()
        _, errors, read = run(f"query Q{n}{time.time_ns()} {query}")
        cpu.append(time.process_time() - started)
        assert codes(errors) == ["QUERY_TOO_COMPLEX"]
        assert read.calls == []
    assert validated == []
    assert min(cpu) < 0.05  # ~10 ms measured, most of it parsing; validation took 80-800 ms


def test_repeats_are_counted_as_execution_merges_them() -> None:
    n = limits.MAX_FIELD_REPEATS
    assert run("{ pathStats { " + "open " * n + "} }")[1] == []
    _, errors, _ = run("{ pathStats { " + "open " * (n + 1) + "} }")
    assert codes(errors) == ["QUERY_TOO_COMPLEX"]
    assert f"`open` is selected {n + 1} times" in errors[0]["message"]
    # Same-name fields merge their sub-selections, fragments merge into where they are spread.
    split = "{ " + "pathStats { open } " * (n // 2) + "...A } fragment A on Query { "
    split += "pathStats { open } " * (n - n // 2 + 1) + "}"
    assert codes(run(split)[1]) == ["QUERY_TOO_COMPLEX"]
    # Aliases are other response names, and one fragment spread twice is merged once.
    aliased = "{ " + " ".join(f"a{i}: pathStats {{ open }}" for i in range(n + 1)) + " }"
    assert "QUERY_TOO_COMPLEX" not in codes(run(aliased)[1])  # (the alias limit may answer)
    assert run("{ ...A ...A ...A } fragment A on Query { pathStats { open } }")[1] == []


def test_fragments_per_selection_set() -> None:
    n = limits.MAX_FRAGMENTS_PER_SELECTION

    def spreading(count: int) -> str:
        spreads = " ".join(f"...F{i}" for i in range(count))
        fragments = " ".join(f"fragment F{i} on Query {{ ...Z }}" for i in range(count))
        return f"{{ {spreads} }} {fragments} fragment Z on Query {{ pathStats {{ open }} }}"

    assert run(spreading(n - 1))[1] == []  # n - 1 of them and Z
    _, errors, _ = run(spreading(n))
    assert codes(errors) == ["QUERY_TOO_COMPLEX"]
    assert f"{n + 1} fragments are spread into one selection set" in errors[0]["message"]


def _dashboard_queries() -> dict[str, str]:
    """Every `*_QUERY` of the dashboard's modules, with the template strings it interpolates
    (`${CHANGE_FIELDS}`) filled in."""
    js = "\n".join(f.read_text(encoding="utf-8") for f in sorted((STATIC_DIR / "js").rglob("*.js")))
    texts = dict(re.findall(r"const (\w+) = `([^`]*)`", js))

    def filled(text: str) -> str:
        return re.sub(r"\$\{(\w+)\}", lambda m: filled(texts[m.group(1)]), text)

    found = {name: filled(text) for name, text in texts.items() if name.endswith("_QUERY")}
    assert set(found) == {
        "OVERVIEW_QUERY", "FLOW_QUERY", "CURVE_QUERY", "QUEUE_QUERY", "SEARCH_QUERY",
        "FUNNEL_QUERY",
    }  # fmt: skip
    return found


def test_the_dashboards_and_graphiqls_queries_pass() -> None:
    queries = _dashboard_queries()
    _, errors, _ = run(queries["OVERVIEW_QUERY"], {"rows": 10})
    assert errors == []
    _, errors, _ = run(queries["QUEUE_QUERY"], {"first": 100, "status": ["OPEN", "DOING"]})
    assert errors == []
    _, errors, _ = run(queries["SEARCH_QUERY"], {"gaps": 10, "top": 15})
    assert errors == []
    _, errors, _ = run(queries["FLOW_QUERY"], {"id": "p1", "n": 200})
    assert errors == []
    for entry in (None, "p1"):
        _, errors, _ = run(queries["CURVE_QUERY"], {"entry": entry})
        assert errors == []
    # The funnel panel's longest: ten steps, a window, dates and customers.
    steps = [{"pageId": "p1"}, {"pattern": "^p"}, {"event": "SEARCH"}] * 3 + [
        {"event": "RESOLUTION"}
    ]
    window = {"within": 30, "from": "2026-01-01T00:00:00Z", "until": "2026-02-01T00:00:00Z"}
    data, errors, _ = run(queries["FUNNEL_QUERY"], {"steps": steps, **window, "segment": "a=b"})
    assert errors == []
    assert data is not None
    assert [s["dropOffNext"][0]["page"]["id"] for s in data["funnel"]["steps"]] == ["p2"] * 10
    # GraphiQL 4 asks with every option of graphql-js's getIntrospectionQuery.
    introspection = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
        one_of=True,
    )
    data, errors, _ = run(introspection)
    assert errors == []
    assert data is not None
    assert data["__schema"]["queryType"]["name"] == "Query"
