"""Text as senders send it (docs/events.md, "Text and ids"): JSON that is not valid Unicode is
still read, text gets U+FFFD, ids are kept exactly or refused with a reason, and each event of
a request is found again as the bytes it was sent as."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.body import array_items
from ingest.events import InvalidEvent, event_from_record, parse_event
from ingest.sources.common import Invalid, SourceConfig
from ingest.sources.page_rules import PageRules, UnusableUrl
from ingest.sources.segment import map_message
from ingest.sources.snowplow import map_tracker_event
from ingest.text import NotJson, id_problem, loads, replace_invalid
from tests.tiers import examples

NOW = 1_900_000_000_000
T = 1_700_000_000_000


def test_a_lone_surrogate_escape_is_read_and_kept_as_such() -> None:
    assert loads(b'{"title": "trunc \\ud83d"}') == {"title": "trunc \ud83d"}
    assert loads(b'{"title": "ok \\ud83d\\ude00"}') == {"title": "ok \U0001f600"}  # a pair


def test_bytes_that_are_not_utf8_are_read_as_lone_surrogates() -> None:
    assert loads(b'{"title": "caf\xe9"}') == {"title": "caf\udce9"}


@pytest.mark.parametrize(
    "raw", [b"{", b"NaN", b'{"a": Infinity}', b"[" * 5000 + b"]" * 5000, b"\xff\xfe{}"]
)
def test_what_is_not_json_stays_not_json(raw: bytes) -> None:
    with pytest.raises(NotJson):
        loads(raw)


def test_text_gets_the_replacement_character_ids_a_reason() -> None:
    assert replace_invalid("trunc \ud83d") == "trunc \ufffd"
    assert replace_invalid("caf\udce9") == "caf\ufffd"
    assert replace_invalid("fine \U0001f600") == "fine \U0001f600"
    assert id_problem("c\ud83d") == "not valid Unicode"
    for control in ("/a\nb", "\x00", "a\tb", "x\x7f", "x\x85"):
        assert id_problem(control) == "a control character", repr(control)
    assert id_problem("/a b/ü/\U0001f600") is None


def test_an_event_with_a_bad_id_is_a_dead_letter_with_a_reason_its_text_is_kept() -> None:
    base = {"customer_id": "c", "page_id": "p", "timestamp": T}
    with_title = base | {"attributes": {"title": "trunc \ud83d"}}
    assert event_from_record(with_title, now_ms=NOW).attributes == (("title", "trunc \ufffd"),)
    for field in ("customer_id", "page_id", "event_id", "referrer_page_id"):
        for bad, reason in (("x\ud83d", "not valid Unicode"), ("/a\nb", "a control character")):
            with pytest.raises(InvalidEvent) as caught:
                event_from_record(base | {field: bad}, now_ms=NOW)
            assert caught.value.reason == f"invalid {field}: {reason}"
    with pytest.raises(InvalidEvent, match="invalid customer_id: not valid Unicode"):
        parse_event(
            b'{"customer_id": "c\\udc80", "page_id": "p", "timestamp": 1700000000}', now_ms=NOW
        )


def test_a_url_with_a_control_character_has_no_page_id() -> None:
    rules = PageRules()
    for url in ("/nl/a\nb", "\x00", "\x00\x00", "https://help.example.com/a\rb", "/a\tb"):
        with pytest.raises(UnusableUrl):
            rules.page_id(url)
    assert rules.page_id("/nl/ab") == "/nl/ab"
    config = SourceConfig()
    segment = {"type": "page", "userId": "u", "timestamp": "2024-01-01T00:00:00Z"}
    for path in ("/nl/a\nb", "\x00"):
        found = map_message(segment | {"properties": {"path": path}}, config)
        assert found == Invalid("invalid page URL: a control character")
    pixel = {"e": "pv", "uid": "u", "url": "https://h.example/nl/a\nb", "dtm": str(T)}
    assert map_tracker_event(pixel, config) == Invalid("invalid page URL: a control character")
    referred = pixel | {"url": "https://h.example/a", "refr": "https://h.example/\x00"}
    assert map_tracker_event(referred, config) == Invalid(
        "invalid referrer URL: a control character"
    )


# ---- each event of a request as the bytes it was sent as --------------------------------------


def test_the_elements_of_a_batch_come_back_byte_for_byte() -> None:
    first = b'{"type": "page", "userId": "u\\ud83d", "title": "caf\xe9"}'
    nested = b"{" + b'"p":{' * 300 + b'"x":1' + b"}" * 300 + b"}"
    body = (
        b' {\n "context" : {"a": [1, {"b": "]"}]},\n "batch":[ '
        + first
        + b" ,\n"
        + nested
        + b"\t]}"
    )
    assert array_items(body, "batch") == [first, nested]
    assert array_items(b'{"batch": []}', "batch") == []
    assert array_items(b"[1, 2]", "batch") is None
    assert array_items(b'{"other": [1]}', "batch") is None


_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=examples(200, 50), deadline=None)
@given(
    items=st.lists(_values, max_size=5),
    indent=st.none() | st.integers(0, 3),
    ascii_only=st.booleans(),
)
def test_any_batch_s_elements_come_back_as_written(
    items: list[Any], indent: int | None, ascii_only: bool
) -> None:
    body = json.dumps({"writeKey": "k", "batch": items}, indent=indent, ensure_ascii=ascii_only)
    raw = body.encode("utf-8", "surrogatepass")
    found = array_items(raw, "batch")
    assert found is not None
    assert [json.loads(b.decode("utf-8", "surrogatepass")) for b in found] == items
    assert all(b in raw for b in found)


def test_a_batch_orjson_can_read_comes_back_the_same() -> None:
    body = orjson.dumps({"batch": [{"a": 1}, [2, 3], "x"]})
    assert array_items(body, "batch") == [b'{"a":1}', b"[2,3]", b'"x"']
