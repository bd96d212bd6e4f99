"""Bounded work per batch against real Neo4j (docs/ingest.md, "What a batch reads"): a batch
reads, per customer, the path still running at its earliest new event and what follows, not
the customer's history. A heavy customer (a bot with 200,000 stored clicks) costs a batch its
running path only, and nothing to the other customers of the batch. Asserted on the stored
events each batch read, not on time."""

from __future__ import annotations

from typing import Any

import pytest
from neo4j import Driver

from ingest.batch import BatchOutcome, apply_batch
from ingest.events import event_from_record
from tests.integration.ingest_helpers import NOW_MS, clean_graph, wiring
from tests.tiers import tiered

T0 = 1_700_000_000_000
HOUR = 3_600_000
# The bot: (clicks, clicks per session), 10 s apart, a session every 2 hours: 83 days either
# way; make test's bot has shorter sessions, soak's is the 200,000-click bot of the docs.
BOTS = tiered((50_000, 50), (200_000, 200), "bot-")
LIGHT = 100  # customers per group of light customers
SEQ = [10**9]  # arrival order of the batches below, after the load's


def _bot_ts(i: int, session_clicks: int) -> int:
    session, k = divmod(i, session_clicks)
    return T0 + session * 2 * HOUR + k * 10_000


def _light(group: str, clicks: int, after: int) -> list[dict[str, Any]]:
    """`LIGHT` customers, `clicks` clicks each, 20 s apart from `after` on: one path each."""
    return [
        {"customer_id": f"{group}{c}", "page_id": f"p{n}", "timestamp": after + c + n * 20_000}
        for c in range(LIGHT)
        for n in range(clicks)
    ]


def _batch(driver: Driver, events: list[dict[str, Any]]) -> BatchOutcome:
    w = wiring()
    clicks = []
    for e in events:
        clicks.append(event_from_record(e, now_ms=NOW_MS, seq=SEQ[0]))
        SEQ[0] += 1
    return apply_batch(w.path_store(driver), clicks, w.rules())


@pytest.mark.parametrize("bot_size", BOTS)
def test_a_heavy_customer_costs_a_batch_its_running_path_only(
    bot_size: tuple[int, int], neo4j_driver: Driver
) -> None:
    clicks, session = bot_size
    end = _bot_ts(clicks - 1, session)
    clean_graph(neo4j_driver)
    bot = [
        {"customer_id": "bot", "page_id": f"p{(i * 7) % 50}", "timestamp": _bot_ts(i, session)}
        for i in range(clicks)
    ]
    # One load: the bot's 83 days, then two groups of light customers with 3 clicks each,
    # all still running at the end.
    events = bot + _light("a", 3, end - 60_000) + _light("b", 3, end - 60_000)
    wiring().load(neo4j_driver, events, now_ms=NOW_MS, batch_size=len(events))
    records = neo4j_driver.execute_query(
        "MATCH (p:Path {customerId: 'bot'}) RETURN count(p) AS paths, max(p.length) AS longest"
    ).records
    assert (records[0]["paths"], records[0]["longest"]) == (clicks // session, session)

    # Group a's next click, without the bot: each reads its running path (3 clicks).
    alone = _batch(neo4j_driver, _light("a", 4, end - 60_000)[3::4])
    assert alone.result.events_read == LIGHT * 3

    # Group b's next click and the bot's: the bot adds its running session, 200 clicks.
    beside = end + 10_000
    mixed = _batch(
        neo4j_driver,
        [*_light("b", 4, end - 60_000)[3::4], {"customer_id": "bot", "page_id": "p1",
                                               "timestamp": beside}],
    )  # fmt: skip
    assert mixed.rejected == []
    assert mixed.result.events_read == LIGHT * 3 + session

    # A late click of the bot 2 days back (within the 3 days allowed): read from the session
    # it joins on, 2 days of the bot's clicks, not 83.
    late_at = end - 48 * HOUR + 5_000
    late = _batch(neo4j_driver, [{"customer_id": "bot", "page_id": "late", "timestamp": late_at}])
    assert late.rejected == []
    joined = max(i for i in range(clicks) if _bot_ts(i, session) <= late_at) // session * session
    after = clicks - joined + 1  # and the bot's click of the mixed batch
    assert late.result.events_read == after
    assert after < clicks / 30
    [row] = neo4j_driver.execute_query(
        "MATCH (p:Path {customerId: 'bot'}) WHERE 'late' IN p.pages "
        "RETURN p.length AS length, p.start AS start"
    ).records
    assert (row["length"], row["start"]) == (session + 1, _bot_ts(joined, session))
