"""The collector's routes: Segment's HTTP Tracking API (`/v1/batch`, `/v1/page`, `/v1/track`,
and `/v1/identify`, `/v1/screen`, `/v1/group`, `/v1/alias`, accepted and ignored) and the
Snowplow tracker protocol (`POST /com.snowplowanalytics.snowplow/tp2`, `GET /i`).

Each event is mapped (ingest.sources), validated (ingest.events) and produced to the click
topic as our event JSON, keyed by customer; an invalid one goes to the dead-letter topic with
its reason and its bytes as sent. A request is answered once Kafka acknowledged all of them,
503 if it did not (the sender retries; event ids make the retry harmless).

Browsers may call it only from the origins of PATHRANK_COLLECTOR_ORIGINS (CORS); the
Snowplow routes need PATHRANK_SNOWPLOW_KEY when it is set (docs/sources.md, "What an open
collector lets others do").
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from collector.body import Body, BodyError, read_json
from collector.kafka import AsyncProducer, DeliveryError, Outgoing
from ingest.events import DEFAULT_LIMITS, InvalidEvent, Limits, event_from_record, event_to_json
from ingest.search import DEFAULT_SEARCH, Redactor, SearchRules
from ingest.sources import segment, snowplow
from ingest.sources.common import Invalid, Mapped, Skipped, SourceConfig
from ingest.text import replace_invalid
from ingest.topics import dlq_topic

SEGMENT_CALLS: Final = frozenset({"page", "track", "identify", "screen", "group", "alias"})
TP2_PATH: Final = "/com.snowplowanalytics.snowplow/tp2"
PIXEL_PATH: Final = "/i"
# Snowplow's collector: a 1x1 transparent GIF for `/i`, its network id in the `sp` cookie.
PIXEL: Final = base64.b64decode("R0lGODlhAQABAPAAAP///wAAACH5BAUAAAAALAAAAAABAAEAAAICRAEAOw==")
NUID_COOKIE: Final = "sp"
ANONYMOUS_NUID: Final = "00000000-0000-0000-0000-000000000000"
_COOKIE_AGE_S: Final = 365 * 24 * 3600
OFF_MESSAGE: Final = "the collector is off: set PATHRANK_WRITE_KEY to turn it on"
# Where a Snowplow sender puts PATHRANK_SNOWPLOW_KEY: a header, else a query parameter.
SNOWPLOW_KEY_HEADER: Final = "x-pathrank-key"
SNOWPLOW_KEY_PARAMETER: Final = "pathrank_key"


@dataclass(frozen=True, slots=True)
class CollectorConfig:
    write_key: str | None  # None: the collector is off
    topic: str  # our click topic; dead letters go to its .dlq
    bootstrap: str
    sources: SourceConfig = field(default_factory=SourceConfig)
    max_body_bytes: int = 512 * 1024
    limits: Limits = DEFAULT_LIMITS  # the timestamps validation accepts
    # Origins whose pages may call the collector from the browser; "*": any, without cookies.
    origins: tuple[str, ...] = ()
    snowplow_key: str | None = None  # None: the Snowplow routes take no key
    # Searches: their page and stored text, and the queries kept out of dead letters.
    search: SearchRules = DEFAULT_SEARCH
    redactor: Redactor = field(default_factory=Redactor)

    @property
    def on(self) -> bool:
        return bool(self.write_key)


@dataclass
class _Batch:
    """What one request sends: events and dead letters, and how many were skipped."""

    records: list[Outgoing] = field(default_factory=list)
    produced: int = 0
    dead: int = 0
    skipped: int = 0


class Collector:
    def __init__(self, config: CollectorConfig) -> None:
        self.config = config
        self._producer: AsyncProducer | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The Kafka producer, for as long as the server runs (only when the collector is on)."""
        if not self.config.on:
            yield
            return
        self._producer = AsyncProducer(self.config.bootstrap)
        try:
            yield
        finally:
            producer, self._producer = self._producer, None
            producer.close()

    def health(self) -> str:
        """What /healthz says of it: `off`, `up`, `down` (Kafka does not answer), or
        `starting` (no word from Kafka yet)."""
        if not self.config.on:
            return "off"
        producer = self._producer
        up = None if producer is None else producer.liveness.up
        return "starting" if up is None else "up" if up else "down"

    def routes(self) -> list[Route]:
        return [
            Route("/v1/{call}", self.segment, methods=["POST", "OPTIONS"]),
            Route(TP2_PATH, self.tp2, methods=["POST", "OPTIONS"]),
            Route(PIXEL_PATH, self.pixel, methods=["GET"]),
        ]

    # ---- Segment ---------------------------------------------------------------------------

    async def segment(self, request: Request) -> Response:
        call = request.path_params["call"]
        if not self.config.on:
            return _segment_error(404, "collector_off", OFF_MESSAGE)
        if call != "batch" and call not in SEGMENT_CALLS:
            return _segment_error(404, "not_found", f"no such call /v1/{call[:40]}")
        if request.method == "OPTIONS":
            return self._preflight(request, "Content-Type, Authorization")
        header = request.headers.get("authorization")
        if header is not None and not self._key_ok(_basic_user(header)):
            return self._cors(request, _unauthorized())
        try:
            body = await read_json(request, self.config.max_body_bytes)
        except BodyError as exc:
            return self._cors(request, _segment_error(exc.status, "invalid_request", exc.message))
        if header is None and not self._key_ok(_body_key(body.json)):
            return self._cors(request, _unauthorized())
        messages = _segment_messages(call, body.json)
        if isinstance(messages, Invalid):
            error = _segment_error(400, "invalid_request", f"malformed body: {messages.reason}")
            return self._cors(request, error)
        originals = _Originals(body, "batch" if call == "batch" else None, len(messages))
        now = _now_ms()
        batch = _Batch()
        for n, message in enumerate(messages):
            mapped = segment.map_message(message, self.config.sources, received_ms=now)
            self._add(batch, mapped, originals, n, request.url.path, now)
        failed = await self._send(batch)
        if failed is not None:
            return self._cors(request, _segment_error(503, "unavailable", failed))
        return self._cors(
            request,
            JSONResponse(
                {
                    "success": True,
                    "produced": batch.produced,
                    "dead_letters": batch.dead,
                    "skipped": batch.skipped,
                }
            ),
        )

    def _key_ok(self, given: str | None) -> bool:
        expected = self.config.write_key or ""
        return given is not None and _same(given, expected)

    # ---- Snowplow --------------------------------------------------------------------------

    async def tp2(self, request: Request) -> Response:
        if not self.config.on:
            return PlainTextResponse(OFF_MESSAGE, status_code=404)
        if request.method == "OPTIONS":
            return self._preflight(request, "Content-Type, SP-Anonymous, X-PathRank-Key")
        if not self._snowplow_key_ok(request):
            return self._cors(request, _snowplow_unauthorized())
        try:
            body = await read_json(request, self.config.max_body_bytes)
        except BodyError as exc:
            return self._cors(request, PlainTextResponse(exc.message, status_code=exc.status))
        events = snowplow.payload_events(body.json)
        if isinstance(events, Invalid):
            refusal = PlainTextResponse(f"malformed body: {events.reason}", status_code=400)
            return self._cors(request, refusal)
        originals = _Originals(body, "data", len(events))
        return await self._snowplow(request, events, originals, pixel=False)

    async def pixel(self, request: Request) -> Response:
        if not self.config.on:
            return PlainTextResponse(OFF_MESSAGE, status_code=404)
        if not self._snowplow_key_ok(request):
            return self._cors(request, _snowplow_unauthorized())
        query: bytes = request.scope.get("query_string", b"")
        # Decoded here rather than by Starlette, which would put U+FFFD in an id silently:
        # bytes that are not UTF-8 stay recognisable (ingest/text.py).
        pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True, errors="surrogateescape")
        params = {k: v for k, v in pairs if k != SNOWPLOW_KEY_PARAMETER}
        originals = _Originals(Body(query, params), None, 1)
        return await self._snowplow(request, [params] if params else [], originals, pixel=True)

    def _snowplow_key_ok(self, request: Request) -> bool:
        expected = self.config.snowplow_key
        if not expected:
            return True
        given = request.headers.get(SNOWPLOW_KEY_HEADER)
        if given is None:
            given = request.query_params.get(SNOWPLOW_KEY_PARAMETER)
        return given is not None and _same(given, expected)

    async def _snowplow(
        self, request: Request, events: Sequence[object], originals: _Originals, *, pixel: bool
    ) -> Response:
        anonymous = "sp-anonymous" in request.headers
        cookie = request.cookies.get(NUID_COOKIE)
        nuid = ANONYMOUS_NUID if anonymous else cookie or str(uuid.uuid4())
        now = _now_ms()
        batch = _Batch()
        for n, params in enumerate(events):
            mapped = snowplow.map_tracker_event(
                params, self.config.sources, network_userid=nuid, received_ms=now
            )
            self._add(batch, mapped, originals, n, request.url.path, now)
        failed = await self._send(batch)
        if failed is not None:
            return self._cors(request, PlainTextResponse(failed, status_code=503))
        response: Response
        if pixel:
            response = Response(
                PIXEL,
                media_type="image/gif",
                headers={"Cache-Control": "no-cache, no-store, must-revalidate"},
            )
        else:
            response = PlainTextResponse("ok")
        if not anonymous:
            response.set_cookie(
                NUID_COOKIE,
                nuid,
                max_age=_COOKIE_AGE_S,
                path="/",
                samesite="none",
                secure=True,
                httponly=True,
            )
        return self._cors(request, response)

    # ---- both --------------------------------------------------------------------------------

    def _add(
        self, batch: _Batch, mapped: Mapped, originals: _Originals, n: int, path: str, now: int
    ) -> None:
        if isinstance(mapped, Skipped):
            batch.skipped += 1
            return
        customer = mapped.get("customer_id") if isinstance(mapped, dict) else None
        try:
            if isinstance(mapped, Invalid):
                raise InvalidEvent(mapped.reason)
            click = event_from_record(
                mapped, now_ms=now, limits=self.config.limits, search=self.config.search
            )
        except InvalidEvent as exc:
            batch.dead += 1
            batch.records.append(self._dead_letter(originals.of(n), customer, exc.reason, path))
            return
        batch.produced += 1
        batch.records.append(
            Outgoing(self.config.topic, click.customer_id.encode(), event_to_json(click))
        )

    def _dead_letter(self, value: bytes, customer: object, reason: str, path: str) -> Outgoing:
        """The event's bytes as received, but any query in them redacted (docs/sources.md);
        its key the customer id read (U+FFFD for what is not valid Unicode in it)."""
        value = self.config.redactor.record(value) or value
        key = replace_invalid(str(customer)).encode() if isinstance(customer, str | int) else None
        headers = (
            ("dlq.reason", reason.encode()),
            ("dlq.source", b"collector"),
            ("dlq.source.path", path.encode()),
        )
        return Outgoing(dlq_topic(self.config.topic), key, value, headers)

    def _cors(self, request: Request, response: Response) -> Response:
        """Only for the origins PATHRANK_COLLECTOR_ORIGINS names: each with credentials (the
        `sp` cookie), `*` any origin without them. No other origin's page can read an
        answer, nor send with cookies."""
        origin = request.headers.get("origin")
        allowed = self.config.origins
        if origin is None or not allowed:
            return response
        if origin in allowed:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Credentials"] = "true"
            response.headers["Vary"] = "Origin"
        elif "*" in allowed:
            response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    def _preflight(self, request: Request, allow_headers: str) -> Response:
        response = Response(status_code=200)
        origin = request.headers.get("origin")
        if origin is not None and (origin in self.config.origins or "*" in self.config.origins):
            response.headers["Access-Control-Allow-Methods"] = "POST, GET, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = allow_headers
            response.headers["Access-Control-Max-Age"] = "3600"
        return self._cors(request, response)

    async def _send(self, batch: _Batch) -> str | None:
        """None once Kafka acknowledged everything, else why not."""
        if self._producer is None:
            return "the collector is not running"
        try:
            await self._producer.send(batch.records)
        except DeliveryError as exc:
            return str(exc)
        return None


def _segment_messages(call: str, body: object) -> list[object] | Invalid:
    """A batch's messages (its top-level context merged into each), or the one message of
    a single call, whose type is the call's."""
    if call != "batch":
        if not isinstance(body, Mapping):
            return Invalid("not a JSON object")
        return [{**body, "type": call}]
    messages = segment.messages(body)
    shared = body.get("context") if isinstance(body, Mapping) else None
    if isinstance(messages, Invalid) or not isinstance(shared, Mapping):
        return messages
    return [_with_context(m, shared) for m in messages]


def _with_context(message: object, shared: Mapping[str, object]) -> object:
    if not isinstance(message, Mapping):
        return message
    own = message.get("context")
    return {**message, "context": {**shared, **(own if isinstance(own, Mapping) else {})}}


def _basic_user(header: str) -> str | None:
    """The user name of `Authorization: Basic base64(user:password)`: the write key."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0]


def _body_key(body: object) -> str | None:
    """Segment also takes the write key in the body when there is no Authorization header."""
    key = body.get("writeKey") if isinstance(body, Mapping) else None
    return key if isinstance(key, str) else None


def _now_ms() -> int:
    return int(time.time() * 1000)


def _segment_error(status: int, code: str, message: str) -> JSONResponse:
    # Segment's shape, which its SDKs log: {"code": ..., "message": ...}
    return JSONResponse({"code": code, "message": message}, status_code=status)


def _unauthorized() -> JSONResponse:
    response = _segment_error(401, "unauthorized", "wrong or missing write key")
    response.headers["WWW-Authenticate"] = 'Basic realm="pathrank collector"'
    return response


def _same(given: str, expected: str) -> bool:
    """A constant-time comparison (any text: the bytes are compared)."""
    return hmac.compare_digest(
        given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape")
    )


def _snowplow_unauthorized() -> PlainTextResponse:
    return PlainTextResponse(
        "wrong or missing key (header X-PathRank-Key or query parameter pathrank_key)",
        status_code=401,
    )


@dataclass(slots=True)
class _Originals:
    """The bytes each event of a request arrived as: the element of the array under `key`
    of the body (`key` None: the body is the one event), found only when one is needed."""

    body: Body
    key: str | None
    count: int
    _found: list[bytes] | None = None

    def of(self, n: int) -> bytes:
        if self.key is None:
            return self.body.raw
        if self._found is None:
            self._found = self.body.items(self.key, self.count)
        return self._found[n]
