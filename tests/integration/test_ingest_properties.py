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
from tests.integration.ingest_helpers import NOW_MS, clean_graph, reference, snapshot, wiring
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
    store, rules = w.path_store(neo4j_driver), w.rules()
    offset = 0
    for batch in batches:
        clicks = []
        for record in batch:
            clicks.append(event_from_record(record, now_ms=NOW_MS, seq=offset))
            offset += 1
        apply_batch(store, clicks, rules)
    assert snapshot(neo4j_driver) == reference(events)
