"""The `pages` topic: the site's declared structure, one JSON object per page."""

from __future__ import annotations

from collections.abc import Mapping

from confluent_kafka import TIMESTAMP_NOT_AVAILABLE, Message

from graph_model.page.record import CatalogEntry
from ingest.events import MAX_EVENT_BYTES, InvalidEvent, timestamp_field
from ingest.text import NotJson, id_problem, loads, replace_invalid

# When the page took this form: the record's own field, else the time Kafka gives the record.
UPDATED_AT = "updated_at"


def _page_id(raw: object, what: str) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int) or raw == "":
        raise InvalidEvent(f"{what} must be a non-empty string or integer")
    problem = id_problem(str(raw))
    if problem is not None:  # a page id is kept exactly or not at all
        raise InvalidEvent(f"invalid {what}: {problem}")
    return str(raw)


def _optional_text(raw: object, what: str) -> str | None:
    """Text that is not valid Unicode gets U+FFFD in its place."""
    if raw is None:
        return None
    if isinstance(raw, str):
        return replace_invalid(raw)
    raise InvalidEvent(f"{what} must be a string")


def parse_page(value: bytes | None, received_ms: int | None = None) -> CatalogEntry:
    """`{page_id, title, url, links: [page_id, ...], updated_at}` -> a catalog entry, or
    InvalidEvent; `received_ms`: the Kafka record's timestamp (the version's time when the
    record has no `updated_at`)."""
    if not value:
        raise InvalidEvent("empty value")
    if len(value) > MAX_EVENT_BYTES:
        raise InvalidEvent(f"value over {MAX_EVENT_BYTES} bytes")
    try:
        record = loads(value)
    except NotJson as exc:
        raise InvalidEvent("not JSON") from exc
    if not isinstance(record, dict):
        raise InvalidEvent("not a JSON object")
    return catalog_entry(record, received_ms)


def catalog_entry(record: Mapping[str, object], received_ms: int | None = None) -> CatalogEntry:
    """An already-decoded catalog record, with the same rules as `parse_page`."""
    if "page_id" not in record:
        raise InvalidEvent("missing field page_id")
    links = record.get("links", [])
    if not isinstance(links, list):
        raise InvalidEvent("links must be a list of page ids")
    return CatalogEntry(
        page_id=_page_id(record["page_id"], "page_id"),
        title=_optional_text(record.get("title"), "title"),
        url=_optional_text(record.get("url"), "url"),
        links=tuple(dict.fromkeys(_page_id(link, "links[]") for link in links)),
        since=timestamp_field(record, UPDATED_AT) or received_ms,
    )


def received_ms(m: Message) -> int | None:
    """A record's Kafka timestamp (producer or broker time), if it has one: the time of a
    catalog record without `updated_at`."""
    kind, ms = m.timestamp()
    return ms if kind != TIMESTAMP_NOT_AVAILABLE and ms >= 0 else None
