"""A cache of whole /graphql responses, keyed by the graph's data version.

Dashboards and analysts send the same queries over and over, and the graph changes only when
a write happens; every writer changes the version token (`graph_model.version`) in its
transaction. A request reads the version (one tiny query), and the same request body under
the same version is answered from here without executing. Only what the `MarkCacheable`
extension vouched for is stored (a query that succeeded: never a mutation, never an answer
with errors) and only a 200. Entries of older versions are never hit again and age out of
the LRU; `max_age_s` bounds what a write by other software (or a writer that died half way
through) can leave stale.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Final

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphql_api.extensions.cacheable import CACHEABLE
from graphql_api.http.body import replay

CACHE_HEADER: Final = "x-response-cache"
MAX_ENTRIES: Final = 512
MAX_BYTES: Final = 64 * 1024 * 1024
MAX_AGE_S: Final = 300.0

RawHeaders = tuple[tuple[bytes, bytes], ...]
# What else identifies an answer: (graph version or None, whether the request is authorised).
Versioner = Callable[[Request], Awaitable[tuple[str | None, bool]]]


@dataclass(frozen=True, slots=True)
class CachedResponse:
    status: int
    headers: RawHeaders
    body: bytes
    stored_at: float
    size: int


class ResponseCache:
    """A bounded LRU (entries and bytes) of responses whose entries expire after max_age_s."""

    def __init__(
        self,
        max_entries: int = MAX_ENTRIES,
        max_bytes: int = MAX_BYTES,
        max_age_s: float = MAX_AGE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self.clock = clock
        self._entries: OrderedDict[Hashable, CachedResponse] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get(self, key: Hashable) -> CachedResponse | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self.clock() - entry.stored_at > self.max_age_s:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def put(self, key: Hashable, status: int, headers: RawHeaders, body: bytes) -> None:
        size = len(body) + _key_size(key)
        if size > self.max_bytes // 16:  # one huge answer must not flush everything else
            return
        if key in self._entries:
            self._drop(key)
        self._entries[key] = CachedResponse(status, headers, body, self.clock(), size)
        self._bytes += size
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: Hashable) -> None:
        self._bytes -= self._entries.pop(key).size


def _key_size(key: Hashable) -> int:
    return (
        sum(len(part) for part in key if isinstance(part, bytes)) if isinstance(key, tuple) else 0
    )


def request_payload(request: Request, body: bytes) -> bytes | None:
    """What, besides the version, identifies a request's answer; None when the request is not
    a GraphQL operation this cache handles (GraphiQL, other methods or content types)."""
    if request.method == "POST":
        content_type = request.headers.get("content-type", "")
        return body if content_type.startswith("application/json") else None
    if request.method == "GET" and "query" in request.query_params:
        return request.scope["query_string"] or None
    return None


class ResponseCacheMiddleware:
    """Answers a repeated request of an unchanged graph from the cache; stores what the
    schema marked cacheable."""

    def __init__(
        self,
        app: ASGIApp,
        cache: ResponseCache,
        versioner: Versioner,
        on_lookup: Callable[[bool], None],
    ) -> None:
        self.app = app
        self.cache = cache
        self.versioner = versioner
        self.on_lookup = on_lookup

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/graphql":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        body = await request.body() if request.method == "POST" else b""
        key = await self._key(request, body)
        receive = replay(body, receive)
        if key is None:
            await self.app(scope, receive, send)
            return
        cached = self.cache.get(key)
        self.on_lookup(cached is not None)
        if cached is not None:
            headers = [*cached.headers, (CACHE_HEADER.encode(), b"hit")]
            await send({"type": "http.response.start", "status": cached.status, "headers": headers})
            await send({"type": "http.response.body", "body": cached.body})
            return
        captured: dict[str, object] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (CACHE_HEADER.encode(), b"miss")]
                captured["status"] = message["status"]
                captured["headers"] = tuple(
                    h for h in message["headers"] if h[0].lower() != CACHE_HEADER.encode()
                )
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False) and scope.get(CACHEABLE):
                    status = captured.get("status")
                    headers = captured.get("headers")
                    if status == 200 and isinstance(headers, tuple):
                        self.cache.put(key, 200, headers, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, capture)

    async def _key(self, request: Request, body: bytes) -> Hashable | None:
        """(graph version, authorised, method, body or query string), or None when this
        request bypasses the cache."""
        payload = request_payload(request, body)
        if payload is None:
            return None
        try:
            version, authorised = await self.versioner(request)
        except Exception:  # an outage: execute, and let the resolvers report it as usual
            return None
        if version is None:  # no write recorded yet: nothing to compare with
            return None
        return (version, authorised, request.method, payload)
