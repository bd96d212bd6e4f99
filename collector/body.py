"""Request bodies: read up to a limit, gzip-decompressed when the sender says so (the SDKs
compress their batches), decoded as JSON."""

from __future__ import annotations

import zlib
from typing import Final

import orjson
from starlette.requests import Request

_GZIP_WINDOW: Final = 16 + zlib.MAX_WBITS  # gzip header and trailer, not raw deflate


class BodyError(Exception):
    """A body the collector refuses: `status` is 413 (too large) or 400 (malformed)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def too_large(limit: int) -> BodyError:
    return BodyError(413, f"body over {limit} bytes")


async def read_json(request: Request, limit: int) -> object:
    """The body as JSON; BodyError when it is over `limit` bytes (compressed or not), not
    gzip when it says so, or not JSON."""
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
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BodyError(400, "malformed body: not JSON") from None


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
