"""Keyset pagination: windows of a sorted list and their cursors, opaque to clients.

A cursor is base64url(JSON [scope, key...]). The scope names the ordering the key belongs to
(e.g. "page:PAGE_RANK"), so a cursor from one ordering is refused by another instead of
silently skipping rows. Decoding checks the key's shape, so Cypher only ever compares values
of the types it sorted on.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson

MAX_CURSOR_LENGTH = 512

KeyValue = int | float | str
SortKey = tuple[KeyValue, ...]
T = TypeVar("T")


class InvalidCursorError(ValueError):
    """A cursor that this ordering did not produce (garbled, foreign or tampered with)."""


@dataclass(frozen=True, slots=True)
class Window(Generic[T]):
    """One page of a keyset-paginated list: items, one cursor per item, and whether more
    items follow the last one."""

    items: tuple[T, ...]
    cursors: tuple[str, ...]
    has_next: bool

    @staticmethod
    def empty() -> Window[T]:
        return Window((), (), False)

    @staticmethod
    def of(scope: str, items: Sequence[T], keys: Sequence[SortKey], first: int) -> Window[T]:
        """`first + 1` rows were asked for: an extra row means there is a next page."""
        return Window(
            items=tuple(items[:first]),
            cursors=tuple(encode_cursor(scope, k) for k in keys[:first]),
            has_next=len(items) > first,
        )

    @staticmethod
    def of_rows(
        scope: str, rows: Sequence[Mapping[str, Any]], first: int, item: Callable[[Any], T]
    ) -> Window[T]:
        """Rows of `{<item>, key: [...]}` as Cypher returns them for a keyset list."""
        return Window.of(scope, [item(r) for r in rows], [tuple(r["key"]) for r in rows], first)


def encode_cursor(scope: str, key: Sequence[KeyValue]) -> str:
    raw = orjson.dumps([scope, *key])
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(scope: str, cursor: str, types: Sequence[type]) -> SortKey:
    """The key inside `cursor`, checked against `scope` and the expected value `types`
    (float accepts an int; nothing accepts a bool)."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursorError("cursor too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = orjson.loads(raw)
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise InvalidCursorError("cursor is not one this API issued") from exc
    if not isinstance(value, list) or len(value) != len(types) + 1 or value[0] != scope:
        raise InvalidCursorError("cursor belongs to another list or ordering")
    key: list[KeyValue] = []
    for item, expected in zip(value[1:], types, strict=True):
        key.append(_checked(item, expected))
    return tuple(key)


def _checked(item: object, expected: type) -> KeyValue:
    if isinstance(item, bool):
        raise InvalidCursorError("cursor key has the wrong type")
    if expected is float and isinstance(item, int | float):
        if not math.isfinite(item):
            raise InvalidCursorError("cursor key is not finite")
        return float(item)
    if expected is int and isinstance(item, int) and -(2**63) <= item < 2**63:
        return item
    if expected is str and isinstance(item, str):
        return item
    raise InvalidCursorError("cursor key has the wrong type")
