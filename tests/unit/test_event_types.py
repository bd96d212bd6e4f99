"""Event types and attributes (docs/events.md "Event types" and "Attributes")."""

from __future__ import annotations

import hashlib
import json

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph_model.path.record import Click, EventType
from ingest.events import event_to_json, parse_event
from tests.unit.event_helpers import NOW, parse, reason_of

TS = 1_515_764_691


def blake(values: list[object]) -> str:
    # The documented key: BLAKE2b-128 of the compact JSON array.
    text = json.dumps(values, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def test_a_page_view_is_the_default_and_keeps_its_key() -> None:
    event = parse({"customer_id": "c", "page_id": "p", "timestamp": TS})
    assert event.kind is EventType.PAGE_VIEW
    assert event.attributes == ()
    assert event.key == blake(["c", TS * 1000, "p", False])
    assert event == parse(
        {"customer_id": "c", "page_id": "p", "timestamp": TS, "type": "page_view"}
    )


@pytest.mark.parametrize("name", ["event_type", "type"])
def test_markers_by_either_name(name: str) -> None:
    event = parse({"customer_id": "c", "timestamp": TS, name: "escalation"})
    assert event.kind is EventType.ESCALATION
    assert event.page_id == ""


def test_a_marker_needs_no_page_but_keeps_one_given() -> None:
    bare = parse({"customer_id": "c", "timestamp": TS, "event_type": "resolution", "page_id": ""})
    on_page = parse({"customer_id": "c", "timestamp": TS, "event_type": "resolution", "page_id": 7})
    assert (bare.page_id, on_page.page_id) == ("", "7")


def test_a_page_view_still_needs_its_page() -> None:
    assert reason_of({"customer_id": "c", "timestamp": TS}) == "missing field page_id"
    assert (
        reason_of({"customer_id": "c", "timestamp": TS, "page_id": "", "type": "page_view"})
        == "invalid page_id: empty string"
    )


def test_a_marker_key_includes_its_type() -> None:
    resolution = parse({"customer_id": "c", "timestamp": TS, "event_type": "resolution"})
    escalation = parse({"customer_id": "c", "timestamp": TS, "event_type": "escalation"})
    assert resolution.key == blake(["c", TS * 1000, "", False, "resolution"])
    assert escalation.key == blake(["c", TS * 1000, "", False, "escalation"])


@pytest.mark.parametrize("value", ["Resolution", "page", "click", 1, True, ["resolution"]])
def test_unknown_event_types_are_invalid(value: object) -> None:
    record = {"customer_id": "c", "page_id": "p", "timestamp": TS, "event_type": value}
    assert reason_of(record) == (
        "invalid event_type: expected page_view, resolution, escalation or search"
    )


def test_the_two_names_must_agree() -> None:
    record = {"customer_id": "c", "timestamp": TS, "event_type": "resolution", "type": "escalation"}
    assert reason_of(record) == "conflicting values for event_type"


def test_attributes_are_kept_sorted_without_empty_values() -> None:
    event = parse(
        {
            "customer_id": "c",
            "page_id": "p",
            "timestamp": TS,
            "attributes": {"platform": "ios", "locale": "de-DE", "channel": "", "x": None},
        }
    )
    assert event.attributes == (("locale", "de-DE"), ("platform", "ios"))
    # Attributes are no part of the key: the same click with other attributes is a duplicate.
    assert event.key == blake(["c", TS * 1000, "p", False])


@pytest.mark.parametrize(
    ("attributes", "reason"),
    [
        ("ios", "invalid attributes: expected an object of strings"),
        ([["platform", "ios"]], "invalid attributes: expected an object of strings"),
        ({"Platform": "ios"}, "invalid attributes: a key is not [a-z][a-z0-9_]{0,31}"),
        ({"9lives": "x"}, "invalid attributes: a key is not [a-z][a-z0-9_]{0,31}"),
        ({"a" * 33: "x"}, "invalid attributes: a key is not [a-z][a-z0-9_]{0,31}"),
        ({"plan": 3}, "invalid attributes: a value is not a string"),
        ({"plan": "x" * 201}, "invalid attributes: a value is over 200 characters"),
        ({f"k{i}": "v" for i in range(17)}, "invalid attributes: more than 16 keys"),
    ],
)
def test_invalid_attributes(attributes: object, reason: str) -> None:
    record = {"customer_id": "c", "page_id": "p", "timestamp": TS, "attributes": attributes}
    assert reason_of(record) == reason


def test_attribute_limits_are_inclusive() -> None:
    attributes = {f"k{i}": "v" * 200 for i in range(16)} | {"a" * 32: ""}
    event = parse({"customer_id": "c", "page_id": "p", "timestamp": TS, "attributes": attributes})
    assert len(event.attributes) == 16


def test_event_to_json_writes_types_and_attributes_only_when_set() -> None:
    view = parse({"customer_id": "c", "page_id": "p", "timestamp": TS})
    marker = parse(
        {
            "customer_id": "c",
            "timestamp": TS,
            "event_type": "escalation",
            "attributes": {"channel": "chat"},
        }
    )
    assert set(orjson.loads(event_to_json(view))) == {
        "customer_id",
        "page_id",
        "timestamp",
        "is_resolved",
        "event_id",
    }
    assert orjson.loads(event_to_json(marker)) == {
        "customer_id": "c",
        "timestamp": TS * 1000,
        "is_resolved": False,
        "event_id": marker.key,
        "event_type": "escalation",
        "attributes": {"channel": "chat"},
    }


_ids = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1).filter(str.strip)
_attributes = st.dictionaries(
    st.from_regex(r"[a-z][a-z0-9_]{0,31}", fullmatch=True), st.text(min_size=1, max_size=200)
).filter(lambda d: len(d) <= 16)


@given(
    # Searches round-trip in tests/unit/test_search_events.py (they need a query).
    kind=st.sampled_from([k for k in EventType if k is not EventType.SEARCH]),
    page=st.just("") | _ids,
    attributes=_attributes,
    customer=_ids,
    key=_ids,
)
def test_round_trip_of_markers_and_attributes(
    kind: EventType, page: str, attributes: dict[str, str], customer: str, key: str
) -> None:
    if not kind.marker and not page:
        page = "p"
    event = Click(
        key, customer, page, TS * 1000, False, 0, None, kind, tuple(sorted(attributes.items()))
    )
    assert parse_event(event_to_json(event), now_ms=NOW) == event
