"""Click event parsing (docs/events.md): aliases, value forms, reasons, keys, round trip."""

from __future__ import annotations

import math
from typing import Any

import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from graph_model.path.record import Click
from ingest.events import (
    MAX_EVENT_BYTES,
    MAX_ID_BYTES,
    InvalidEvent,
    event_from_record,
    event_key,
    event_to_json,
    parse_event,
    skew_reason,
)
from tests.tiers import examples

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


_DROP = object()  # marks a field to leave out of `base`


def base(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"customer_id": "c1", "page_id": "p1", "timestamp": SEED_TS}
    record.update(overrides)
    return {k: v for k, v in record.items() if v is not _DROP}


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
    assert parse({**base(customer_id=_DROP), alias: "c7"}).customer_id == "c7"


@pytest.mark.parametrize("alias", ["page_id", "NextPageID", "pageid_target"])
def test_page_aliases(alias: str) -> None:
    assert parse({**base(page_id=_DROP), alias: "p7"}).page_id == "p7"


@pytest.mark.parametrize("alias", ["timestamp", "TimeStamp", "epochtime"])
def test_timestamp_aliases(alias: str) -> None:
    assert parse({**base(timestamp=_DROP), alias: 1_000_000_000}).ts_ms == 1_000_000_000_000


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
    assert parse(base(timestamp=raw)).ts_ms == ts_ms


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
def test_the_skew_rule_is_the_only_bound_on_time(skew_ms: int, ahead_ms: int) -> None:
    """Accepted exactly when at most `skew_ms` ahead of now (no lower bound)."""
    record = orjson.dumps(base(timestamp=NOW + ahead_ms))
    if ahead_ms <= skew_ms:
        assert parse_event(record, now_ms=NOW, max_skew_ms=skew_ms).ts_ms == NOW + ahead_ms
    else:
        with pytest.raises(InvalidEvent) as caught:
            parse_event(record, now_ms=NOW, max_skew_ms=skew_ms)
        assert caught.value.reason == skew_reason(skew_ms)
        assert "ahead of the clock" in caught.value.reason


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
    assert reason_of(base(**{field: _DROP})) == f"missing field {field}"


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


@given(field=st.sampled_from(ID_FIELDS), text=st.text(min_size=1, max_size=700).filter(str.strip))
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
        (b'{"customer_id": "\xff"}', "not UTF-8"),
        (b"\xff\xfe{}", "not UTF-8"),
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
        (b"1e400", "not valid JSON"),  # orjson refuses infinite doubles
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


# --- keys ------------------------------------------------------------------------------------


def test_key_is_stable_across_aliases_and_units() -> None:
    ours = parse(
        {"customer_id": "1", "page_id": "28", "timestamp": 1_515_764_691_000, "is_resolved": False}
    )
    seed = parse(
        {"TimeStamp": "1515764691", "CustomerID": 1, "NextPageID": 28, "IsResolved": "False"}
    )
    iso = parse({"userid": 1, "pageid_target": "28", "epochtime": "2018-01-12T13:44:51Z"})
    assert ours.key == seed.key == iso.key
    assert len(ours.key) >= 16


@pytest.mark.parametrize(
    "change",
    [
        {"customer_id": "2"},
        {"page_id": "29"},
        {"timestamp": 1_515_764_691_001},
        {"is_resolved": True},
    ],
)
def test_key_depends_on_every_identifying_field(change: dict[str, Any]) -> None:
    record = {"customer_id": "1", "page_id": "28", "timestamp": 1_515_764_691_000}
    assert parse(record).key != parse({**record, **change}).key


def test_key_does_not_depend_on_referrer() -> None:
    assert parse(base(referrer_page_id="p0")).key == parse(base()).key


def test_key_is_unambiguous_about_separators() -> None:
    # Joined with "|" these two would both read "a|1|2|p|False".
    assert event_key("a|1", 2, "p", False) != event_key("a", 1, "2|p", False)


_ALIASES = {
    "customer": ["customer_id", "CustomerID", "userid"],
    "page": ["page_id", "NextPageID", "pageid_target"],
    "timestamp": ["timestamp", "TimeStamp", "epochtime"],
    "resolved": ["is_resolved", "IsResolved", "case_status"],
}


@st.composite
def same_click_spellings(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """One click written twice with independently chosen aliases and value forms."""
    customer = draw(st.integers(0, 10**6))
    page = draw(st.integers(0, 10**6))
    seconds = draw(st.integers(0, (NOW + SKEW_MS) // 1000))
    resolved = draw(st.booleans())

    def spelling() -> dict[str, Any]:
        ts_forms = [seconds, str(seconds)]
        if seconds * 1000 > 10**11:
            ts_forms += [seconds * 1000, str(seconds * 1000)]
        resolved_forms = [resolved, str(resolved), str(resolved).lower(), int(resolved)]
        return {
            draw(st.sampled_from(_ALIASES["customer"])): draw(
                st.sampled_from([customer, str(customer)])
            ),
            draw(st.sampled_from(_ALIASES["page"])): draw(st.sampled_from([page, str(page)])),
            draw(st.sampled_from(_ALIASES["timestamp"])): draw(st.sampled_from(ts_forms)),
            draw(st.sampled_from(_ALIASES["resolved"])): draw(st.sampled_from(resolved_forms)),
        }

    return spelling(), spelling()


@given(same_click_spellings())
def test_key_stability_property(spellings: tuple[dict[str, Any], dict[str, Any]]) -> None:
    first, second = (parse(record) for record in spellings)
    assert first == second


# --- canonical JSON --------------------------------------------------------------------------

_ids = st.one_of(
    st.text(min_size=1, max_size=MAX_ID_BYTES // 4).filter(str.strip),
    st.integers(-(2**63), 2**64 - 1).map(str),
)
_events = st.builds(
    Click,
    customer_id=_ids,
    page_id=_ids,
    ts_ms=st.integers(0, NOW + SKEW_MS),
    resolved=st.booleans(),
    key=_ids,
    referrer_page_id=st.none() | _ids,
)


@given(_events)
@example(click("c", "p", 1_001, False, "k", None))  # written as 1.001 s
@example(click("c", "p", 10**11 + 1, True, "k", "r"))
def test_event_to_json_round_trips(event: Click) -> None:
    assert parse_event(event_to_json(event), now_ms=NOW) == event


def test_event_to_json_uses_our_names() -> None:
    event = parse({"TimeStamp": SEED_TS, "CustomerID": 1, "NextPageID": 28, "IsResolved": "True"})
    assert orjson.loads(event_to_json(event)) == {
        "customer_id": "1",
        "page_id": "28",
        "timestamp": SEED_TS * 1000,
        "is_resolved": True,
        "event_id": event.key,
    }


def test_event_to_json_keeps_early_millisecond_timestamps_unambiguous() -> None:
    # 1970-era ms values are <= 10^11 and would be read back as seconds if written as ms.
    early = click("c", "p", 12_345, False, "k", None)
    assert orjson.loads(event_to_json(early))["timestamp"] == 12.345
    assert parse_event(event_to_json(early), now_ms=NOW).ts_ms == 12_345


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
    *sorted({name for names in _ALIASES.values() for name in names}),
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
