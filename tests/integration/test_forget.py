"""Forgetting customers against real Neo4j and Kafka (docs/forget.md): the graph after an
erasure is the graph of a load that never had the customer (loaded separately, and checked
against the independent reference), no raw id is left anywhere, a replay of the topic from
offset 0 does not bring the customer back, and the API mutation needs the key."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from neo4j import Driver

from graph_model.customer import cypher as customer_q
from graph_model.customer.store import read_forgotten, tombstone_hash
from graphql_api.app import create_app
from ingest.batch import apply_batch
from ingest.events import event_from_record
from simulator import SimulationConfig, simulate
from tests.conftest import run_cli
from tests.integration.ingest_helpers import (
    NOW_MS,
    TestGraph,
    clean_graph,
    ingest_until_idle,
    load_events,
    produce_events,
    reference,
    snapshot,
    wiring,
)

# Ids that no other id, page or key of the data contains.
GONE = "erase-7f3a"
ALSO_GONE = "erase-91bc"
KEY = "k3y-for-erasure"


def _events() -> list[dict[str, Any]]:
    """A small help center with outcome markers and attributes, and two customers to forget
    who share its pages and have some of their own (a page and a segment nobody else has)."""
    sim = simulate(SimulationConfig.full(seed=3, events=1500))
    events = list(sim.events)
    busiest = "c00056"  # 25 events: several paths, markers, attributes
    mine = [e for e in sim.events if e["customer_id"] == busiest]
    for e in mine:
        events.append({**e, "customer_id": GONE, "event_id": f"{GONE}-{e['event_id']}"})
    # After the busiest's last event, long before the others' last (the watermark is theirs).
    t0 = max(int(e["timestamp"]) for e in mine) + 3_600_000
    assert t0 + 10**7 < max(int(e["timestamp"]) for e in sim.events)
    events += [
        {"customer_id": GONE, "page_id": "only-mine", "timestamp": t0 + 1_000},
        {"customer_id": GONE, "page_id": "p000", "timestamp": t0 + 2_000},
        {"customer_id": GONE, "page_id": "p001", "timestamp": t0 + 3_000, "is_resolved": True},
        {"customer_id": ALSO_GONE, "page_id": "p001", "timestamp": t0 + 5_000,
         "attributes": {"plan": "gone-only"}},
        {"customer_id": ALSO_GONE, "page_id": "p000", "timestamp": t0 + 6_000},
        {"customer_id": ALSO_GONE, "event_type": "escalation", "timestamp": t0 + 7_000},
        {"customer_id": ALSO_GONE, "event_type": "resolution", "timestamp": t0 + 9_000_000},
    ]  # fmt: skip
    return events


def _kept(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["customer_id"] not in (GONE, ALSO_GONE)]


STATE = """
RETURN COLLECT { MATCH (p:Page) RETURN p.id } AS pages,
       COLLECT { MATCH (s:Segment) RETURN s.id } AS segments,
       COLLECT { MATCH (c:Customer) RETURN c.id } AS customers,
       COUNT { MATCH (:Path) } AS paths
"""


def _graph(driver: Driver) -> tuple[Any, ...]:
    """What a graph that never saw a customer must equal: the snapshot (paths, transitions
    with turnarounds, visits, clicks, markers, orphans) and which pages, segments and
    customers exist."""
    [row] = driver.execute_query(STATE).records
    return (
        snapshot(driver),
        sorted(row["pages"]),
        sorted(row["segments"]),
        sorted(row["customers"]),
        row["paths"],
    )


def _everything(driver: Driver) -> list[str]:
    """Every property value of every node and relationship, as text."""
    nodes = driver.execute_query("MATCH (n) RETURN properties(n) AS p").records
    rels = driver.execute_query("MATCH ()-[r]->() RETURN properties(r) AS p").records
    return [str(v) for r in [*nodes, *rels] for v in r["p"].values()]


def test_the_graph_after_forgetting_is_the_graph_that_never_had_them(store: TestGraph) -> None:
    events = _events()
    load_events(store.driver, events)
    done = wiring().forget_store(store.driver).forget([GONE, ALSO_GONE, "never-seen"])
    assert [(f.customer_id, f.existed) for f in done] == [
        (GONE, True),
        (ALSO_GONE, True),
        ("never-seen", False),
    ]
    theirs = [e for e in events if e["customer_id"] in (GONE, ALSO_GONE)]
    markers = sum("event_type" in e for e in theirs)
    assert (sum(f.clicks for f in done), sum(f.markers for f in done)) == (
        len(theirs) - markers,
        markers,
    )
    forgotten = _graph(store.driver)
    texts = _everything(store.driver)
    assert not [t for t in texts if GONE in t or ALSO_GONE in t or "never-seen" in t]
    [row] = store.driver.execute_query(
        "MATCH (t:Tombstone) RETURN collect(t.hash) AS hashes, "
        "COLLECT { MATCH (m:Meta {id: 'tombstones'}) RETURN m.salt }[0] AS salt"
    ).records
    assert sorted(row["hashes"]) == sorted(
        tombstone_hash(row["salt"], c) for c in (GONE, ALSO_GONE, "never-seen")
    )

    # The same events without them, loaded into an empty graph: no erasure code involved.
    clean_graph(store.driver)
    load_events(store.driver, _kept(events))
    never = _graph(store.driver)
    assert forgotten == never
    assert never[0] == reference(_kept(events))
    assert "only-mine" not in never[1]
    assert "plan=gone-only" not in never[2]


def test_a_replay_from_offset_0_does_not_bring_them_back(
    store: TestGraph, names: dict[str, str], kafka_bootstrap: str
) -> None:
    events = _events()[-40:]  # the two customers and some others
    produce_events(kafka_bootstrap, names["PATHRANK_TOPIC"], events)
    ingest_until_idle(names)
    assert {GONE, ALSO_GONE} <= {p.customer_id for p in store.paths()}
    result = run_cli("forget", GONE, ALSO_GONE, "--yes", env=names)
    assert result.returncode == 0, result.stderr
    assert f"forgot {GONE}:" in result.stdout
    after = _graph(store.driver)
    assert after[0] == reference(_kept(events))

    # Later events of theirs, and the whole topic again under a new group.
    produce_events(
        kafka_bootstrap,
        names["PATHRANK_TOPIC"],
        [{"customer_id": GONE, "page_id": "p002", "timestamp": events[-1]["timestamp"]}],
    )
    replay = ingest_until_idle({**names, "PATHRANK_GROUP": names["PATHRANK_GROUP"] + "-again"})
    forgotten = sum(e["customer_id"] in (GONE, ALSO_GONE) for e in events) + 1
    assert f"0 dead letters, {forgotten} of forgotten customers" in replay.stdout, replay.stdout
    assert _graph(store.driver) == after


def test_a_batch_that_read_no_tombstone_is_written_again_without_the_forgotten(
    store: TestGraph,
) -> None:
    """An erasure that commits its tombstones while a batch is being written: the batch sees
    them once it holds the watermark's lock, and is written again without the customer."""
    load_events(store.driver, [{"customer_id": "other", "page_id": "a", "timestamp": 10**12}])
    w = wiring()
    clicks = [
        event_from_record(
            {"customer_id": c, "page_id": "b", "timestamp": 10**12 + i}, now_ms=NOW_MS, seq=i
        )
        for i, c in enumerate([GONE, "other"])
    ]
    # The erasure's first transaction, held open: tombstone written, watermark locked...
    session = store.driver.session()
    tx = session.begin_transaction()
    salt = tx.run(customer_q.TOMBSTONE_SALT, salt="ab" * 32).single(strict=True)["salt"]
    tx.run(customer_q.WRITE_TOMBSTONES, hashes=[tombstone_hash(salt, GONE)]).consume()
    outcome: list[Any] = []
    batch = threading.Thread(
        target=lambda: outcome.append(apply_batch(w.path_store(store.driver), clicks))
    )
    batch.start()
    time.sleep(1.0)  # ...while the batch reads (no tombstone yet) and waits for the lock
    tx.commit()
    session.close()
    batch.join(60)
    [result] = outcome
    assert result.forgotten == 1
    assert result.rejected == []
    assert store.click_owners([c.key for c in clicks]) == {clicks[1].key: "other"}
    with store.driver.session() as s:
        assert s.execute_read(lambda t: read_forgotten(t, [GONE, "other"])[1]) == {GONE}


@pytest.fixture
def api(store: TestGraph) -> Iterator[httpx.Client]:
    import asyncio

    app = create_app(
        wiring().graph_reads(),
        api_key=KEY,
        forget_customers=wiring().forget,
        cache_responses=False,
    )
    loop = asyncio.new_event_loop()
    lifespan = app.router.lifespan_context(app)
    loop.run_until_complete(lifespan.__aenter__())
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")

    class Sync:
        def post(self, *args: Any, **kwargs: Any) -> httpx.Response:
            return loop.run_until_complete(client.post(*args, **kwargs))

    try:
        yield Sync()  # type: ignore[misc]
    finally:
        loop.run_until_complete(client.aclose())
        loop.run_until_complete(lifespan.__aexit__(None, None, None))
        loop.close()


FORGET = "mutation($ids: [ID!]!) { forgetCustomers(ids: $ids) { customers found paths clicks } }"


def test_the_mutation_needs_the_key_and_forgets(store: TestGraph, api: httpx.Client) -> None:
    load_events(store.driver, _events()[-7:])  # ALSO_GONE's events
    body = {"query": FORGET, "variables": {"ids": [ALSO_GONE, "nobody"]}}
    refused = api.post("/graphql", json=body).json()
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert ALSO_GONE in {p.customer_id for p in store.paths()}
    answer = api.post("/graphql", json=body, headers={"X-API-Key": KEY}).json()
    assert answer == {
        "data": {"forgetCustomers": {"customers": 2, "found": 1, "paths": 1, "clicks": 2}}
    }
    assert ALSO_GONE not in {p.customer_id for p in store.paths()}


def test_without_a_configured_key_nobody_may_forget(store: TestGraph) -> None:
    import asyncio

    app = create_app(wiring().graph_reads(), forget_customers=wiring().forget)

    async def ask() -> dict[str, Any]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
                body = {"query": FORGET, "variables": {"ids": ["x"]}}
                answer: dict[str, Any] = (await c.post("/graphql", json=body)).json()
                return answer

    answer = asyncio.run(ask())
    assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "PATHRANK_API_KEY" in answer["errors"][0]["message"]
