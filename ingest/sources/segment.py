"""Segment and RudderStack messages (their HTTP Tracking API and the JSON their Kafka and
warehouse destinations write; both speak the same spec) to our events.

`page` calls are page views; `track` calls named in the marker settings are resolution or
escalation markers, those named in PATHRANK_SEARCH_EVENTS searches; `identify`, `screen`,
`group`, `alias` and other tracks are skipped.
Mapping table: docs/sources.md "Segment and RudderStack".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from graph_model.path.record import EventType
from ingest.sources import common
from ingest.sources.common import Invalid, Mapped, Skipped, SourceConfig

_SKIPPED_CALLS: Final = frozenset({"identify", "screen", "group", "alias"})
IGNORED_CALL: Final = Skipped("an identify, screen, group or alias call")


def messages(body: object) -> list[object] | Invalid:
    """The messages of a request or a line: a batch (`{"batch": [...]}`) or one message."""
    if not isinstance(body, Mapping):
        return Invalid("not a JSON object")
    if "batch" in body:
        batch = body["batch"]
        if not isinstance(batch, list):
            return Invalid("batch is not a list")
        return list(batch)
    return [body]


def map_message(message: object, config: SourceConfig, received_ms: int | None = None) -> Mapped:
    """One Segment/RudderStack message to our event. `received_ms` (the collector's clock)
    stands in for a message without any timestamp, as Segment's API does."""
    if not isinstance(message, Mapping):
        return Invalid("not a JSON object")
    call = message.get("type")
    if call in _SKIPPED_CALLS:
        return IGNORED_CALL
    if call == "page":
        kind = EventType.PAGE_VIEW
    elif call == "track":
        name = message.get("event")
        marker = config.markers.kind(name)
        if isinstance(name, str) and name in config.search_events:
            kind = EventType.SEARCH
        elif marker is None:
            return common.NOT_A_MARKER
        else:
            kind = marker
    else:
        return Invalid("type is not page, track, identify, screen, group or alias")
    customer = common.first(message.get("userId"), message.get("anonymousId"))
    if customer is None:
        return Invalid("missing userId and anonymousId")
    properties = common.nested(message, "properties")
    props: Mapping[str, object] = properties if isinstance(properties, Mapping) else {}
    url = common.text(
        common.first(props.get("url"), common.nested(message, "context", "page", "url"))
    )
    path = common.text(
        common.first(props.get("path"), common.nested(message, "context", "page", "path"))
    )
    referrer = common.text(
        common.first(props.get("referrer"), common.nested(message, "context", "page", "referrer"))
    )
    timestamp = common.first(
        message.get("timestamp"),
        message.get("originalTimestamp"),
        message.get("receivedAt"),
        received_ms,
    )
    attrs = common.attributes(
        [
            ("device", common.nested(message, "context", "device", "type")),
            ("locale", common.nested(message, "context", "locale")),
            ("source", common.nested(message, "context", "campaign", "source")),
        ]
    )
    if kind is EventType.SEARCH:
        results = common.first(props.get("results"), props.get("total_results"))
        return common.search_event(
            customer,
            timestamp,
            props.get("query"),
            results,
            event_id=message.get("messageId"),
            attrs=attrs,
        )
    # A path without its query string: the query string is in `search` (analytics.js).
    search = common.text(
        common.first(props.get("search"), common.nested(message, "context", "page", "search"))
    )
    if url is None and path is not None and search is not None:
        url = path + (search if search.startswith("?") else "?" + search)
    return common.page_event(
        config,
        customer,
        timestamp,
        path or url,
        kind=kind,
        event_id=message.get("messageId"),
        referrer_url=referrer,
        page_url=url,
        attrs=attrs,
    )
