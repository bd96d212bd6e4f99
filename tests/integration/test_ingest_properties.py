"""Hypothesis against real Neo4j: any delivery order, duplication and batching of the
same clicks and outcome markers leaves exactly the graph docs/paths.md and
docs/graph-model.md define (the reference is written independently of ingest's code)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from neo4j import Driver

from ingest.batch import apply_batch
from ingest.events import event_from_record
from tests.integration.backlog import expected_graph, stored_graph
from tests.integration.ingest_helpers import (
    NOW_MS,
    TestGraph,
    clean_graph,
    reference,
    snapshot,
    wiring,
)
from tests.partitioned import batches, histories, partitions_of
from tests.tiers import examples

T0 = 1_700_000_000_000
PAGES = ["a", "b", "c", "d"]
# Page views mostly; markers end running paths or are orphans (docs/paths.md, rule 6).
KINDS = ["page_view"] * 4 + ["resolution", "escalation"]
ATTRIBUTES = st.dictionaries(st.sampled_from(["platform", "locale"]), st.sampled_from("xy"))


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    events: list[dict[str, Any]] = []
    for customer in ("c1", "c2", "c3"):
        # Distinct minutes per customer: ties would be broken by arrival order.
        minutes = draw(st.lists(st.integers(0, 150), min_size=1, max_size=9, unique=True))
        for m in minutes:
            event: dict[str, Any] = {
                "customer_id": customer,
                "page_id": draw(st.sampled_from(PAGES)),
                "timestamp": T0 + m * 60_000 + draw(st.integers(0, 59_999)),
                "is_resolved": draw(st.booleans()),
            }
            kind = draw(st.sampled_from(KINDS))
            if kind != "page_view":
                event["event_type"] = kind
                event["is_resolved"] = False
                if draw(st.booleans()):  # a marker's page is optional
                    del event["page_id"]
            attributes = draw(ATTRIBUTES)
            if attributes:
                event["attributes"] = attributes
            events.append(event)
    duplicates = draw(st.lists(st.sampled_from(events), max_size=6))
    delivered = draw(st.permutations(events + duplicates))
    cuts = sorted(draw(st.lists(st.integers(0, len(delivered)), max_size=4)))
    batches = [delivered[a:b] for a, b in zip([0, *cuts], [*cuts, len(delivered)], strict=True)]
    return events, [b for b in batches if b]


@settings(
    max_examples=examples(30),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(case=deliveries())
def test_any_order_duplication_and_batching_gives_the_same_graph(
    neo4j_driver: Driver, case: tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]
) -> None:
    events, batches = case
    clean_graph(neo4j_driver)
    w = wiring()
    store = w.path_store(neo4j_driver)
    offset = 0
    for batch in batches:
        clicks = []
        for record in batch:
            clicks.append(event_from_record(record, now_ms=NOW_MS, seq=offset))
            offset += 1
        apply_batch(store, clicks)
    assert snapshot(neo4j_driver) == reference(events)


@settings(
    max_examples=examples(25, 4),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(events=histories(), data=st.data())
def test_any_interleaving_of_partitions_with_retention_gives_the_in_order_graph(
    neo4j_driver: Driver, events: list[dict[str, Any]], data: st.DataObject
) -> None:
    """Three partitions read in any interleaving, cut into batches anywhere, each batch with
    what it read of each partition (the watermark per partition), retention as short as the
    lateness: the real store holds the graph in-order ingestion without retention gives,
    nothing is too late, and the watermark ends at the latest event."""
    clean_graph(neo4j_driver)
    w = wiring(click_retention_days=1, allowed_lateness_s=86_400, compact_per_batch=1_000)
    store = w.path_store(neo4j_driver)
    logs = partitions_of(events, data.draw(st.booleans(), label="in time order"))
    order = data.draw(st.permutations([p for p, log in enumerate(logs) for _ in log]))
    cuts = data.draw(st.lists(st.integers(1, len(order)), max_size=5))
    rejected = []
    for clicks, reading in batches(logs, order, cuts, NOW_MS):
        rejected += apply_batch(store, clicks, reading=reading).rejected
    store.settle()
    assert rejected == []
    assert stored_graph(neo4j_driver).graph == expected_graph(events)
    assert TestGraph(neo4j_driver).counts().watermark_ms == max(int(e["timestamp"]) for e in events)
