"""Text as senders send it (docs/events.md, "Text and ids"): JSON whose strings are not always
valid Unicode, and what an id may hold.

Browsers cut strings in the middle of a UTF-16 surrogate pair (`"title": "trunc \\ud83d"`)
and some clients send bytes that are not UTF-8. Neither makes a request or a record
undecodable here: the text is decoded with such code points kept as lone surrogates, and
then each field decides. Other text (titles, properties, attribute values) gets U+FFFD in
their place; an id that holds one, or a control character (a newline, NUL), makes its event
a dead letter: ids are kept exactly or not at all.
"""

from __future__ import annotations

import json
import re
from typing import Final

import orjson

SURROGATE: Final = re.compile("[\ud800-\udfff]")
# Unicode's control characters (category Cc): C0, DEL and C1.
CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f]")
REPLACEMENT: Final = "\ufffd"


class NotJson(ValueError):  # noqa: N818 -- says what the input is
    """Input that is not JSON, whatever its Unicode."""


def loads(raw: bytes | str) -> object:
    """JSON; strings that are not valid Unicode come back with lone surrogates in their place
    (a lone `\\uD83D` escape as itself, each byte that is not UTF-8 as U+DC80..U+DCFF).

    Valid input (the common case) is parsed by orjson; only what orjson refuses goes through
    the standard library's parser, which keeps lone surrogates. NotJson otherwise (also for
    what orjson refuses for other reasons: NaN, nesting over its limit).
    """
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    text = raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) else raw
    try:
        return json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):  # json.JSONDecodeError is a ValueError
        raise NotJson("not valid JSON") from None


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def replace_invalid(text: str) -> str:
    """`text` with U+FFFD for each code point that is not valid Unicode."""
    return SURROGATE.sub(REPLACEMENT, text) if SURROGATE.search(text) else text


def id_problem(text: str) -> str | None:
    """Why `text` cannot be an id as it is (None: it can)."""
    if SURROGATE.search(text):
        return "not valid Unicode"
    if CONTROL.search(text):
        return "a control character"
    return None
