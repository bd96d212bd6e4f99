"""Segments: a path's attributes as "key=value" (docs/paths.md, "Attributes")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

# The attribute rules of docs/events.md: keys like `platform`, values up to 200 characters.
KEY: Final = re.compile(r"[a-z][a-z0-9_]{0,31}", re.ASCII)
MAX_VALUE_CHARS: Final = 200
NO_VALUE: Final = ""  # in a breakdown: the paths without the key


class SegmentError(ValueError):
    """Not a segment ("key=value") or not a key."""


def segment_id(text: str) -> str:
    """A segment filter, checked: "key=value" with a valid key and a non-empty value."""
    key, sep, value = text.partition("=")
    if not sep or not KEY.fullmatch(key) or not value or len(value) > MAX_VALUE_CHARS:
        raise SegmentError(
            f"a segment is key=value with a key of lowercase letters, digits and _ (e.g. "
            f"platform=mobile), got {text[:80]!r}"
        )
    return text


def segment_key(text: str) -> str:
    if not KEY.fullmatch(text):
        raise SegmentError(
            f"a segment key is lowercase letters, digits and _ (e.g. platform), got {text[:80]!r}"
        )
    return text


@dataclass(frozen=True, slots=True)
class SegmentValue:
    value: str
    paths: int  # every path in the segment (any outcome)


@dataclass(frozen=True, slots=True)
class SegmentKey:
    key: str
    values: tuple[SegmentValue, ...]  # most paths first
