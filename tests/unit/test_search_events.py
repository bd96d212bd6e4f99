"""Search events on the way in (docs/events.md "Searches", docs/sources.md "Searches"): the
query's stored form, validation, every source's mapping, and dead letters without queries.

The normaliser's reference below is written from the docs' definition, not from the code."""

from __future__ import annotations

import base64
import contextlib
import json
import re
import unicodedata
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph_model.path.record import EventType
from graph_model.search.text import QueryText, normalise
from ingest.events import InvalidEvent, event_from_record, event_to_json, parse_event
from ingest.search import QUERY_FIELDS, Redactor, SearchRules
from ingest.sources import ga4, segment, snowplow
from ingest.sources.common import Skipped, SourceConfig
from ingest.sources.page_rules import PageRules, PageRulesError
from ingest.sources.table import TableMapping
from tests.unit.test_sources_snowplow import enriched

NOW = 1_900_000_000_000
TS = 1_800_000_000
RULES = PageRules.parse(
    """
[[rule]]
match = '^/hc/[a-z-]+/search'
search = 'query'

[[rule]]
match = '^/hc/[a-z-]+/articles/(\\d+)'
page = 'article-$1'
"""
)
CONFIG = SourceConfig(rules=RULES)


TOKENS = ("<email>", "<number>", "<redacted>")


def reference(raw: str, extra: tuple[str, ...] = ()) -> str:
    """docs/sources.md: NFKC, case-folded, whitespace collapsed, P and S characters at either
    end stripped (a redaction token at an end stays); then e-mails, 6+ digits, the extra
    expressions."""
    text = unicodedata.normalize("NFKC", raw).casefold()
    text = " ".join(text.split())

    def strippable(c: str) -> bool:
        return c == " " or unicodedata.category(c)[0] in "PS"

    while text and strippable(text[0]) and not any(text.startswith(t) for t in TOKENS):
        text = text[1:]
    while text and strippable(text[-1]) and not any(text.endswith(t) for t in TOKENS):
        text = text[:-1]
    text = re.sub(r"[^\s@]+@[^\s@]+", "<email>", text)
    text = re.sub(r"\d{6,}", "<number>", text)
    for expression in extra:
        text = re.sub(expression, "<redacted>", text)
    return text


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("  Refund   STATUS?? ", "refund status"),
        ("¿Dónde está mi factura?", "dónde está mi factura"),
        (
            "\uff32\uff45\uff53\uff45\uff54\u3000\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44",
            "reset password",
        ),  # full width, ideographic space
        ("STRASSE ß", "strasse ss"),
        ("c++ vs c#", "c++ vs c"),  # inside kept, the end stripped
        ("«refund» — now!", "refund» — now"),
        ("order 12345678 late", "order <number> late"),
        ("order 12345 late", "order 12345 late"),
        ("mail JANE.Doe+x@Example.COM please", "mail <email> please"),
        ("٠١٢٣٤٥٦٧", "<number>"),  # Arabic-Indic digits are digits too
    ],
)
def test_stored_text(raw: str, stored: str) -> None:
    assert QueryText().stored(raw) == stored == reference(raw)


@given(st.text(max_size=60))
def test_normalisation_follows_its_definition(raw: str) -> None:
    raw = raw.replace("\x00", "")  # control characters: spaces (checked below)
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in raw):
        return
    assert QueryText().stored(raw) == reference(raw)


@given(st.text(max_size=60) | st.sampled_from(["<email>", "a <number>", "<redacted>!"]))
def test_storing_twice_changes_nothing(raw: str) -> None:
    once = QueryText().stored(raw)
    assert normalise(once) == once
    assert QueryText().stored(once) == once


def test_configured_expressions_see_the_normalised_text() -> None:
    text = QueryText.of([r"acct-\w+", r"\b[a-z]{2}\d{2}[a-z0-9]{4,}\b"])
    assert text.stored("My ACCT-77AB closed") == "my <redacted> closed"
    assert text.stored("iban DE89ABCD please") == "iban <redacted> please"
    assert text.stored("\uff21\uff23\uff23\uff34-\uff19") == "<redacted>"


def test_control_characters_and_surrogates_are_spaces() -> None:
    assert QueryText().stored("reset\x00password\ud800now") == "reset password now"


def search(**fields: Any) -> dict[str, Any]:
    return {"customer_id": "c", "event_type": "search", "timestamp": TS, **fields}


def test_a_search_event_is_a_step_on_the_search_page() -> None:
    click = event_from_record(search(query=" Refund STATUS? ", results=3), now_ms=NOW)
    assert (click.page_id, click.kind, click.query, click.results) == (
        "search",
        EventType.SEARCH,
        "refund status",
        3,
    )
    other = event_from_record(
        search(query="x", page_id="article-1"),
        now_ms=NOW,
        search=SearchRules(page="site-search"),
    )
    assert (other.page_id, other.results) == ("site-search", None)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({}, "missing field query"),
        ({"query": 5}, "invalid query: expected a string"),
        ({"query": "x" * 501}, "invalid query: over 500 characters"),
        ({"query": " ?! "}, "invalid query: nothing left once normalised"),
        ({"query": "x", "results": -1}, "invalid results: expected an integer >= 0"),
        ({"query": "x", "results": "many"}, "invalid results: expected an integer >= 0"),
        ({"query": "x", "is_resolved": True}, "invalid is_resolved: a search does not resolve"),
        ({"query": "x", "page_id": ""}, None),
    ],
)
def test_invalid_searches(fields: dict[str, Any], reason: str | None) -> None:
    if reason is None:
        event_from_record(search(**fields), now_ms=NOW)
        return
    with pytest.raises(InvalidEvent) as caught:
        event_from_record(search(**fields), now_ms=NOW)
    assert caught.value.reason == reason


def test_500_characters_before_normalisation() -> None:
    assert event_from_record(search(query=" " * 499 + "x"), now_ms=NOW).query == "x"


def test_a_page_view_on_the_reserved_page_is_invalid() -> None:
    with pytest.raises(InvalidEvent, match="reserved for search events"):
        event_from_record({"customer_id": "c", "page_id": "search", "timestamp": TS}, now_ms=NOW)


@given(query=st.text(min_size=1, max_size=500), results=st.none() | st.integers(0, 10**6))
def test_searches_round_trip(query: str, results: int | None) -> None:
    try:
        click = event_from_record(search(query=query, results=results), now_ms=NOW)
    except InvalidEvent:
        return  # nothing left of it once normalised
    assert parse_event(event_to_json(click), now_ms=NOW) == click


def test_a_derived_key_includes_the_query() -> None:
    a = event_from_record(search(query="refund"), now_ms=NOW)
    b = event_from_record(search(query="REFUND!"), now_ms=NOW)
    c = event_from_record(search(query="invoice"), now_ms=NOW)
    assert a.key == b.key != c.key


# ---- sources ---------------------------------------------------------------------------


def test_segment_searches() -> None:
    message = {
        "type": "track",
        "event": "Products Searched",
        "userId": "u1",
        "messageId": "m1",
        "timestamp": "2026-01-01T10:00:00Z",
        "properties": {"query": "Refund for order 12345678", "total_results": 4},
        "context": {"locale": "de-DE"},
    }
    mapped = segment.map_message(message, CONFIG)
    assert isinstance(mapped, dict)
    click = event_from_record(mapped, now_ms=NOW)
    assert (click.kind, click.query, click.results, click.key) == (
        EventType.SEARCH,
        "refund for order <number>",
        4,
        "m1",
    )
    other = segment.map_message({**message, "event": "Video Played"}, CONFIG)
    assert isinstance(other, Skipped)
    missing = segment.map_message({**message, "properties": {}}, CONFIG)
    assert isinstance(missing, dict)
    with pytest.raises(InvalidEvent, match="missing field query"):
        event_from_record(missing, now_ms=NOW)


def test_segment_page_views_of_search_results_captured_by_a_rule() -> None:
    message = {
        "type": "page",
        "userId": "u1",
        "timestamp": "2026-01-01T10:00:00Z",
        "properties": {"path": "/hc/en-us/search", "search": "?query=reset+PASSWORD&page=2"},
    }
    mapped = segment.map_message(message, CONFIG)
    assert isinstance(mapped, dict)
    assert event_from_record(mapped, now_ms=NOW).query == "reset password"
    bare = segment.map_message({**message, "properties": {"path": "/hc/en-us/search"}}, CONFIG)
    assert isinstance(bare, Skipped)


def self_describing(schema: str, data: dict[str, Any]) -> str:
    envelope = {
        "schema": "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0",
        "data": {"schema": schema, "data": data},
    }
    return base64.urlsafe_b64encode(json.dumps(envelope).encode()).decode().rstrip("=")


SITE_SEARCH = "iglu:com.snowplowanalytics.snowplow/site_search/jsonschema/1-0-0"


def test_snowplow_site_search_in_the_tracker_protocol_and_enriched() -> None:
    params = {
        "e": "ue",
        "uid": "u1",
        "eid": "e1",
        "dtm": str(TS * 1000),
        "ue_px": self_describing(SITE_SEARCH, {"terms": ["Reset", "2FA"], "totalResults": 0}),
    }
    mapped = snowplow.map_tracker_event(params, CONFIG)
    assert isinstance(mapped, dict)
    click = event_from_record(mapped, now_ms=NOW)
    assert (click.query, click.results) == ("reset 2fa", 0)
    line = enriched(
        event="unstruct",
        event_name="site_search",
        event_id="e2",
        user_id="u1",
        collector_tstamp="2026-01-01 10:00:00.000",
        unstruct_event=json.dumps(
            {
                "schema": "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0",
                "data": {"schema": SITE_SEARCH, "data": {"terms": ["Invoice"]}},
            }
        ),
    )
    mapped = snowplow.map_enriched(line, CONFIG)
    assert isinstance(mapped, dict)
    assert event_from_record(mapped, now_ms=NOW).query == "invoice"


def test_ga4_search_rows() -> None:
    for name in ("view_search_results", "search"):
        row = {
            "event_name": name,
            "event_timestamp": "1710325274123456",
            "user_pseudo_id": "p1",
            "event_params": [{"key": "search_term", "value": {"string_value": "Where is VAT?"}}],
        }
        mapped = ga4.map_row(row, CONFIG)
        assert isinstance(mapped, dict)
        click = event_from_record(mapped, now_ms=NOW)
        assert (click.kind, click.query, click.results) == (EventType.SEARCH, "where is vat", None)


def test_tables_with_search_when_and_map_query() -> None:
    table = TableMapping.parse(
        maps=["customer_id=user", "page_id=url", "query=term"],
        search_when=["event=searched"],
    )
    row = {"user": "u1", "url": "/x", "term": "VAT?", "event": "searched", "timestamp": str(TS)}
    mapped = table.map_row(row)
    assert isinstance(mapped, dict)
    assert event_from_record(mapped, now_ms=NOW).query == "vat"
    captured = TableMapping.parse(page_rules=RULES).map_row(
        {"customer_id": "u1", "page_id": "/hc/de/search?query=Rechnung", "timestamp": str(TS)}
    )
    assert isinstance(captured, dict)
    assert event_from_record(captured, now_ms=NOW).query == "rechnung"


def test_page_rules_search_key() -> None:
    assert RULES.page_id("https://h.example/hc/en-us/search?query=x") == "search"
    assert RULES.search_query("/hc/en-us/articles/1") is None
    with pytest.raises(PageRulesError, match="give one of"):
        PageRules.parse("[[rule]]\nmatch = 'a'\nsearch = 'q'\npage = 'x'\n")


# ---- dead letters ------------------------------------------------------------------------

SECRETS = ("jane@example.com", "12345678")
REDACTOR = Redactor(QueryText(), QUERY_FIELDS)


def leaks(value: bytes | None) -> list[str]:
    text = (value or b"").decode("utf-8", "replace")
    decoded = [text]
    for found in re.findall(r"[A-Za-z0-9_-]{40,}", text):  # base64 payloads inside
        with contextlib.suppress(ValueError):
            decoded.append(base64.urlsafe_b64decode(found + "==").decode("utf-8", "replace"))
    return [s for s in SECRETS if any(s in d for d in decoded)]


QUERY = "Mail jane@example.com about order 12345678"
RECORDS: list[Any] = [
    search(query=QUERY, customer_id=None),
    search(query=QUERY + "x" * 500),
    search(query={"nested": QUERY}),
    {
        "type": "track",
        "event": "Products Searched",
        "properties": {"query": QUERY, "url": "https://h/hc/en/search?query=" + QUERY},
    },
    {
        "event_name": "view_search_results",
        "event_params": [{"key": "search_term", "value": {"string_value": QUERY}}],
    },
    {"e": "ue", "ue_px": self_describing(SITE_SEARCH, {"terms": QUERY.split()})},
    {"e": "ue", "ue_pr": json.dumps({"data": {"schema": SITE_SEARCH, "data": {"terms": [QUERY]}}})},
    {"e": "pv", "url": "https://h/hc/en-us/search?query=" + QUERY.replace(" ", "+")},
]


@pytest.mark.parametrize("record", RECORDS)
def test_dead_letters_keep_no_query(record: Any) -> None:
    value = orjson.dumps(record)
    assert leaks(value)  # the test's own check finds them before redaction
    redacted = REDACTOR.record(value)
    assert leaks(redacted) == []
    assert leaks(orjson.dumps(REDACTOR.walk(record))) == []


def test_dead_letters_of_unreadable_records() -> None:
    broken = b'{"event_type": "search", "query": "' + QUERY.encode()
    assert leaks(REDACTOR.record(broken)) == []
    tsv = enriched(
        event="page_view", page_url="https://h/hc/en/search?query=" + QUERY.replace(" ", "%20")
    ).encode()
    assert leaks(REDACTOR.record(tsv)) == []
    assert len(REDACTOR.record(tsv).split(b"\t")) == 131  # still an enriched line


def test_a_record_without_a_query_keeps_its_bytes() -> None:
    value = b'{"customer_id":  "c", "page_id": "p", "timestamp": 1}'
    assert REDACTOR.record(value) is value
    assert REDACTOR.record(b"\xff\xfe not json") == b"\xff\xfe not json"


@given(st.text(max_size=80))
def test_redacted_dead_letters_hold_only_stored_queries(query: str) -> None:
    value = orjson.dumps({"event_type": "search", "query": query})
    redacted = orjson.loads(REDACTOR.record(value) or b"")
    assert redacted["query"] == QueryText().stored(query)
