"""Allowed lateness against real Kafka and Neo4j (docs/paths.md, "Allowed lateness"): an event
exactly at its customer's bound is ingested, one millisecond past it is a dead letter with
the reason `too late`; nothing else makes an event too late, with retention on or off."""

from __future__ import annotations

from typing import Any

import orjson

from tests.integration.ingest_helpers import (
    TestGraph,
    headers_of,
    ingest_until_idle,
    produce_events,
    read_dead_letters,
)

T = 1_700_000_000_000
DAY = 86_400_000
LATENESS_S = 2 * 86_400  # two days
RETENTION_DAYS = 3


def test_events_exactly_at_the_bound_are_ingested_one_millisecond_past_it_are_dead_letters(
    store: TestGraph, names: dict[str, str], kafka_bootstrap: str
) -> None:
    env = {
        **names,
        "PATHRANK_ALLOWED_LATENESS_S": str(LATENESS_S),
        "PATHRANK_CLICK_RETENTION_DAYS": str(RETENTION_DAYS),
    }
    lateness, horizon = 2 * DAY, T - RETENTION_DAYS * DAY
    events: list[dict[str, Any]] = [
        # "a" sets the watermark and its own bound: T - 2 days.
        {"customer_id": "a", "page_id": "home", "timestamp": T, "event_id": "a-latest"},
        {"customer_id": "a", "page_id": "faq", "timestamp": T - lateness, "event_id": "a-at"},
        {"customer_id": "a", "page_id": "x", "timestamp": T - lateness - 1, "event_id": "a-past"},
        # A marker is an event like a click.
        {
            "customer_id": "a",
            "event_type": "resolution",
            "timestamp": T - lateness - 1,
            "event_id": "a-vote-past",
        },
        # New customers have no bound of their own, however far behind the watermark (with
        # retention on: there is no horizon besides the customer's own).
        {"customer_id": "b", "page_id": "home", "timestamp": horizon, "event_id": "b-at"},
        {"customer_id": "c", "page_id": "home", "timestamp": horizon - DAY, "event_id": "c-old"},
        # A replay of a stored event is a duplicate however late it is now.
        {"customer_id": "a", "page_id": "faq", "timestamp": T - lateness, "event_id": "a-at"},
    ]
    # One partition (the broker creates the topic on first use): arrival order is the order
    # above, so the watermark is T when b and c arrive.
    produce_events(kafka_bootstrap, names["PATHRANK_TOPIC"], events)
    result = ingest_until_idle(env)
    assert "2 dead letters" in result.stdout, result.stdout

    letters = read_dead_letters(kafka_bootstrap, f"{names['PATHRANK_TOPIC']}.dlq", 2)
    late = {orjson.loads(m.value())["event_id"]: headers_of(m)["dlq.reason"] for m in letters}
    assert late == {"a-past": "too late", "a-vote-past": "too late"}
    owners = store.click_owners(["a-latest", "a-at", "b-at", "a-past", "c-old"])
    assert owners == {"a-latest": "a", "a-at": "a", "b-at": "b", "c-old": "c"}
    # The late click within the bound is placed at its time: its own path, before T's.
    assert sorted((p.customer_id, p.pages) for p in store.paths()) == [
        ("a", ("faq",)),
        ("a", ("home",)),
        ("b", ("home",)),
        ("c", ("home",)),
    ]
    assert store.counts().markers == 0
