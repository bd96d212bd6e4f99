"""Request bodies: read up to a limit, gzip-decompressed when the sender says so (the SDKs
compress their batches), decoded as JSON whatever their Unicode (ingest/text.py), and the
bytes of each event in them exactly as sent, for its dead letter."""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass
from typing import Final

from starlette.requests import Request

from ingest.text import NotJson, loads

_GZIP_WINDOW: Final = 16 + zlib.MAX_WBITS  # gzip header and trailer, not raw deflate
_SPACE: Final = re.compile(r"[ \t\n\r]*")


class BodyError(Exception):
    """A body the collector refuses: `status` is 413 (too large) or 400 (malformed)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Body:
    raw: bytes  # as sent (decompressed)
    json: object

    def items(self, key: str, count: int) -> list[bytes]:
        """The bytes of each of the `count` elements of the array under `key`, exactly as
        sent; the whole body for each when they cannot be told apart."""
        found = array_items(self.raw, key)
        return found if found is not None and len(found) == count else [self.raw] * count


def too_large(limit: int) -> BodyError:
    return BodyError(413, f"body over {limit} bytes")


async def read_json(request: Request, limit: int) -> Body:
    """The body as JSON; BodyError when it is over `limit` bytes (compressed or not), not
    gzip when it says so, or not JSON. Text that is not valid Unicode (a lone surrogate
    escape, bytes that are not UTF-8) is no reason to refuse it: each field decides."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)  # before reading a byte of it
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise too_large(limit)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    body = bytes(raw)
    if encoding == "gzip":
        body = _gunzip(body, limit)
    elif encoding not in ("identity", ""):
        raise BodyError(400, f"unsupported Content-Encoding {encoding[:20]!r} (gzip or none)")
    try:
        return Body(body, loads(body))
    except NotJson:
        raise BodyError(400, "malformed body: not JSON") from None


def array_items(raw: bytes, key: str) -> list[bytes] | None:
    """The bytes of each element of the array under `key` of the JSON object `raw`, as sent
    (None when `raw` is not such an object). The standard library's decoder finds where
    each element ends; the text is decoded so that every byte maps back (surrogateescape)."""
    text = raw.decode("utf-8", "surrogateescape")
    decoder = json.JSONDecoder()
    try:
        i = _skip(text, 0)
        if text[i] != "{":
            return None
        i = _skip(text, i + 1)
        while text[i] != "}":
            name, i = decoder.raw_decode(text, i)
            i = _skip(text, i)
            if text[i] != ":":
                return None
            i = _skip(text, i + 1)
            if name == key and text[i] == "[":
                return _elements(text, i, decoder)
            _, i = decoder.raw_decode(text, i)
            i = _skip(text, i)
            if text[i] == ",":
                i = _skip(text, i + 1)
    except (ValueError, IndexError, RecursionError):
        return None
    return None


def _elements(text: str, i: int, decoder: json.JSONDecoder) -> list[bytes] | None:
    """The elements of the array that opens at `text[i]`."""
    out: list[bytes] = []
    i = _skip(text, i + 1)
    while text[i] != "]":
        _, end = decoder.raw_decode(text, i)
        out.append(text[i:end].encode("utf-8", "surrogateescape"))
        i = _skip(text, end)
        if text[i] == ",":
            i = _skip(text, i + 1)
        elif text[i] != "]":
            return None
    return out


def _skip(text: str, i: int) -> int:
    """The index of the first character at or after `i` that is not JSON whitespace."""
    found = _SPACE.match(text, i)
    return found.end() if found is not None else i


def _gunzip(data: bytes, limit: int) -> bytes:
    """At most `limit` bytes out, whatever the ratio (a small bomb stays small)."""
    inflater = zlib.decompressobj(_GZIP_WINDOW)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        raise BodyError(400, "malformed body: not gzip") from None
    if len(out) > limit:
        raise too_large(limit)
    if not inflater.eof:
        raise BodyError(400, "malformed body: truncated gzip")
    return out
