"""Click event parsing (docs/events.md): aliases, value forms, reasons (test_event_keys:
keys and the round trip; test_event_robustness: any input)."""

from __future__ import annotations

import math
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.events import (
    DEFAULT_MIN_TIMESTAMP_MS,
    MAX_EVENT_BYTES,
    MAX_ID_BYTES,
    MIN_TIMESTAMP_REASON,
    InvalidEvent,
    Limits,
    event_from_record,
    parse_event,
    skew_reason,
)
from tests.unit.event_helpers import (
    DROP,
    ID_CHARACTERS,
    NOW,
    SEED_TS,
    SKEW_MS,
    SKEW_REASON,
    base,
    click,
    parse,
    reason_of,
)

# --- happy path and aliases ---------------------------------------------------------------


def test_canonical_event_with_every_field() -> None:
    event = parse(
        {
            "customer_id": "c1",
            "page_id": "p2",
            "timestamp": SEED_TS,
            "is_resolved": True,
            "event_id": "e-9",
            "referrer_page_id": "p1",
        }
    )
    assert event == click("c1", "p2", SEED_TS * 1000, True, "e-9", "p1")


def test_seed_record_loads_unchanged() -> None:
    event = parse(
        {"TimeStamp": 1515764691, "CustomerID": 1, "NextPageID": 28, "IsResolved": "False"}
    )
    assert (event.customer_id, event.page_id, event.ts_ms, event.resolved) == (
        "1",
        "28",
        1_515_764_691_000,
        False,
    )
    assert event.referrer_page_id is None


@pytest.mark.parametrize("alias", ["customer_id", "CustomerID", "userid"])
def test_customer_aliases(alias: str) -> None:
    assert parse({**base(customer_id=DROP), alias: "c7"}).customer_id == "c7"


@pytest.mark.parametrize("alias", ["page_id", "NextPageID", "pageid_target"])
def test_page_aliases(alias: str) -> None:
    assert parse({**base(page_id=DROP), alias: "p7"}).page_id == "p7"


@pytest.mark.parametrize("alias", ["timestamp", "TimeStamp", "epochtime"])
def test_timestamp_aliases(alias: str) -> None:
    assert parse({**base(timestamp=DROP), alias: 1_000_000_000}).ts_ms == 1_000_000_000_000


@pytest.mark.parametrize("alias", ["is_resolved", "IsResolved", "case_status"])
def test_resolved_aliases(alias: str) -> None:
    assert parse(base(**{alias: "True"})).resolved is True


@pytest.mark.parametrize("alias", ["referrer_page_id", "pageid_origin"])
def test_referrer_aliases(alias: str) -> None:
    assert parse(base(**{alias: 11})).referrer_page_id == "11"


def test_event_id_is_the_key() -> None:
    assert parse(base(event_id="evt-1")).key == "evt-1"
    assert parse(base(event_id=42)).key == "42"


def test_unknown_fields_are_ignored() -> None:
    assert parse(base(browser="firefox")) == parse(base())


@pytest.mark.parametrize(("raw", "stored"), [("abc", "abc"), (28, "28"), (-3, "-3"), (0, "0")])
def test_ids_are_stored_as_strings(raw: object, stored: str) -> None:
    event = parse(base(customer_id=raw, page_id=raw))
    assert (event.customer_id, event.page_id) == (stored, stored)


# --- timestamps ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "ts_ms"),
    [
        (SEED_TS, 1_515_764_691_000),  # int seconds
        (1515764691.123, 1_515_764_691_123),  # float seconds
        (1.001, 1_001),  # 1.001 * 1000 == 1000.999...: rounded, not truncated
        ("1515764691", 1_515_764_691_000),  # numeric string seconds
        ("1515764691.5", 1_515_764_691_500),
        (1_515_764_691_000, 1_515_764_691_000),  # int ms
        (1515764691000.0, 1_515_764_691_000),  # float ms
        ("1515764691000", 1_515_764_691_000),  # numeric string ms
        (10**11 + 1, 10**11 + 1),  # just above the threshold: ms
        (0, 0),
        ("2018-01-12T13:44:51Z", 1_515_764_691_000),
        ("2018-01-12T13:44:51+00:00", 1_515_764_691_000),
        ("2018-01-12T14:44:51+01:00", 1_515_764_691_000),
        ("2018-01-12T13:44:51.25Z", 1_515_764_691_250),
        ("2018-01-12 13:44:51.123456-00:00", 1_515_764_691_123),
    ],
)
def test_timestamp_forms(raw: object, ts_ms: int) -> None:
    # The forms, whatever the floor: with PATHRANK_MIN_TIMESTAMP at 1970.
    anytime = Limits(min_ms=0)
    assert parse_event(orjson.dumps(base(timestamp=raw)), now_ms=NOW, limits=anytime).ts_ms == ts_ms


@pytest.mark.parametrize(
    "raw", [0, 1, 1.001, 86_400, "1970-01-01T00:00:00Z", "1999-12-31T23:59:59.999Z", 10**11 + 1]
)
def test_a_timestamp_before_the_floor_is_a_dead_letter(raw: object) -> None:
    """A device's clock at 0 or in 1970 is no event time (default floor 2000-01-01)."""
    reason = "timestamp before the earliest accepted (PATHRANK_MIN_TIMESTAMP)"
    assert reason_of(base(timestamp=raw)) == reason
    assert parse(base(timestamp="2000-01-01T00:00:00Z")).ts_ms == 946_684_800_000
    later = Limits(min_ms=1_600_000_000_000)  # a floor of one's own
    with pytest.raises(InvalidEvent):
        event_from_record(base(timestamp=1_599_999_999_999), now_ms=NOW, limits=later)


def test_threshold_itself_is_seconds() -> None:
    # 10^11 s is the year 5138, so it is read as seconds and rejected as future.
    assert reason_of(base(timestamp=10**11)) == SKEW_REASON


def test_up_to_the_clock_skew_ahead_is_accepted() -> None:
    assert parse(base(timestamp=NOW + SKEW_MS)).ts_ms == NOW + SKEW_MS
    assert reason_of(base(timestamp=NOW + SKEW_MS + 1)) == SKEW_REASON
    # What the one-day rule let through: a click 23 h ahead would close every open path.
    assert reason_of(base(timestamp=NOW + 23 * 3_600_000)) == SKEW_REASON


@given(
    skew_ms=st.integers(0, 86_400_000),
    ahead_ms=st.integers(-(10**12), 10**9),
)
def test_the_skew_and_the_floor_are_the_only_bounds_on_time(skew_ms: int, ahead_ms: int) -> None:
    """Accepted exactly when at most `skew_ms` ahead of now and not before the floor."""
    record = orjson.dumps(base(timestamp=NOW + ahead_ms))
    limits = Limits(max_skew_ms=skew_ms)
    if ahead_ms <= skew_ms and NOW + ahead_ms >= DEFAULT_MIN_TIMESTAMP_MS:
        assert parse_event(record, now_ms=NOW, limits=limits).ts_ms == NOW + ahead_ms
    else:
        with pytest.raises(InvalidEvent) as caught:
            parse_event(record, now_ms=NOW, limits=limits)
        late = ahead_ms <= skew_ms
        assert caught.value.reason == (MIN_TIMESTAMP_REASON if late else skew_reason(skew_ms))


def test_the_skew_reason_names_the_setting_value() -> None:
    assert skew_reason(300_000) == SKEW_REASON
    assert skew_reason(1_500) == "timestamp more than 1.5 s ahead of the clock (max clock skew)"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (True, "invalid timestamp: expected a number or an ISO-8601 string, got a bool"),
        (-1, "invalid timestamp: negative"),
        (-0.5, "invalid timestamp: negative"),
        ("-1", "invalid timestamp: negative"),
        ("1969-12-31T23:59:59Z", "invalid timestamp: negative"),
        ("1e999", "invalid timestamp: not finite"),
        ("NaN", "invalid timestamp: unparseable"),
        ("yesterday", "invalid timestamp: unparseable"),
        ("2018-01-12T13:44:51", "invalid timestamp: ISO-8601 without a time zone"),
        ("2018-01-12", "invalid timestamp: ISO-8601 without a time zone"),
        ([SEED_TS], "invalid timestamp: expected a number or an ISO-8601 string"),
        ("", "invalid timestamp: unparseable"),
    ],
)
def test_invalid_timestamps(raw: object, reason: str) -> None:
    assert reason_of(base(timestamp=raw)) == reason


@pytest.mark.parametrize("raw", [math.nan, math.inf, -math.inf])
def test_non_finite_timestamps_from_a_record(raw: float) -> None:
    # JSON cannot carry these, but a decoded CSV/JSONL record can.
    with pytest.raises(InvalidEvent, match="invalid timestamp: not finite"):
        event_from_record(base(timestamp=raw), now_ms=NOW)


# --- is_resolved -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "resolved"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("True", True),
        ("false", False),
        ("False", False),
        (1, True),
        (0, False),
        ("1", True),
        ("0", False),
    ],
)
def test_resolved_forms(raw: object, resolved: bool) -> None:
    assert parse(base(is_resolved=raw)).resolved is resolved


def test_resolved_defaults_to_false() -> None:
    assert parse(base()).resolved is False
    assert parse(base(is_resolved=None)).resolved is False


@pytest.mark.parametrize("raw", ["yes", "TRUE", "t", 2, -1, 1.0, [], {}])
def test_invalid_resolved(raw: object) -> None:
    assert (
        reason_of(base(is_resolved=raw))
        == "invalid is_resolved: expected a bool, true/false or 0/1"
    )


# --- invalid events and their reasons --------------------------------------------------------


@pytest.mark.parametrize("field", ["customer_id", "page_id", "timestamp"])
def test_missing_required_field(field: str) -> None:
    assert reason_of(base(**{field: DROP})) == f"missing field {field}"


def test_null_required_field_is_missing() -> None:
    assert reason_of(base(page_id=None)) == "missing field page_id"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", "empty string"),
        ("  ", "empty string"),
        (True, "expected a string or an integer"),
        (1.5, "expected a string or an integer"),
        (["c1"], "expected a string or an integer"),
        ({"id": 1}, "expected a string or an integer"),
    ],
)
@pytest.mark.parametrize("field", ["customer_id", "page_id"])
def test_ill_typed_ids(field: str, raw: object, problem: str) -> None:
    assert reason_of(base(**{field: raw})) == f"invalid {field}: {problem}"


def test_ill_typed_optional_ids() -> None:
    assert reason_of(base(event_id=False)) == "invalid event_id: expected a string or an integer"
    assert reason_of(base(pageid_origin=2.0)) == (
        "invalid referrer_page_id: expected a string or an integer"
    )


ID_FIELDS = ["customer_id", "page_id", "event_id", "referrer_page_id"]
TOO_LONG = "longer than 512 bytes (UTF-8)"


@pytest.mark.parametrize("field", ID_FIELDS)
def test_ids_up_to_512_bytes_are_valid_and_longer_ones_are_not(field: str) -> None:
    assert getattr(parse(base(**{field: "x" * 512})), _ATTRIBUTE[field]) == "x" * 512
    assert reason_of(base(**{field: "x" * 513})) == f"invalid {field}: {TOO_LONG}"
    # Bytes, not characters: 171 three-byte characters are 513 bytes.
    assert reason_of(base(**{field: "€" * 171})) == f"invalid {field}: {TOO_LONG}"
    assert getattr(parse(base(**{field: "€" * 170})), _ATTRIBUTE[field]) == "€" * 170
    # What once failed the graph write on every retry (the index on Click.customerId).
    assert reason_of(base(**{field: "x" * 9000})) == f"invalid {field}: {TOO_LONG}"


_ATTRIBUTE = {
    "customer_id": "customer_id",
    "page_id": "page_id",
    "event_id": "key",
    "referrer_page_id": "referrer_page_id",
}


@given(
    field=st.sampled_from(ID_FIELDS),
    text=st.text(ID_CHARACTERS, min_size=1, max_size=700).filter(str.strip),
)
def test_the_id_limit_counts_utf8_bytes(field: str, text: str) -> None:
    try:
        value = orjson.dumps(base(**{field: text}))
    except orjson.JSONEncodeError:  # lone surrogates: not JSON at all
        return
    if len(text.encode("utf-8")) <= MAX_ID_BYTES:
        parse_event(value, now_ms=NOW)
    else:
        with pytest.raises(InvalidEvent) as caught:
            parse_event(value, now_ms=NOW)
        assert caught.value.reason == f"invalid {field}: {TOO_LONG}"


def test_empty_optional_fields_count_as_absent() -> None:
    # An empty CSV cell: no event id (so a hash key), no referrer, not resolved.
    event = event_from_record(base(event_id="", referrer_page_id="", is_resolved=""), now_ms=NOW)
    assert event == parse(base())


@pytest.mark.parametrize(
    ("aliases", "field"),
    [
        ({"customer_id": "1", "CustomerID": "2"}, "customer_id"),
        ({"page_id": 5, "pageid_target": 6}, "page_id"),
        ({"TimeStamp": SEED_TS, "epochtime": SEED_TS + 1}, "timestamp"),
        ({"is_resolved": True, "IsResolved": "False"}, "is_resolved"),
        ({"referrer_page_id": "a", "pageid_origin": "b"}, "referrer_page_id"),
    ],
)
def test_conflicting_aliases(aliases: dict[str, Any], field: str) -> None:
    assert reason_of(base(**aliases)) == f"conflicting values for {field}"


def test_agreeing_aliases_are_fine() -> None:
    event = parse(
        base(
            customer_id=1,
            CustomerID="1",
            timestamp=SEED_TS,
            TimeStamp=SEED_TS * 1000,
            is_resolved=1,
            IsResolved="True",
        )
    )
    assert (event.customer_id, event.ts_ms, event.resolved) == ("1", SEED_TS * 1000, True)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "empty value"),
        (b"", "empty value"),
        # Bytes that are not UTF-8 in an id: the event is a dead letter, as any bad id.
        (b'{"customer_id": "\xff"}', "invalid customer_id: not valid Unicode"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b"{not json", "not valid JSON"),
        (b"   ", "not valid JSON"),
        (b'{"customer_id": 1', "not valid JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'"a string"', "not a JSON object"),
        (b"42", "not a JSON object"),
        (b"null", "not a JSON object"),
    ],
)
def test_invalid_values(value: bytes | None, reason: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_event(value, now_ms=NOW)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        (b"1e400", "invalid timestamp: not finite"),
        (b"99999999999999999999999", SKEW_REASON),  # > u64: a float
    ],
)
def test_out_of_range_json_numbers(number: bytes, reason: str) -> None:
    value = b'{"customer_id": 1, "page_id": 2, "timestamp": ' + number + b"}"
    with pytest.raises(InvalidEvent) as caught:
        parse_event(value, now_ms=NOW)
    assert caught.value.reason == reason


def test_size_limit_is_64_kib() -> None:
    def padded_to(size: int) -> bytes:
        empty = orjson.dumps(base(pad=""))
        value = orjson.dumps(base(pad="x" * (size - len(empty))))
        assert len(value) == size
        return value

    assert parse_event(padded_to(MAX_EVENT_BYTES), now_ms=NOW).page_id == "p1"
    with pytest.raises(InvalidEvent, match="value over 64 KiB"):
        parse_event(padded_to(MAX_EVENT_BYTES + 1), now_ms=NOW)


def test_invalid_event_is_a_value_error_with_its_reason() -> None:
    with pytest.raises(ValueError, match="missing field customer_id") as caught:
        parse({"page_id": 1, "timestamp": SEED_TS})
    assert isinstance(caught.value, InvalidEvent)
    assert caught.value.reason == "missing field customer_id"
