"""GA4's BigQuery export (one `events_YYYYMMDD` row as JSON, e.g. from `bq extract
--destination_format NEWLINE_DELIMITED_JSON`) to our events.

`page_view` rows are clicks; `view_search_results` and `search` rows are searches; rows
whose `event_name` is in the marker settings are markers; the rest are skipped. BigQuery
writes INTEGER columns to JSON as strings, so numbers are accepted either way. Mapping
table: docs/sources.md "GA4".
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Final

import orjson

from graph_model.path.record import EventType
from ingest.sources.common import (
    NOT_A_MARKER,
    Invalid,
    Mapped,
    SourceConfig,
    attributes,
    first,
    nested,
    page_event,
    search_event,
    text,
)

# GA4's events of a site search (enhanced measurement's, and the recommended one).
SEARCH_EVENTS: Final = frozenset({"view_search_results", "search"})


def map_row(row: object, config: SourceConfig) -> Mapped:
    if not isinstance(row, Mapping):
        return Invalid("not a JSON object")
    name = row.get("event_name")
    if name in SEARCH_EVENTS:
        kind: EventType | None = EventType.SEARCH
    else:
        kind = EventType.PAGE_VIEW if name == "page_view" else config.markers.kind(name)
    if kind is None:
        return NOT_A_MARKER if isinstance(name, str) else Invalid("missing event_name")
    customer = first(row.get("user_id"), row.get("user_pseudo_id"))
    if customer is None:
        return Invalid("missing user_id and user_pseudo_id")
    micros = _integer(row.get("event_timestamp"))
    if micros is None:
        return Invalid("event_timestamp is not an integer of microseconds")
    params = event_params(row.get("event_params"))
    if isinstance(params, Invalid):
        return params
    url = text(params.get("page_location"))
    attrs = attributes(
        [
            ("device", nested(row, "device", "category")),
            ("country", nested(row, "geo", "country")),
            ("source", nested(row, "traffic_source", "source")),
        ]
    )
    if kind is EventType.SEARCH:
        # GA4 reports no results count for a search.
        return search_event(
            customer,
            (micros + 500) // 1000,
            params.get("search_term"),
            None,
            event_id=_event_id(row),
            attrs=attrs,
        )
    return page_event(
        config,
        customer,
        (micros + 500) // 1000,
        url,
        kind=kind,
        event_id=_event_id(row),
        referrer_url=text(params.get("page_referrer")),
        attrs=attrs,
    )


def event_params(raw: object) -> dict[str, object] | Invalid:
    """`event_params`, the repeated `{key, value: {string_value | int_value | float_value |
    double_value}}` records, as a plain mapping."""
    if raw is None:
        return {}
    if not isinstance(raw, list):
        return Invalid("event_params is not a list")
    params: dict[str, object] = {}
    for entry in raw:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("key"), str):
            return Invalid("an event_params entry has no key")
        value = entry.get("value")
        if isinstance(value, Mapping):
            params[str(entry["key"])] = first(
                value.get("string_value"),
                value.get("int_value"),
                value.get("float_value"),
                value.get("double_value"),
            )
    return params


def _integer(raw: object) -> int | None:
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return raw
    if isinstance(raw, str) and raw.isdigit():
        return int(raw)
    return None


def _event_id(row: Mapping[str, object]) -> str:
    """GA4 has no event id: what identifies an event within the export, hashed."""
    parts = [
        row.get(name)
        for name in (
            "user_pseudo_id",
            "event_timestamp",
            "batch_page_id",
            "batch_ordering_id",
            "batch_event_index",
        )
    ]
    identity = [str(p) if p is not None else None for p in parts]
    return hashlib.blake2b(orjson.dumps(identity), digest_size=16).hexdigest()
