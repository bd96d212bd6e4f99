"""The exported SDL matches the code, and the code offers every documented name (docs/api.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLType,
    build_schema,
    get_named_type,
)

from graphql_api.export_schema import SDL_PATH, main, sdl


def test_exported_sdl_matches_the_code() -> None:
    assert SDL_PATH.read_text(encoding="utf-8") == sdl(), (
        "graphql_api/schema.graphql is stale: run `python -m graphql_api.export_schema`"
    )


def test_export_writes_the_sdl(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"
    assert main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == sdl()


def _sdl_schema() -> dict[str, GraphQLType]:
    """The schema as frontends see it: built from the exported file, not from Python."""
    return dict(build_schema(SDL_PATH.read_text(encoding="utf-8")).type_map)


def _fields(type_name: str) -> dict[str, str]:
    t = _sdl_schema()[type_name]
    assert isinstance(t, GraphQLObjectType), type_name
    return {name: str(f.type) for name, f in t.fields.items()}


def _args(type_name: str, field: str) -> dict[str, str]:
    t = _sdl_schema()[type_name]
    assert isinstance(t, GraphQLObjectType)
    return {name: str(a.type) for name, a in t.fields[field].args.items()}


# docs/api.md: query fields with their arguments and result types.
CONTRACT_QUERIES = {
    "page": ({"id": "ID!"}, "Page"),
    "pages": ({"first": "Int", "after": "String", "orderBy": "PageOrder"}, "PageConnection!"),
    "weakPages": ({"limit": "Int", "minVisits": "Int"}, "[WeakPage!]!"),
    "turnaroundHotspots": ({"limit": "Int"}, "[Hotspot!]!"),
    "shortestSuccessPath": ({"fromPageId": "ID!", "mode": "PathMode"}, "SuccessPath"),
    "pathStats": ({}, "PathStats!"),
    "customer": ({"id": "ID!"}, "Customer"),
    "communities": ({"first": "Int", "after": "String"}, "CommunityConnection!"),
    "community": ({"id": "ID!"}, "Community"),
    "linkSuggestions": ({"limit": "Int"}, "[LinkSuggestion!]!"),
}

CONTRACT_FIELDS = {
    "PageConnection": ["edges", "pageInfo", "totalCount"],
    "PageEdge": ["cursor", "node"],
    "PageInfo": ["hasNextPage", "endCursor"],
    "WeakPage": ["page", "impact", "reasons"],
    "Hotspot": ["page", "turnarounds", "opportunities", "rate", "siteRate", "qValue"],
    "SuccessPath": ["pages", "clicks", "probability", "observedMeanClicks"],
    "PathStats": [
        "completed",
        "resolved",
        "abandoned",
        "open",
        "meanLength",
        "varianceLength",
        "turnaroundRate",
        "selfServiceRate",
    ],
    "Customer": ["paths", "community", "similarCustomers"],
    "LinkSuggestion": ["from", "to", "clicksSaved"],
    "Page": [
        "id",
        "title",
        "visits",
        "exits",
        "exitRate",
        "resolutions",
        "pageRank",
        "pathRank",
        "successProbability",
        "expectedClicksToResolution",
        "turnarounds",
        "turnaroundRate",
        "isHotspot",
        "outgoing",
        "incoming",
    ],
    "Transition": ["count", "probability"],
}


@pytest.mark.parametrize("field", sorted(CONTRACT_QUERIES))
def test_design_query_fields(field: str) -> None:
    args, result = CONTRACT_QUERIES[field]
    query = _fields("Query")
    assert query[field] == result
    offered = _args("Query", field)
    for name, type_ in args.items():
        assert offered.get(name) == type_, (field, name, offered)


@pytest.mark.parametrize("type_name", sorted(CONTRACT_FIELDS))
def test_design_type_fields(type_name: str) -> None:
    missing = set(CONTRACT_FIELDS[type_name]) - set(_fields(type_name))
    assert not missing, (type_name, missing)


def test_design_details() -> None:
    types = _sdl_schema()
    mode = types["PathMode"]
    assert isinstance(mode, GraphQLEnumType)
    assert set(mode.values) == {"FEWEST_CLICKS", "MOST_LIKELY"}
    order = types["PageOrder"]
    assert isinstance(order, GraphQLEnumType)
    assert {"ID", "VISITS", "PAGE_RANK", "PATH_RANK", "IMPACT", "TURNAROUND_RATE"} <= set(
        order.values
    )
    assert _args("Customer", "similarCustomers") == {"limit": "Int"}
    assert _args("Page", "outgoing") == {"limit": "Int"}
    assert _args("Page", "incoming") == {"limit": "Int"}
    assert "runAnalysis" in _fields("Mutation")
    # Unknown ids must be able to give null: lookups by id are nullable.
    query = types["Query"]
    assert isinstance(query, GraphQLObjectType)
    for name in ("page", "customer", "community", "shortestSuccessPath"):
        assert not isinstance(query.fields[name].type, GraphQLNonNull), name
    # Connections list their edges as a non-null list of non-null edges.
    edges = _sdl_schema()["PageConnection"]
    assert isinstance(edges, GraphQLObjectType)
    edge_type = edges.fields["edges"].type
    assert isinstance(edge_type, GraphQLNonNull)
    assert isinstance(edge_type.of_type, GraphQLList)
    assert get_named_type(edge_type).name == "PageEdge"
