"""CSV and JSON Lines exports in anyone's layout: `pathrank produce --map --timezone
--resolved-when --escalated-when --search-when --attributes --page-rules` (docs/sources.md
"Any export").

Without options a row is our event as it is (docs/events.md), so our own files and the
original clickstream's layouts load unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from graph_model.path.record import EventType
from ingest.events import ATTRIBUTE_KEY, ATTRIBUTES, FIELDS, PAGE_ID, REFERRER_PAGE_ID, TIMESTAMP
from ingest.sources.common import EXCLUDED, NO_QUERY, Mapped, Skipped, attributes
from ingest.sources.page_rules import PageRules

# The fields --map can name (attributes come from --attributes).
ALIASES: Final = {names[0]: names for names in FIELDS if names is not ATTRIBUTES}
_NUMERIC: Final = re.compile(r"-?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?", re.ASCII)


class MappingError(ValueError):
    """An option that cannot be used; the message names it."""


@dataclass(frozen=True, slots=True)
class TableMapping:
    columns: tuple[tuple[str, str], ...] = ()  # (our field, its column)
    timezone: tzinfo | None = None  # for timestamps without a zone
    resolved_when: tuple[tuple[str, str], ...] = ()  # (column, value)
    escalated_when: tuple[tuple[str, str], ...] = ()
    search_when: tuple[tuple[str, str], ...] = ()  # such a row is a search (--map query=)
    attributes: tuple[tuple[str, str], ...] = ()  # (attribute key, column)
    page_rules: PageRules | None = None  # page_id and referrer_page_id are URLs

    @property
    def identity(self) -> bool:
        return self == TableMapping()

    @staticmethod
    def parse(
        *,
        maps: Sequence[str] = (),
        timezone: str | None = None,
        resolved_when: Sequence[str] = (),
        escalated_when: Sequence[str] = (),
        search_when: Sequence[str] = (),
        attribute_columns: Sequence[str] = (),
        page_rules: PageRules | None = None,
    ) -> TableMapping:
        """The options as the command line gives them; MappingError says what is wrong."""
        columns = [_pair("--map", m, "FIELD=COLUMN") for m in maps]
        for field, _ in columns:
            if field not in ALIASES:
                raise MappingError(f"--map: unknown field {field!r} (one of {', '.join(ALIASES)})")
        doubled = {f for f, _ in columns if [g for g, _ in columns].count(f) > 1}
        if doubled:
            raise MappingError(f"--map: {sorted(doubled)[0]} is mapped twice")
        return TableMapping(
            columns=tuple(columns),
            timezone=_zone(timezone) if timezone else None,
            resolved_when=tuple(_pair("--resolved-when", w, "COLUMN=VALUE") for w in resolved_when),
            escalated_when=tuple(
                _pair("--escalated-when", w, "COLUMN=VALUE") for w in escalated_when
            ),
            search_when=tuple(_pair("--search-when", w, "COLUMN=VALUE") for w in search_when),
            attributes=_attribute_columns(attribute_columns),
            page_rules=page_rules,
        )

    def map_row(self, row: Mapping[str, object]) -> Mapped:
        """One row (CSV cells are strings; a JSON line may hold anything) to our event."""
        if self.identity:
            return dict(row)
        out = dict(row)
        for field, column in self.columns:
            for alias in ALIASES[field]:
                out.pop(alias, None)
            if row.get(column) is not None:
                out[field] = row[column]
        if self.timezone is not None:
            for alias in TIMESTAMP:
                if isinstance(out.get(alias), str):
                    out[alias] = _zoned(str(out[alias]), self.timezone)
        if any(_cell(row, c) == v for c, v in self.resolved_when):
            out["is_resolved"] = True
        if any(_cell(row, c) == v for c, v in self.escalated_when):
            out["event_type"] = EventType.ESCALATION.value
        if any(_cell(row, c) == v for c, v in self.search_when):
            out["event_type"] = EventType.SEARCH.value
        if self.attributes:
            found = attributes((key, row.get(column)) for key, column in self.attributes)
            given = out.get("attributes")
            out["attributes"] = {**given, **found} if isinstance(given, dict) else found
        if self.page_rules is not None:
            return self._pages(out, self.page_rules)
        return out

    def _pages(self, out: dict[str, object], rules: PageRules) -> Mapped:
        kind = out.get("event_type", out.get("type"))
        marker = kind not in (None, "", "page_view")
        for alias in PAGE_ID:
            url = out.get(alias)
            query = rules.search_query(url) if isinstance(url, str) and not marker else None
            if query is not None:  # a search-results URL a page rule captures: a search
                if not query:
                    return NO_QUERY
                out.pop(alias)
                out.update(event_type=EventType.SEARCH.value, query=query)
                return out
            if isinstance(url, str) and url:
                page = rules.page_id(url)
                if page is None and not marker:
                    return Skipped(EXCLUDED)
                out[alias] = page if page is not None else ""
        for alias in REFERRER_PAGE_ID:
            url = out.get(alias)
            if isinstance(url, str) and url:
                out[alias] = rules.page_id(url)
        return out


def _cell(row: Mapping[str, object], column: str) -> str | None:
    """A cell as CSV would spell it (a JSON line's true is "true", 3 is "3")."""
    value = row.get(column)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _zoned(raw: str, zone: tzinfo) -> str | int:
    """A timestamp without a zone in `zone` (fold 0: an ambiguous wall time is the first of
    the two), in epoch ms; anything else unchanged, for validation to judge."""
    if _NUMERIC.fullmatch(raw):
        return raw
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return raw
    if moment.tzinfo is not None:
        return raw
    return round(moment.replace(tzinfo=zone).timestamp() * 1000)


def _pair(option: str, raw: str, shape: str) -> tuple[str, str]:
    name, sep, value = raw.partition("=")
    if not sep or not name.strip():
        raise MappingError(f"{option}: expected {shape}, got {raw!r}")
    return name.strip(), value


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise MappingError(
            f"--timezone: unknown time zone {name!r} (e.g. Europe/Berlin, UTC)"
        ) from None


def _attribute_columns(options: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """`COLUMN` (the column's name is the key) or `KEY=COLUMN`, comma-separated."""
    pairs: list[tuple[str, str]] = []
    for option in options:
        for item in (i.strip() for i in option.split(",")):
            if not item:
                continue
            key, sep, column = item.partition("=")
            key, column = (key.strip(), column.strip()) if sep else (item, item)
            if not ATTRIBUTE_KEY.fullmatch(key):
                raise MappingError(
                    f"--attributes: {key!r} is not an attribute name ([a-z][a-z0-9_]{{0,31}}); "
                    f"name it with KEY=COLUMN"
                )
            pairs.append((key, column))
    if len(pairs) > 16:
        raise MappingError("--attributes: at most 16")
    return tuple(pairs)
