"""Search events on the way in (docs/sources.md, "Searches"): what a search step is, and
keeping query text out of every record the product writes.

Validation (ingest.events) stores a query only in its redacted form; this module holds the
settings it does so with, and redacts the queries inside a dead letter's original record:
a dead letter keeps the record's bytes, except that each query in it is replaced by its
stored form. The fields searched are every source's: our `query`, Segment's
`properties.query`, GA4's `search_term`, Snowplow's `site_search` terms (inside `ue_pr`,
`ue_px` or the enriched `unstruct_event`) and a search-results URL's query string. A record
that is not JSON (or a TSV line) cannot be searched field by field: when it may hold a
query, every e-mail address and long number in it is redacted instead.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson

from graph_model.search.text import EMAIL, EMAIL_TOKEN, NUMBER, NUMBER_TOKEN, QueryText

DEFAULT_SEARCH_PAGE: Final = "search"
DEFAULT_SEARCH_EVENTS: Final = frozenset(
    {"Products Searched", "Searched", "Search", "Help Center Searched"}
)
# Fields that hold query text, in any source's records.
QUERY_FIELDS: Final = frozenset({"query", "search_term", "q", "terms", "keywords"})
_MAY_HOLD_QUERY: Final = re.compile(rb"query|search|terms|[?&]q=", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SearchRules:
    """Where search steps go (PATHRANK_SEARCH_PAGE) and how their text is stored
    (PATHRANK_QUERY_REDACT)."""

    page: str = DEFAULT_SEARCH_PAGE
    text: QueryText = field(default_factory=QueryText)


DEFAULT_SEARCH: Final = SearchRules()


@dataclass(frozen=True, slots=True)
class Redactor:
    """Redacts the queries inside records: `text` is how a query is stored, `fields` the
    names that hold queries (the built-in ones, and the query parameters of page rules)."""

    text: QueryText = field(default_factory=QueryText)
    fields: frozenset[str] = QUERY_FIELDS

    def record(self, value: bytes | None) -> bytes | None:
        """A dead letter's value with every query in it in its stored form."""
        if not value:
            return value
        try:
            decoded = orjson.loads(value)
        except orjson.JSONDecodeError:
            return self._unreadable(value) if _MAY_HOLD_QUERY.search(value) else value
        if not isinstance(decoded, dict | list):
            return value
        redacted = self.walk(decoded)
        return value if redacted == decoded else orjson.dumps(redacted)

    def walk(self, node: object) -> Any:
        """An already decoded record (the collector's), redacted."""
        if isinstance(node, dict):
            return {k: self._field(k, v) for k, v in node.items()}
        if isinstance(node, list):
            return [self.walk(v) for v in node]
        return node

    def _unreadable(self, value: bytes) -> bytes:
        """A record that is no JSON. A Snowplow enriched line (tabs) is redacted field by
        field (URLs, query strings, embedded JSON); anything else may hold a query anywhere,
        so every e-mail address and long number in it is redacted."""
        decoded = value.decode("utf-8", "replace")
        if "\t" in decoded:
            return "\t".join(self._tsv_field(f) for f in decoded.split("\t")).encode()
        return self._loose(decoded).encode()

    def _tsv_field(self, part: str) -> str:
        if part.startswith("{"):
            return self._json_text(part)
        if "=" in part:
            return self._url(part if "?" in part or "://" in part else "?" + part).lstrip("?")
        return part

    def _loose(self, part: str) -> str:
        return self.text.redacted(NUMBER.sub(NUMBER_TOKEN, EMAIL.sub(EMAIL_TOKEN, part)))

    def _field(self, name: object, value: object) -> object:
        if isinstance(name, str):
            if name in self.fields:
                return self._query(value)
            if isinstance(value, str):
                if name in _JSON_TEXT:
                    return self._json_text(value)
                if name in _BASE64_JSON:
                    return self._base64_json(value)
                if "?" in value or name in ("url", "path", "refr", "page_urlquery"):
                    return self._url(value)
            if name in ("event_params", "params") and isinstance(value, list):
                return [self._param(v) for v in value]
        return self.walk(value)

    def _query(self, value: object) -> object:
        if isinstance(value, str):
            return self.text.stored(value)
        if isinstance(value, list):
            return [self._query(v) for v in value]
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int | float):  # a number sent as a query: as text, redacted
            return self.text.stored(str(value))
        return self.text.stored(orjson.dumps(value).decode())

    def _param(self, entry: object) -> object:
        """A GA4 event_params entry: `{key, value: {string_value: ...}}`."""
        if isinstance(entry, dict) and entry.get("key") in self.fields:
            inner = entry.get("value")
            if isinstance(inner, dict):
                return {**entry, "value": {k: self._query(v) for k, v in inner.items()}}
        return self.walk(entry)

    def _url(self, url: str) -> str:
        """A URL (or query string) with the values of its query parameters redacted."""
        parts = urlsplit(url)
        if not parts.query:
            return url
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        redacted = [(k, str(self._query(v)) if k in self.fields else v) for k, v in pairs]
        if redacted == pairs:
            return url
        return urlunsplit(parts._replace(query=urlencode(redacted)))

    def _json_text(self, raw: str) -> str:
        """A string that holds JSON (Snowplow's `ue_pr`, `co`, `unstruct_event`)."""
        try:
            decoded = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return self._loose(raw)
        redacted = self.walk(decoded)
        return raw if redacted == decoded else orjson.dumps(redacted).decode()

    def _base64_json(self, raw: str) -> str:
        """Snowplow's `ue_px`/`cx`: URL-safe base64 of JSON."""
        try:
            decoded = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("utf-8")
        except (binascii.Error, ValueError):
            return raw
        redacted = self._json_text(decoded)
        if redacted == decoded:
            return raw
        return base64.urlsafe_b64encode(redacted.encode()).decode().rstrip("=")


_JSON_TEXT: Final = frozenset({"ue_pr", "co", "unstruct_event", "contexts"})
_BASE64_JSON: Final = frozenset({"ue_px", "cx"})
