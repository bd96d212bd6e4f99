"""What the click-event tests share: a fixed clock, a valid record to vary, the parse and
the reason of one record, and the aliases and id characters docs/events.md allows."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import strategies as st

from graph_model.path.record import Click
from ingest.events import InvalidEvent, parse_event

NOW = 1_700_000_000_000  # 2023-11-14T22:13:20Z
SKEW_MS = 300_000  # the default PATHRANK_MAX_CLOCK_SKEW_S, 300 s
SKEW_REASON = "timestamp more than 300 s ahead of the clock (max clock skew)"
SEED_TS = 1_515_764_691  # the seed's first click, epoch seconds


def click(
    customer: str, page: str, ts_ms: int, resolved: bool, key: str, referrer: str | None
) -> Click:
    return Click(key, customer, page, ts_ms, resolved, 0, referrer)


def parse(record: dict[str, Any]) -> Click:
    return parse_event(orjson.dumps(record), now_ms=NOW)


def reason_of(record: dict[str, Any]) -> str:
    with pytest.raises(InvalidEvent) as caught:
        parse(record)
    return caught.value.reason


DROP = object()  # marks a field to leave out of `base`


def base(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"customer_id": "c1", "page_id": "p1", "timestamp": SEED_TS}
    record.update(overrides)
    return {k: v for k, v in record.items() if v is not DROP}


# What an id may hold: no control character, no lone surrogate (docs/events.md, "Text and ids").
ID_CHARACTERS = st.characters(blacklist_categories=("Cc", "Cs"))

ALIASES = {
    "customer": ["customer_id", "CustomerID", "userid"],
    "page": ["page_id", "NextPageID", "pageid_target"],
    "timestamp": ["timestamp", "TimeStamp", "epochtime"],
    "resolved": ["is_resolved", "IsResolved", "case_status"],
}
