"""No record, crash or outage stops or stalls ingest (real Kafka and Neo4j).

Poison records (an id too long to index, a value too large for the dead-letter topic, a
click the graph refuses) go to the DLQ with their reason while everything around them is
ingested, and SIGTERM stops the worker while it handles one; clicks from the future and
reused event ids are dead letters. (Crashes and outages: test_ingest.py.)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]
from neo4j import Driver

from graph_model.path.record import Outcome
from tests.integration.ingest_helpers import (
    TestGraph,
    headers_of,
    ingest_until_idle,
    load_events,
    produce_events,
    produce_raw,
    read_dead_letters,
    reference,
    snapshot,
    start_ingest,
)

T0 = 1_700_000_000_000
# The test topics' max.message.bytes and the test producer's: room for the 1 MB record.
BIG_RECORDS = 2 * 1024 * 1024
HUGE_VALUE_BYTES = 1_000_000
PREFIX = 64 * 1024  # what a dead letter keeps of a value too large for the DLQ


def create_topic(bootstrap: str, topic: str, max_message_bytes: int = BIG_RECORDS) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics(
        [
            NewTopic(
                topic,
                num_partitions=3,
                replication_factor=1,
                config={"max.message.bytes": str(max_message_bytes)},
            )
        ]
    )
    for future in futures.values():
        future.result(timeout=30)


def valid_clicks(customers: int, per_customer: int, t0: int = T0) -> list[dict[str, Any]]:
    return [
        {
            "customer_id": f"c{c}",
            "page_id": f"p{(c + i) % 7}",
            "timestamp": t0 + i * 60_000 + c,
            "event_id": f"c{c}-{i}",
        }
        for c in range(customers)
        for i in range(per_customer)
    ]


def huge_click() -> bytes:
    """A valid-looking click of about 1 MB: over the 64 KiB limit, too large for the DLQ."""
    base = {"customer_id": "c3", "page_id": "p1", "timestamp": T0, "padding": ""}
    filler = HUGE_VALUE_BYTES - len(orjson.dumps(base))
    value = orjson.dumps({**base, "padding": "y" * filler})
    assert len(value) == HUGE_VALUE_BYTES
    return value


def keyed(events: list[dict[str, Any]]) -> list[tuple[bytes | None, bytes | None]]:
    return [(str(e["customer_id"]).encode(), orjson.dumps(e)) for e in events]


@pytest.fixture
def unique_referrers(neo4j_driver: Driver) -> Iterator[None]:
    """A constraint only the poison record violates: the graph refuses that record's write
    (a ConstraintError, like any record the graph cannot take), and nothing else's."""
    neo4j_driver.execute_query(
        "CREATE CONSTRAINT test_unique_referrer IF NOT EXISTS "
        "FOR (c:Click) REQUIRE c.referrerPageId IS UNIQUE"
    )
    neo4j_driver.execute_query("CALL db.awaitIndexes(120)")
    try:
        yield
    finally:
        neo4j_driver.execute_query("DROP CONSTRAINT test_unique_referrer IF EXISTS")


def test_poison_records_go_to_the_dlq_and_every_valid_click_is_ingested_once(
    store: TestGraph, names: dict[str, str], kafka_bootstrap: str, unique_referrers: None
) -> None:
    topic = names["PATHRANK_TOPIC"]
    create_topic(kafka_bootstrap, topic)
    stored = {"customer_id": "s", "page_id": "p0", "timestamp": T0, "referrer_page_id": "r1"}
    load_events(store.driver, [stored])

    valid = valid_clicks(customers=6, per_customer=5)
    long_id = {"customer_id": "x" * 9000, "page_id": "p1", "timestamp": T0 + 5}
    huge = huge_click()
    refused = {"customer_id": "c2", "page_id": "p9", "timestamp": T0 + 7, "referrer_page_id": "r1"}
    records = (
        keyed(valid[:10])
        + keyed([long_id])
        + keyed(valid[10:20])
        + [(b"c3", huge)]
        + keyed(valid[20:25])
        + keyed([refused])
        + keyed(valid[25:])
    )
    produce_raw(kafka_bootstrap, topic, records, max_message_bytes=BIG_RECORDS)

    result = ingest_until_idle(names, timeout=180)

    assert snapshot(store.driver) == reference([stored, *valid])
    assert (
        f"ingested {len(records)} records ({len(valid)} events, {len(valid)} new, 0 pages, "
        "3 dead letters)"
    ) in result.stdout
    letters = {
        headers_of(m)["dlq.reason"]: m
        for m in read_dead_letters(kafka_bootstrap, f"{topic}.dlq", 3)
    }
    by_kind = {
        kind: [m for reason, m in letters.items() if word in reason]
        for kind, word in (("long", "512"), ("huge", "64 KiB"), ("refused", "ConstraintValidation"))
    }
    assert all(len(found) == 1 for found in by_kind.values()), list(letters)

    (long_letter,) = by_kind["long"]
    assert "customer_id" in headers_of(long_letter)["dlq.reason"]
    assert long_letter.value() == orjson.dumps(long_id)  # kept whole: it fits the DLQ
    assert "dlq.truncated" not in headers_of(long_letter)

    (huge_letter,) = by_kind["huge"]
    huge_headers = headers_of(huge_letter)
    assert huge_headers["dlq.truncated"] == "true"
    assert huge_headers["dlq.original.size"] == str(HUGE_VALUE_BYTES)
    assert huge_letter.value() == huge[:PREFIX]
    assert huge_headers["dlq.source.topic"] == topic
    assert int(huge_headers["dlq.source.offset"]) >= 0

    (refused_letter,) = by_kind["refused"]
    reason = headers_of(refused_letter)["dlq.reason"]
    assert "r1" not in reason  # bounded, no values
    assert len(reason) < 200
    assert refused_letter.value() == orjson.dumps(refused)


def test_sigterm_while_a_record_too_large_for_the_dlq_is_in_hand_stops_cleanly(
    store: TestGraph, names: dict[str, str], kafka_bootstrap: str
) -> None:
    topic = names["PATHRANK_TOPIC"]
    create_topic(kafka_bootstrap, topic)
    valid = valid_clicks(customers=3, per_customer=4)
    produce_raw(kafka_bootstrap, topic, [(b"c3", huge_click()), *keyed(valid)], BIG_RECORDS)
    worker = start_ingest(names)  # no --until-idle: runs until it is stopped
    try:
        deadline = time.monotonic() + 30
        while store.counts().clicks < len(valid) and time.monotonic() < deadline:
            time.sleep(0.2)
        seconds = worker.terminate()
        code, stdout = worker.finish(timeout=30)
    finally:
        worker.kill()
    assert store.counts().clicks == len(valid)  # nothing stalled behind the large record
    assert seconds < 30
    assert code == 0, worker.stderr[-2000:]
    assert "Traceback" not in worker.stderr
    assert "1 dead letters" in stdout
    read_dead_letters(kafka_bootstrap, f"{topic}.dlq", 1)
    # Everything written was committed: a restart of the group finds nothing left.
    assert "ingested 0 records" in ingest_until_idle(names).stdout


def test_a_click_beyond_the_clock_skew_is_a_dead_letter_and_moves_no_path(
    store: TestGraph, names: dict[str, str], kafka_bootstrap: str
) -> None:
    now = int(time.time() * 1000)
    events = [
        {"customer_id": "open", "page_id": "p1", "timestamp": now - 60_000},
        {"customer_id": "open", "page_id": "p2", "timestamp": now - 30_000},
        {"customer_id": "future", "page_id": "p3", "timestamp": now + 23 * 3_600_000},
        {"customer_id": "soon", "page_id": "p4", "timestamp": now + 200_000},
    ]
    produce_events(kafka_bootstrap, names["PATHRANK_TOPIC"], events)
    ingest_until_idle(names)
    outcomes = {(p.customer_id, p.pages): p.outcome for p in store.paths()}
    assert outcomes == {("open", ("p1", "p2")): Outcome.OPEN, ("soon", ("p4",)): Outcome.OPEN}
    assert store.counts().watermark_ms == now + 200_000
    (letter,) = read_dead_letters(kafka_bootstrap, f"{names['PATHRANK_TOPIC']}.dlq", 1)
    assert orjson.loads(letter.value() or b"")["customer_id"] == "future"
    assert "300 s ahead of the clock" in headers_of(letter)["dlq.reason"]


def test_an_event_id_reused_with_other_content_keeps_the_first_and_dead_letters_the_other(
    store: TestGraph, names: dict[str, str], kafka_bootstrap: str
) -> None:
    topic = names["PATHRANK_TOPIC"]
    kept = {"customer_id": "a", "page_id": "p1", "timestamp": T0, "event_id": "e1"}
    load_events(store.driver, [kept])  # stored before the batch
    second = [
        {**kept, "page_id": "p2"},  # the stored click's id, another page: dead letter
        kept,  # a replay of the stored click: a duplicate, not a dead letter
        {"customer_id": "a", "page_id": "p3", "timestamp": T0 + 1000, "event_id": "e2"},
        {"customer_id": "a", "page_id": "p3", "timestamp": T0 + 2000, "event_id": "e2"},
        {"customer_id": "a", "page_id": "p4", "timestamp": T0 + 3000, "event_id": "e3"},
        {"customer_id": "a", "page_id": "p4", "timestamp": T0 + 3000, "event_id": "e3"}
        | {"is_resolved": True},
    ]
    produce_events(kafka_bootstrap, topic, second)
    result = ingest_until_idle(names)
    assert "ingested 6 records (3 events, 2 new, 0 pages, 3 dead letters)" in result.stdout
    assert snapshot(store.driver) == reference([kept, second[2], second[4]])
    letters = read_dead_letters(kafka_bootstrap, f"{topic}.dlq", 3)
    assert sorted(m.value() for m in letters) == sorted(
        orjson.dumps(e) for e in (second[0], second[3], second[5])
    )
    for m in letters:
        assert headers_of(m)["dlq.reason"] == "event_id reused with different content"
