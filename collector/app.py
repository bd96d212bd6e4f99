"""The collector's routes: Segment's HTTP Tracking API (`/v1/batch`, `/v1/page`, `/v1/track`,
and `/v1/identify`, `/v1/screen`, `/v1/group`, `/v1/alias`, accepted and ignored) and the
Snowplow tracker protocol (`POST /com.snowplowanalytics.snowplow/tp2`, `GET /i`).

Each event is mapped (ingest.sources), validated (ingest.events) and produced to the click
topic as our event JSON, keyed by customer; an invalid one goes to the dead-letter topic with
its reason. A request is answered once Kafka acknowledged all of them, 503 if it did not (the
sender retries; event ids make the retry harmless).
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

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from collector.body import BodyError, read_json
from collector.kafka import AsyncProducer, DeliveryError, Outgoing
from ingest.events import InvalidEvent, event_from_record, event_to_json
from ingest.search import DEFAULT_SEARCH, Redactor, SearchRules
from ingest.sources import segment, snowplow
from ingest.sources.common import Invalid, Mapped, Skipped, SourceConfig
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


@dataclass(frozen=True, slots=True)
class CollectorConfig:
    write_key: str | None  # None: the collector is off
    topic: str  # our click topic; dead letters go to its .dlq
    bootstrap: str
    sources: SourceConfig = field(default_factory=SourceConfig)
    max_body_bytes: int = 512 * 1024
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
            return _preflight(request)
        header = request.headers.get("authorization")
        if header is not None and not self._key_ok(_basic_user(header)):
            return _unauthorized()
        try:
            body = await read_json(request, self.config.max_body_bytes)
        except BodyError as exc:
            return _segment_error(exc.status, "invalid_request", exc.message)
        if header is None and not self._key_ok(_body_key(body)):
            return _unauthorized()
        messages = _segment_messages(call, body)
        if isinstance(messages, Invalid):
            return _segment_error(400, "invalid_request", f"malformed body: {messages.reason}")
        now = _now_ms()
        batch = _Batch()
        for message in messages:
            mapped = segment.map_message(message, self.config.sources, received_ms=now)
            self._add(batch, mapped, message, request.url.path, now)
        failed = await self._send(batch)
        if failed is not None:
            return _segment_error(503, "unavailable", failed)
        return _cors(
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
        return given is not None and hmac.compare_digest(given.encode(), expected.encode())

    # ---- Snowplow --------------------------------------------------------------------------

    async def tp2(self, request: Request) -> Response:
        if not self.config.on:
            return PlainTextResponse(OFF_MESSAGE, status_code=404)
        if request.method == "OPTIONS":
            return _preflight(request, allow_headers="Content-Type, SP-Anonymous")
        try:
            body = await read_json(request, self.config.max_body_bytes)
        except BodyError as exc:
            return PlainTextResponse(exc.message, status_code=exc.status)
        events = snowplow.payload_events(body)
        if isinstance(events, Invalid):
            return PlainTextResponse(f"malformed body: {events.reason}", status_code=400)
        return await self._snowplow(request, events, pixel=False)

    async def pixel(self, request: Request) -> Response:
        if not self.config.on:
            return PlainTextResponse(OFF_MESSAGE, status_code=404)
        params = dict(request.query_params)
        return await self._snowplow(request, [params] if params else [], pixel=True)

    async def _snowplow(
        self, request: Request, events: Sequence[object], *, pixel: bool
    ) -> Response:
        anonymous = "sp-anonymous" in request.headers
        cookie = request.cookies.get(NUID_COOKIE)
        nuid = ANONYMOUS_NUID if anonymous else cookie or str(uuid.uuid4())
        now = _now_ms()
        batch = _Batch()
        for params in events:
            mapped = snowplow.map_tracker_event(
                params, self.config.sources, network_userid=nuid, received_ms=now
            )
            self._add(batch, mapped, params, request.url.path, now)
        failed = await self._send(batch)
        if failed is not None:
            return PlainTextResponse(failed, status_code=503)
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
        return _cors(request, response)

    # ---- both --------------------------------------------------------------------------------

    def _add(self, batch: _Batch, mapped: Mapped, original: object, path: str, now: int) -> None:
        if isinstance(mapped, Skipped):
            batch.skipped += 1
            return
        customer = mapped.get("customer_id") if isinstance(mapped, dict) else None
        try:
            if isinstance(mapped, Invalid):
                raise InvalidEvent(mapped.reason)
            click = event_from_record(mapped, now_ms=now, search=self.config.search)
        except InvalidEvent as exc:
            batch.dead += 1
            batch.records.append(self._dead_letter(original, customer, exc.reason, path))
            return
        batch.produced += 1
        batch.records.append(
            Outgoing(self.config.topic, click.customer_id.encode(), event_to_json(click))
        )

    def _dead_letter(self, original: object, customer: object, reason: str, path: str) -> Outgoing:
        try:  # the event as received, but any query in it redacted (docs/sources.md)
            value = orjson.dumps(self.config.redactor.walk(original))
        except TypeError:  # orjson.JSONEncodeError, e.g. an integer beyond 64 bits
            value = b""
        key = str(customer).encode() if isinstance(customer, str | int) else None
        headers = (
            ("dlq.reason", reason.encode()),
            ("dlq.source", b"collector"),
            ("dlq.source.path", path.encode()),
        )
        return Outgoing(dlq_topic(self.config.topic), key, value, headers)

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


def _cors(request: Request, response: Response) -> Response:
    """As Snowplow's collector does: the page's own origin, with credentials (cookies)."""
    response.headers["Access-Control-Allow-Origin"] = request.headers.get("origin", "*")
    response.headers["Access-Control-Allow-Credentials"] = "true"
    return response


def _preflight(request: Request, allow_headers: str = "Content-Type, Authorization") -> Response:
    response = Response(status_code=200)
    response.headers["Access-Control-Allow-Methods"] = "POST, GET, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = allow_headers
    response.headers["Access-Control-Max-Age"] = "3600"
    return _cors(request, response)
