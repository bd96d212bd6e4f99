"""Click events: validation and normalisation of `clickstream` values (docs/events.md).

Pure functions only. `parse_event` takes the raw Kafka value; `event_from_record` takes an
already-decoded mapping (CSV/JSONL producer). Both apply the same rules, give a `Click`, and
raise `InvalidEvent` with a short, bounded reason (no raw values in it, so it is safe as a
metric label and in the DLQ headers).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Final, TypeVar

import orjson

from graph_model.path.record import Click, EventType
from graph_model.search.text import MAX_QUERY_CHARS
from ingest.search import DEFAULT_SEARCH, SearchRules

MAX_EVENT_BYTES: Final = 64 * 1024
# Ids are indexed (Neo4j refuses index entries over ~8 KB, and a path id joins two ids): a
# longer id is a dead letter here rather than a write that fails on every retry.
MAX_ID_BYTES: Final = 512
# Numbers above this are epoch milliseconds, below (or equal) epoch seconds.
MS_THRESHOLD: Final = 10**11
# How far ahead of the validating machine's clock a timestamp may be (PATHRANK_MAX_CLOCK_SKEW_S):
# the watermark follows the latest click, so a click from the future would close every open path.
DEFAULT_MAX_CLOCK_SKEW_S: Final = 300.0

# Canonical name first; the rest are the seed's aliases, accepted as-is.
CUSTOMER_ID: Final = ("customer_id", "CustomerID", "userid")
PAGE_ID: Final = ("page_id", "NextPageID", "pageid_target")
TIMESTAMP: Final = ("timestamp", "TimeStamp", "epochtime")
IS_RESOLVED: Final = ("is_resolved", "IsResolved", "case_status")
EVENT_ID: Final = ("event_id",)
REFERRER_PAGE_ID: Final = ("referrer_page_id", "pageid_origin")
EVENT_TYPE: Final = ("event_type", "type")
ATTRIBUTES: Final = ("attributes",)
QUERY: Final = ("query",)  # a search's (docs/events.md, "Searches")
RESULTS: Final = ("results",)
MAX_ATTRIBUTES: Final = 16
MAX_ATTRIBUTE_CHARS: Final = 200
ATTRIBUTE_KEY: Final = re.compile(r"[a-z][a-z0-9_]{0,31}", re.ASCII)

_NUMERIC = re.compile(r"-?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?", re.ASCII)
_RESOLVED_STRINGS: Final = frozenset({"true", "True", "1"})
_UNRESOLVED_STRINGS: Final = frozenset({"false", "False", "0"})
_EVENT_TYPES: Final = frozenset(t.value for t in EventType)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)

_T = TypeVar("_T")
FIELDS: Final = (
    CUSTOMER_ID,
    PAGE_ID,
    TIMESTAMP,
    IS_RESOLVED,
    EVENT_ID,
    REFERRER_PAGE_ID,
    EVENT_TYPE,
    ATTRIBUTES,
    QUERY,
    RESULTS,
)
_FIELD_OF: Final = {alias: names[0] for names in FIELDS for alias in names}
_REQUIRED: Final = frozenset({"customer_id", "page_id", "timestamp"})


class InvalidEvent(ValueError):  # noqa: N818 -- the name is part of the interface
    """An event that must go to the DLQ; `reason` is short and human-readable."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_event(
    value: bytes | None,
    *,
    now_ms: int,
    seq: int = 0,
    max_skew_ms: int = round(DEFAULT_MAX_CLOCK_SKEW_S * 1000),
    search: SearchRules = DEFAULT_SEARCH,
) -> Click:
    """Raw Kafka value -> event, or raise InvalidEvent."""
    if not value:
        raise InvalidEvent("empty value")
    if len(value) > MAX_EVENT_BYTES:
        raise InvalidEvent("value over 64 KiB")
    try:
        record = orjson.loads(value)
    except orjson.JSONDecodeError:
        raise InvalidEvent(_undecodable_reason(value)) from None
    if not isinstance(record, dict):
        raise InvalidEvent("not a JSON object")
    return event_from_record(record, now_ms=now_ms, seq=seq, max_skew_ms=max_skew_ms, search=search)


def event_from_record(
    record: Mapping[str, object],
    *,
    now_ms: int,
    seq: int = 0,
    max_skew_ms: int = round(DEFAULT_MAX_CLOCK_SKEW_S * 1000),
    search: SearchRules = DEFAULT_SEARCH,
) -> Click:
    """Already-decoded mapping -> event, with the same rules as `parse_event`."""
    fields = _collect(record)
    customer_id = _required(fields, "customer_id", _id)
    kind = _normalised(fields, "event_type", _event_type) or EventType.PAGE_VIEW
    query = results = None
    # A marker's page is informative: optional, "" when absent.
    if kind.marker:
        page_id = _normalised(_without_empty(fields, "page_id"), "page_id", _id) or ""
    elif kind is EventType.SEARCH:
        query, results = _search(fields, search)
        page_id = search.page
    else:
        page_id = _required(fields, "page_id", _id)
        if page_id == search.page:
            raise InvalidEvent(f"page_id {search.page[:40]!r} is reserved for search events")
    ts_ms = _required(fields, "timestamp", _timestamp_ms)
    if ts_ms - now_ms > max_skew_ms:
        raise InvalidEvent(skew_reason(max_skew_ms))
    resolved = _normalised(fields, "is_resolved", _resolved) or False
    event_id = _normalised(fields, "event_id", _id)
    referrer = _normalised(fields, "referrer_page_id", _id)
    attributes = _normalised(fields, "attributes", _attributes) or ()
    if event_id is not None:
        key = event_id
    else:
        key = event_key(customer_id, ts_ms, page_id, resolved, kind, query)
    return Click(
        key, customer_id, page_id, ts_ms, resolved, seq, referrer, kind, attributes, query, results
    )


def _search(fields: Mapping[str, object], search: SearchRules) -> tuple[str, int | None]:
    """A search's query as stored and its results count; a search never resolves."""
    if _normalised(fields, "is_resolved", _resolved):
        raise InvalidEvent("invalid is_resolved: a search does not resolve")
    _normalised(_without_empty(fields, "page_id"), "page_id", _id)  # informative, but checked
    raw = _required(fields, "query", _query_text)
    query = search.text.stored(raw)
    if not query:
        raise InvalidEvent("invalid query: nothing left once normalised")
    return query, _normalised(fields, "results", _count)


def skew_reason(max_skew_ms: int) -> str:
    """The reason of a click too far ahead of the clock (bounded: it names the setting only)."""
    return f"timestamp more than {max_skew_ms / 1000:g} s ahead of the clock (max clock skew)"


def event_key(
    customer_id: str,
    ts_ms: int,
    page_id: str,
    resolved: bool,
    kind: EventType = EventType.PAGE_VIEW,
    query: str | None = None,
) -> str:
    """Deterministic key of an event without `event_id`, from normalised values only.

    The JSON array encoding makes the input unambiguous whatever characters the ids hold. A
    page view's array has no type (its keys predate event types); a marker's ends with it, a
    search's with it and its stored query.
    """
    values: list[object] = [customer_id, ts_ms, page_id, resolved]
    if kind.marker:
        values.append(kind.value)
    elif kind is EventType.SEARCH:
        values += [kind.value, query]
    return hashlib.blake2b(orjson.dumps(values), digest_size=16).hexdigest()


def event_to_json(event: Click) -> bytes:
    """Canonical JSON with our field names; `parse_event(event_to_json(e)) == e`.

    The key always travels as `event_id`, so re-producing an event keeps its identity.
    """
    record: dict[str, object] = {
        "customer_id": event.customer_id,
        "page_id": event.page_id,
        "timestamp": _timestamp_json(event.ts_ms),
        "is_resolved": event.resolved,
        "event_id": event.key,
    }
    if event.referrer_page_id is not None:
        record["referrer_page_id"] = event.referrer_page_id
    # Only what differs from the defaults, so page views keep their bytes.
    if event.kind.marker:
        record["event_type"] = event.kind.value
        if not event.page_id:
            del record["page_id"]
    elif event.kind is EventType.SEARCH:
        record["event_type"] = event.kind.value
        record["query"] = event.query
        del record["page_id"]  # the search page is ingest's setting, not the event's
        if event.results is not None:
            record["results"] = event.results
    if event.attributes:
        record["attributes"] = dict(event.attributes)
    return orjson.dumps(record)


def _timestamp_json(ts_ms: int) -> int | float:
    # Millisecond values at or below the threshold would be read back as seconds.
    if ts_ms > MS_THRESHOLD:
        return ts_ms
    if ts_ms % 1000 == 0:
        return ts_ms // 1000
    return ts_ms / 1000


def _undecodable_reason(value: bytes) -> str:
    try:
        bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8"
    return "not valid JSON"


# --- field lookup -----------------------------------------------------------------------


class _BadValueError(Exception):
    """Internal: what is wrong with a value, before the field name is attached."""


def _collect(record: Mapping[str, object]) -> dict[str, object]:
    """Raw values by canonical field name; unknown fields are ignored.

    Null counts as absent; so does "" for optional fields (an empty CSV cell). Iterating the
    record (a handful of keys) is cheaper than probing every alias.
    """
    fields: dict[str, object] = {}
    for name, raw in record.items():
        field = _FIELD_OF.get(name)
        if field is None or raw is None or (field not in _REQUIRED and _is_empty(raw)):
            continue
        if field in fields:
            _check_agree(field, fields[field], raw)
        else:
            fields[field] = raw
    return fields


def _is_empty(raw: object) -> bool:
    return isinstance(raw, str) and not raw


def _without_empty(fields: Mapping[str, object], field: str) -> Mapping[str, object]:
    return {field: None} if _is_empty(fields.get(field)) else fields


def _check_agree(field: str, first: object, second: object) -> None:
    """Two aliases of one field must agree once normalised (1 and "1", s and ms)."""
    normalise = _NORMALISERS[field]
    if _normalised({field: first}, field, normalise) != _normalised(
        {field: second}, field, normalise
    ):
        raise InvalidEvent(f"conflicting values for {field}")


def _required(fields: Mapping[str, object], field: str, normalise: Callable[[object], _T]) -> _T:
    value = _normalised(fields, field, normalise)
    if value is None:
        raise InvalidEvent(f"missing field {field}")
    return value


def timestamp_field(record: Mapping[str, object], field: str) -> int | None:
    """An optional timestamp field of any record, with the rules of `timestamp` (epoch
    seconds or milliseconds, ISO-8601 with a zone): epoch ms, None when absent, else
    InvalidEvent("invalid <field>: ...")."""
    return _normalised(record, field, _timestamp_ms)


def _normalised(
    fields: Mapping[str, object], field: str, normalise: Callable[[object], _T]
) -> _T | None:
    raw = fields.get(field)
    if raw is None:
        return None
    try:
        return normalise(raw)
    except _BadValueError as exc:
        raise InvalidEvent(f"invalid {field}: {exc}") from None


# --- value normalisers --------------------------------------------------------------------


def _id(raw: object) -> str:
    if isinstance(raw, str):
        if not raw.strip():
            raise _BadValueError("empty string")
        text = raw
    elif isinstance(raw, int) and not isinstance(raw, bool):
        try:
            text = str(raw)
        except ValueError:  # beyond Python's int-to-str digit limit
            raise _BadValueError("integer too large") from None
    else:
        raise _BadValueError("expected a string or an integer")
    # A character is at most 4 bytes in UTF-8: only a long text needs encoding to measure.
    if len(text) * 4 > MAX_ID_BYTES and len(text.encode("utf-8", "surrogatepass")) > MAX_ID_BYTES:
        raise _BadValueError(f"longer than {MAX_ID_BYTES} bytes (UTF-8)")
    return text


def _resolved(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return raw == 1
    if isinstance(raw, str):
        if raw in _RESOLVED_STRINGS:
            return True
        if raw in _UNRESOLVED_STRINGS:
            return False
    raise _BadValueError("expected a bool, true/false or 0/1")


def _event_type(raw: object) -> EventType:
    if isinstance(raw, str) and raw in _EVENT_TYPES:
        return EventType(raw)
    raise _BadValueError("expected page_view, resolution, escalation or search")


def _query_text(raw: object) -> str:
    if not isinstance(raw, str):
        raise _BadValueError("expected a string")
    if len(raw) > MAX_QUERY_CHARS:
        raise _BadValueError(f"over {MAX_QUERY_CHARS} characters")
    return raw


def _count(raw: object) -> int:
    """A results count: an integer >= 0, or a string of digits (a CSV cell)."""
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return raw
    if isinstance(raw, float) and raw.is_integer() and raw >= 0:
        return int(raw)
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 18:
        return int(raw)
    raise _BadValueError("expected an integer >= 0")


def _attributes(raw: object) -> tuple[tuple[str, str], ...]:
    """Sorted (key, value) pairs; a null or "" value counts as absent."""
    if not isinstance(raw, Mapping):
        raise _BadValueError("expected an object of strings")
    pairs: list[tuple[str, str]] = []
    for key, value in raw.items():
        if value is None or value == "":
            continue
        if not isinstance(key, str) or not ATTRIBUTE_KEY.fullmatch(key):
            raise _BadValueError("a key is not [a-z][a-z0-9_]{0,31}")
        if not isinstance(value, str):
            raise _BadValueError("a value is not a string")
        if len(value) > MAX_ATTRIBUTE_CHARS:
            raise _BadValueError(f"a value is over {MAX_ATTRIBUTE_CHARS} characters")
        pairs.append((key, value))
    if len(pairs) > MAX_ATTRIBUTES:
        raise _BadValueError(f"more than {MAX_ATTRIBUTES} keys")
    return tuple(sorted(pairs))


def _timestamp_ms(raw: object) -> int:
    if isinstance(raw, bool):
        raise _BadValueError("expected a number or an ISO-8601 string, got a bool")
    if isinstance(raw, int | float):
        return _epoch_ms(raw)
    if isinstance(raw, str):
        if _NUMERIC.fullmatch(raw):
            return _epoch_ms(_number(raw))
        return _iso_ms(raw)
    raise _BadValueError("expected a number or an ISO-8601 string")


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:  # a fraction/exponent, or beyond the int-from-str digit limit
        pass
    return float(text)


def _epoch_ms(value: int | float) -> int:
    if isinstance(value, float) and not math.isfinite(value):
        raise _BadValueError("not finite")
    if value < 0:
        raise _BadValueError("negative")
    if value > MS_THRESHOLD:
        return round(value)
    # Floats carry representation error (x.123 * 1000 == x122.99...): round, never truncate.
    return round(value * 1000)


def _iso_ms(text: str) -> int:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _BadValueError("unparseable") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise _BadValueError("ISO-8601 without a time zone")
    micros = (moment - _EPOCH) // _MICROSECOND
    if micros < 0:
        raise _BadValueError("negative")
    return (micros + 500) // 1000


_NORMALISERS: Final[dict[str, Callable[[object], object]]] = {
    "customer_id": _id,
    "page_id": _id,
    "timestamp": _timestamp_ms,
    "is_resolved": _resolved,
    "event_id": _id,
    "referrer_page_id": _id,
    "event_type": _event_type,
    "attributes": _attributes,
    "query": _query_text,
    "results": _count,
}
