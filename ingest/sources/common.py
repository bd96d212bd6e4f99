"""What every source mapper shares: its result types, the marker names, and the shape of the
event it builds (docs/events.md).

A mapper is a pure function from one foreign record to our event dict, or to `Skipped`
(nothing to send, not an error: an identify call, a page ping, an excluded URL) or `Invalid`
(an error, with a fixed reason that never holds the record's values). The dict it returns
still goes through ingest.events' validation, which has the last word.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from graph_model.path.record import EventType
from ingest.events import MAX_ATTRIBUTE_CHARS
from ingest.search import DEFAULT_SEARCH_EVENTS
from ingest.sources.page_rules import PageRules

EXCLUDED: Final = "excluded by a page rule"


@dataclass(frozen=True, slots=True)
class Skipped:
    """A record with nothing for us in it; `reason` is a fixed text."""

    reason: str

    @property
    def excluded(self) -> bool:
        return self.reason == EXCLUDED


@dataclass(frozen=True, slots=True)
class Invalid:
    """A record that cannot be converted; `reason` is a fixed text."""

    reason: str


Event = dict[str, object]
Mapped = Event | Skipped | Invalid


@dataclass(frozen=True, slots=True)
class Markers:
    """Which foreign event names are outcome markers (PATHRANK_RESOLUTION_EVENTS and
    PATHRANK_ESCALATION_EVENTS)."""

    resolution: frozenset[str] = frozenset()
    escalation: frozenset[str] = frozenset()

    def kind(self, name: object) -> EventType | None:
        if not isinstance(name, str):
            return None
        if name in self.resolution:
            return EventType.RESOLUTION
        if name in self.escalation:
            return EventType.ESCALATION
        return None


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """What the vendor mappers need besides the record."""

    rules: PageRules = field(default_factory=PageRules)
    markers: Markers = field(default_factory=Markers)
    # Segment and RudderStack `track` names that are searches (PATHRANK_SEARCH_EVENTS).
    search_events: frozenset[str] = DEFAULT_SEARCH_EVENTS


NOT_A_MARKER: Final = Skipped("an event that is neither a page view nor a configured marker")
NO_QUERY: Final = Skipped("a search-results page without its query")


def text(raw: object) -> str | None:
    """A non-empty string, or None."""
    return raw if isinstance(raw, str) and raw else None


def first(*values: object) -> object | None:
    """The first value that is neither None nor ""."""
    return next((v for v in values if v is not None and v != ""), None)


def nested(record: Mapping[str, object], *path: str) -> object | None:
    value: object = record
    for name in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value


def attributes(pairs: Iterable[tuple[str, object]]) -> dict[str, str]:
    """The string values present, cut to the attribute length limit (a vendor's long
    campaign name should not cost the event)."""
    return {
        key: value[:MAX_ATTRIBUTE_CHARS]
        for key, value in pairs
        if isinstance(value, str) and value.strip()
    }


def naive_utc_ms(raw: str) -> int | str:
    """A warehouse timestamp without a zone ("2024-03-13 10:21:14.123") read as UTC, in epoch
    ms; anything else is returned as it is, for validation to judge."""
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return raw
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def event(
    customer: object,
    timestamp: object,
    page: str | None,
    *,
    kind: EventType | None = None,
    event_id: object = None,
    referrer: str | None = None,
    attrs: Mapping[str, str] | None = None,
    query: object = None,
    results: object = None,
) -> Event:
    """Our event, with only the fields that have a value."""
    out: Event = {"customer_id": customer, "timestamp": timestamp}
    if page is not None:
        out["page_id"] = page
    if kind is not None and kind is not EventType.PAGE_VIEW:
        out["event_type"] = kind.value
    if kind is EventType.SEARCH:
        out["query"] = query
        if results is not None and results != "":
            out["results"] = results
    if event_id is not None and event_id != "":
        out["event_id"] = event_id
    if referrer is not None:
        out["referrer_page_id"] = referrer
    if attrs:
        out["attributes"] = dict(attrs)
    return out


def page_event(
    config: SourceConfig,
    customer: object,
    timestamp: object,
    url: str | None,
    *,
    kind: EventType,
    event_id: object = None,
    referrer_url: str | None = None,
    page_url: str | None = None,
    attrs: Mapping[str, str] | None = None,
) -> Mapped:
    """A page view on `url` (a URL or a path; `page_url` is the full URL when `url` is only
    its path, for the referrer's host check), or a marker on it, through the page rules.

    A page view without a URL is invalid and one on an excluded URL is skipped; a marker's
    page is informative, so it is kept without one in both cases. A page view of a
    search-results URL that a page rule captures is a search (docs/sources.md, "Searches").
    """
    if kind is EventType.PAGE_VIEW and url:
        query = config.rules.search_query(page_url or url)
        if query == "":
            return NO_QUERY
        if query is not None:
            return search_event(customer, timestamp, query, None, event_id=event_id, attrs=attrs)
    page = config.rules.page_id(url) if url else None
    if not kind.marker:
        if not url:
            return Invalid("missing page URL")
        if page is None:
            return Skipped(EXCLUDED)
    referrer = None
    if referrer_url and config.rules.same_host(page_url or url or "", referrer_url):
        referrer = config.rules.page_id(referrer_url)
    return event(
        customer,
        timestamp,
        page,
        kind=kind,
        event_id=event_id,
        referrer=referrer if not kind.marker else None,
        attrs=attrs,
    )


def search_event(
    customer: object,
    timestamp: object,
    query: object,
    results: object,
    *,
    event_id: object = None,
    attrs: Mapping[str, str] | None = None,
) -> Event:
    """A search (its step is on the search page, whatever page it was made from)."""
    return event(
        customer,
        timestamp,
        None,
        kind=EventType.SEARCH,
        event_id=event_id,
        attrs=attrs,
        query=query,
        results=results,
    )
