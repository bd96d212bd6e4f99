"""`pathrank.Client` answers what the API answers: each method, through the API and straight
from Neo4j, against the API's own answer to the same question, fetched with `gql` (the
client frontends use) and read here field by field."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pandas as pd
import pytest
from gql import Client as GqlClient
from gql import GraphQLRequest
from gql.transport.httpx import HTTPXTransport

from pathrank import Client
from pathrank.client import frames
from tests.integration.analyzed import Analyzed
from tests.integration.api_server import serve

EVENTS = 3_000
FULL = True
SIMULATION = {"search_share": 0.3}
KEY = "client-test-key"


@pytest.fixture(scope="module")
def url(services: dict[str, Any], data: Analyzed) -> Iterator[str]:
    with serve(services, PATHRANK_API_KEY=KEY, PATHRANK_API_KEY_FOR_READS="true") as served:
        yield served


@pytest.fixture(scope="module")
def api(url: str) -> Iterator[Client]:
    with Client(url, api_key=KEY) as client:
        yield client


@pytest.fixture(scope="module")
def graph(data: Analyzed) -> Iterator[Client]:
    with Client.neo4j() as client:
        yield client


@pytest.fixture(scope="module")
def ask(url: str) -> Iterator[Callable[..., dict[str, Any]]]:
    transport = HTTPXTransport(url=f"{url}/graphql", headers={"X-API-Key": KEY}, timeout=60)
    with GqlClient(transport=transport) as session:
        yield lambda text, **variables: session.execute(
            GraphQLRequest(text, variable_values=variables)
        )


def plain(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as JSON-like values: missing as None, times as ISO-8601 text."""
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [
        {k: v.isoformat() if isinstance(v, datetime) else v for k, v in r.items()} for r in rows
    ]


def iso(text: str | None) -> str | None:
    return None if text is None else datetime.fromisoformat(text).isoformat()


def check(
    method: Callable[[Client], pd.DataFrame],
    api: Client,
    graph: Client,
    expected: list[dict[str, Any]],
    columns: frames.Columns,
) -> None:
    through_api, from_graph = method(api), method(graph)
    pd.testing.assert_frame_equal(through_api, from_graph)
    assert list(through_api.columns) == [name for name, _ in columns]
    for name, dtype in columns:
        if dtype is not None:
            assert through_api[name].dtype == dtype, name
    assert expected, "the question has an answer on the test data"
    assert plain(through_api) == expected


def test_pages(api: Client, graph: Client, ask: Callable[..., dict[str, Any]]) -> None:
    answer = ask("{ pages(first: 500) { edges { node { id title visits exitRate pageRank "
                 "isHotspot weakReasons } } } }")  # fmt: skip
    nodes = [e["node"] for e in answer["pages"]["edges"]]
    found = plain(api.pages())
    assert [
        {k: r[k] for k in ("id", "title", "visits", "exit_rate", "page_rank", "is_hotspot",
                           "weak_reasons")} for r in found
    ] == [
        {"id": n["id"], "title": n["title"], "visits": n["visits"], "exit_rate": n["exitRate"],
         "page_rank": n["pageRank"], "is_hotspot": n["isHotspot"],
         "weak_reasons": n["weakReasons"]} for n in nodes
    ]  # fmt: skip
    pd.testing.assert_frame_equal(api.pages(), graph.pages())


@pytest.mark.parametrize(
    "filters",
    [{}, {"outcome": "ESCALATED"}, {"page_id": "p001", "from_": "2026-01-06"}],
    ids=["all", "escalated", "through a page since"],
)
def test_paths(
    api: Client, graph: Client, ask: Callable[..., dict[str, Any]], filters: dict[str, Any]
) -> None:
    variables = {"outcome": filters.get("outcome"), "pageId": filters.get("page_id"),
                 "from": filters.get("from_")}  # fmt: skip
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        answer = ask(
            """query($after: String, $outcome: PathOutcome, $pageId: ID, $from: DateTime) {
              paths(first: 100, after: $after, outcome: $outcome, pageId: $pageId, from: $from) {
                pageInfo { hasNextPage endCursor }
                edges { node { id customer { id } start end length outcome turnarounds
                               quickTurnarounds segments pageIds(first: 500) } } } }""",
            after=after,
            **variables,
        )["paths"]
        nodes += [e["node"] for e in answer["edges"]]
        if not answer["pageInfo"]["hasNextPage"]:
            break
        after = answer["pageInfo"]["endCursor"]
    expected = [
        {"id": n["id"], "customer_id": n["customer"]["id"], "start": iso(n["start"]),
         "end": iso(n["end"]), "length": n["length"], "outcome": n["outcome"],
         "turnarounds": n["turnarounds"], "quick_turnarounds": n["quickTurnarounds"],
         "segments": n["segments"], "pages": n["pageIds"]} for n in nodes
    ]  # fmt: skip
    check(lambda c: c.paths(**filters), api, graph, expected, frames.PATHS)
    chunks = list(graph.iter_paths(**filters, chunk_size=97))
    assert all(len(c) <= 97 for c in chunks)
    assert plain(pd.concat(chunks, ignore_index=True)) == expected
    assert [len(c) for c in api.iter_paths(**filters, chunk_size=250)] == [
        len(c) for c in graph.iter_paths(**filters, chunk_size=250)
    ]


def test_transitions(api: Client, graph: Client, ask: Callable[..., dict[str, Any]]) -> None:
    answer = ask('{ page(id: "p000") { outgoing(limit: 5) { from { id } to { id } count '
                 "probability turnarounds turnaroundRate successProbability } } }")  # fmt: skip
    expected = [
        {"from_id": t["from"]["id"], "to_id": t["to"]["id"], "count": t["count"],
         "probability": t["probability"], "turnarounds": t["turnarounds"],
         "turnaround_rate": t["turnaroundRate"], "success_probability": t["successProbability"]}
        for t in answer["page"]["outgoing"]
    ]  # fmt: skip
    check(lambda c: c.transitions("p000", 5), api, graph, expected, frames.TRANSITIONS)
    every = api.transitions(limit=3)
    pd.testing.assert_frame_equal(every, graph.transitions(limit=3))
    assert plain(every[every.from_id == "p000"].reset_index(drop=True)) == expected[:3]


@pytest.mark.parametrize("page_id", [None, "p000"])
def test_series(
    api: Client, graph: Client, ask: Callable[..., dict[str, Any]], page_id: str | None
) -> None:
    arguments = 'metric: RESOLUTION_RATE, interval: DAY, segment: "platform=mobile"'
    if page_id is None:
        points = ask(f"{{ siteSeries({arguments}) {{ start end trials successes rate low "
                     "high } }")["siteSeries"]  # fmt: skip
    else:
        points = ask(f'{{ page(id: "{page_id}") {{ series({arguments}) {{ start end trials '
                     "successes rate low high } } }")["page"]["series"]  # fmt: skip
    expected = [{**p, "start": iso(p["start"]), "end": iso(p["end"])} for p in points]
    check(
        lambda c: c.series("RESOLUTION_RATE", page_id, "DAY", segment="platform=mobile"),
        api,
        graph,
        expected,
        frames.SERIES,
    )


def test_changes(api: Client, graph: Client, ask: Callable[..., dict[str, Any]]) -> None:
    answer = ask("{ changes(limit: 20) { page { id } metric rate qValue periodStart } }")
    found = plain(api.changes(limit=20))
    assert [(r["page_id"], r["metric"], r["rate"], r["q_value"], r["period_start"])
            for r in found] == [
        (c["page"]["id"], c["metric"], c["rate"], c["qValue"], iso(c["periodStart"]))
        for c in answer["changes"]
    ]  # fmt: skip
    pd.testing.assert_frame_equal(api.changes(limit=20), graph.changes(limit=20))


def test_funnel(api: Client, graph: Client, ask: Callable[..., dict[str, Any]]) -> None:
    answer = ask(
        """{ funnel(steps: [{pageId: "p000"}, {pattern: "p0[0-3]"}, {event: RESOLUTION}],
                    withinMinutes: 30, segment: "platform=desktop") {
               paths steps { index pageId pattern event reached converted dropped
                             conversionRate medianMinutesToNext
                             dropOffNext(limit: 5) { pageId paths resolved abandoned
                                                     escalated } } } }"""
    )["funnel"]
    steps = ["p000", {"pattern": "p0[0-3]"}, {"event": "RESOLUTION"}]
    through_api = api.funnel(steps, 30, segment="platform=desktop", drop_offs=5)
    from_graph = graph.funnel(steps, 30, segment="platform=desktop", drop_offs=5)
    assert through_api.paths == from_graph.paths == answer["paths"]
    pd.testing.assert_frame_equal(through_api.steps, from_graph.steps)
    pd.testing.assert_frame_equal(through_api.drop_offs, from_graph.drop_offs)
    assert plain(through_api.steps) == [
        {"step": s["index"], "page_id": s["pageId"], "pattern": s["pattern"], "event": s["event"],
         "reached": s["reached"], "converted": s["converted"], "dropped": s["dropped"],
         "conversion_rate": s["conversionRate"],
         "median_minutes_to_next": s["medianMinutesToNext"]} for s in answer["steps"]
    ]  # fmt: skip
    assert plain(through_api.drop_offs) == [
        {"step": s["index"], "next_page_id": d["pageId"], "paths": d["paths"],
         "resolved": d["resolved"], "abandoned": d["abandoned"], "escalated": d["escalated"]}
        for s in answer["steps"] for d in s["dropOffNext"]
    ]  # fmt: skip
    assert through_api.drop_offs["next_page_id"].notna().any()


def test_time_on_page(api: Client, graph: Client, ask: Callable[..., dict[str, Any]]) -> None:
    answer = ask('{ page(id: "p003") { timeOnPage(from: "2026-01-06") { observations median '
                 "p25 p75 } } }")  # fmt: skip
    expected = [{"page_id": "p003", **answer["page"]["timeOnPage"]}]
    check(
        lambda c: c.time_on_page("p003", from_="2026-01-06"),
        api,
        graph,
        expected,
        frames.TIME_ON_PAGE,
    )
    every = api.time_on_page(segment="platform=mobile")
    pd.testing.assert_frame_equal(every, graph.time_on_page(segment="platform=mobile"))
    assert (every["observations"] > 0).sum() > 10


def test_search_queries(api: Client, graph: Client, ask: Callable[..., dict[str, Any]]) -> None:
    fields = (
        "text searches customers noResults noResultRate clickThroughRate refinementRate "
        "pogoRate exitRate resolutionRate escalationRate paths failedPaths failureRate "
        "isContentGap pValue qValue excessFailures"
    )
    answer = ask(f"{{ searchQueries(first: 500) {{ edges {{ node {{ {fields} }} }} }} }}")
    expected = [
        {frames.snake(k): v for k, v in e["node"].items()} for e in answer["searchQueries"]["edges"]
    ]
    check(lambda c: c.search_queries(), api, graph, expected, frames.SEARCH_QUERIES)
    mobile = api.search_queries("FAILURES", segment="platform=mobile")
    pd.testing.assert_frame_equal(
        mobile, graph.search_queries("FAILURES", segment="platform=mobile")
    )
    assert 0 < len(mobile) <= len(expected)


def test_work_queue(api: Client, graph: Client, ask: Callable[..., dict[str, Any]]) -> None:
    items = ask(
        """query($status: [WorkStatus!]) { workQueue(first: 100, status: $status) {
             id action title reason page { id } query link { from { id } to { id } }
             ticketsPerWeek customersPerWeek confidence status note stale
             verification { verdict pValue since } } }""",
        status=["OPEN", "DOING", "DONE", "DISMISSED"],
    )["workQueue"]
    expected = [
        {"id": i["id"], "action": i["action"], "title": i["title"], "reason": i["reason"],
         "page_id": (i["page"] or {}).get("id"), "query": i["query"],
         "link_from": i["link"] and i["link"]["from"]["id"],
         "link_to": i["link"] and i["link"]["to"]["id"],
         "tickets_per_week": i["ticketsPerWeek"], "customers_per_week": i["customersPerWeek"],
         "confidence": i["confidence"], "status": i["status"], "note": i["note"],
         "stale": i["stale"], "verdict": (i["verification"] or {}).get("verdict"),
         "p_value": (i["verification"] or {}).get("pValue"),
         "verified_since": iso((i["verification"] or {}).get("since"))} for i in items
    ]  # fmt: skip
    every = ("OPEN", "DOING", "DONE", "DISMISSED")
    check(lambda c: c.work_queue(every), api, graph, expected, frames.WORK_QUEUE)
    assert any(i["page"] for i in items)
    # The default asks for the API's default statuses, in the API's order.
    default = ask("{ workQueue(first: 100) { id } }")["workQueue"]
    assert list(api.work_queue()["id"]) == [i["id"] for i in default]
    pd.testing.assert_frame_equal(api.work_queue(), graph.work_queue())


def test_mistakes_are_one_readable_error(url: str, graph: Client) -> None:
    from pathrank.client import PathRankError

    with Client(url) as keyless, pytest.raises(PathRankError, match="key"):
        keyless.pages()
    with pytest.raises(PathRankError, match="segment"):
        graph.time_on_page(segment="nonsense")
    with pytest.raises(PathRankError, match="possessive"):
        graph.funnel(["p000", {"pattern": "p0++"}])
    with (
        Client("http://127.0.0.1:9", timeout_s=2) as nowhere,
        pytest.raises(PathRankError, match="unreachable"),
    ):
        nowhere.pages()
