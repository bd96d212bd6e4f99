"""Any bytes, JSON object or decoded record parses to a valid click or raises InvalidEvent with a
reason: nothing else (docs/events.md)."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from graph_model.path.record import Click
from ingest.events import (
    MAX_ID_BYTES,
    InvalidEvent,
    event_from_record,
    parse_event,
)
from tests.tiers import examples
from tests.unit.event_helpers import (
    ALIASES,
    NOW,
    SKEW_MS,
)

# --- robustness ------------------------------------------------------------------------------

_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
_known_names = [
    *sorted({name for names in ALIASES.values() for name in names}),
    "event_id",
    "referrer_page_id",
    "pageid_origin",
]
_timestampish = st.one_of(
    st.integers(-(2**63), 2**64 - 1),  # what JSON (orjson) can carry as an integer
    st.floats(allow_nan=False, allow_infinity=False),
    st.from_regex(r"-?\d{1,20}(\.\d{0,5})?([eE][+-]?\d{1,4})?", fullmatch=True),
    st.datetimes(timezones=st.none() | st.timezones()).map(lambda d: d.isoformat()),
    st.text(max_size=30),
)
_records = st.dictionaries(
    st.sampled_from(_known_names) | st.text(max_size=8),
    _json_values | _timestampish,
    max_size=8,
)


def _check_outcome(outcome: Click | InvalidEvent) -> None:
    if isinstance(outcome, InvalidEvent):
        assert outcome.reason
    else:
        assert isinstance(outcome, Click)
        assert outcome.ts_ms - NOW <= SKEW_MS
        for value in (outcome.customer_id, outcome.page_id, outcome.key):
            assert len(value.encode("utf-8", "surrogatepass")) <= MAX_ID_BYTES


def _parse_outcome(value: bytes) -> Click | InvalidEvent:
    try:
        return parse_event(value, now_ms=NOW)
    except InvalidEvent as exc:  # anything else propagates and fails the test
        return exc


@settings(deadline=None, max_examples=examples(100))
@given(st.binary(max_size=300))
def test_arbitrary_bytes_only_raise_invalid_event(value: bytes) -> None:
    _check_outcome(_parse_outcome(value))


@settings(deadline=None, max_examples=examples(300))
@given(_records)
def test_arbitrary_json_objects_only_raise_invalid_event(record: dict[str, Any]) -> None:
    _check_outcome(_parse_outcome(orjson.dumps(record)))


@settings(deadline=None, max_examples=examples(100))
@given(
    st.dictionaries(
        st.sampled_from(_known_names),
        st.one_of(
            st.floats(),
            st.integers(),
            st.text(),
            st.sampled_from([10**5000, -(10**5000), b"28", (1, 2), object(), 1j]),
        ),
        max_size=6,
    )
)
def test_arbitrary_records_only_raise_invalid_event(record: dict[str, Any]) -> None:
    # Decoded CSV/JSONL records can hold any Python values, including NaN and huge ints.
    try:
        outcome: Click | InvalidEvent = event_from_record(record, now_ms=NOW)
    except InvalidEvent as exc:
        outcome = exc
    _check_outcome(outcome)
