"""A cache of whole /graphql responses, keyed by the graph's data version.

Dashboards and analysts send the same queries over and over, and the graph changes only when
a write happens; every writer changes the version token (`graph_model.graph_version`) in its
transaction. A request reads the version (one tiny query), and the same request body under
the same version is answered from here without executing. Only successful query results are
stored: never a mutation, never a response with `errors` (a query refused by the limits, a
graph outage), never anything but a 200. Entries of older versions are never hit again and
age out of the LRU; `max_age_s` bounds what a write by other software (or a writer that died
half way through) can leave stale.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Final

import orjson
from graphql import GraphQLError, OperationType, get_operation_ast
from starlette.requests import Request

from graphql_api.limits import parse_cached

CACHE_HEADER: Final = "x-response-cache"
MAX_ENTRIES: Final = 512
MAX_BYTES: Final = 64 * 1024 * 1024
MAX_AGE_S: Final = 300.0

RawHeaders = tuple[tuple[bytes, bytes], ...]


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


def is_cacheable_result(request: Request, body: bytes, status: int, response_body: bytes) -> bool:
    """A 200 without `errors` answering a query (not a mutation)."""
    if status != 200:
        return False
    try:
        answer = orjson.loads(response_body)
        params = orjson.loads(body) if request.method == "POST" else request.query_params
    except orjson.JSONDecodeError:
        return False
    if not isinstance(answer, dict) or "errors" in answer or not isinstance(params, Mapping):
        return False
    query, name = params.get("query"), params.get("operationName")
    return isinstance(query, str) and isinstance(name, str | None) and _is_query(query, name)


def _is_query(query: str, operation_name: str | None) -> bool:
    try:
        operation = get_operation_ast(parse_cached(query), operation_name)
    except GraphQLError:
        return False
    return operation is not None and operation.operation is OperationType.QUERY
