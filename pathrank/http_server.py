"""How `pathrank serve` runs its app (the API and the collector) on uvicorn: the limits a
client cannot get around.

- Idle: a connection that sends nothing is closed after the idle timeout (uvicorn only
  times out connections between two requests), and so is one whose request line and headers
  take longer than the body timeout (a slow sender holding a connection open).
- Body: the whole request body must arrive within the body timeout of its headers; past it,
  the answer is 408 and the connection is closed. uvicorn itself waits for a body for ever,
  so 1,000 clients sending half a body held 1,000 file descriptors.
- WebSocket messages are at most the HTTP body limit of the API.
- A client that goes away before its request was read is a fact, not an error: one line at
  debug, where it used to be a traceback per request.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final

import uvicorn
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from graphql_api.limits import MAX_BODY_BYTES

log = logging.getLogger("pathrank.http")

TIMEOUT_BODY: Final = b"the request body did not arrive in time"


class _BodyTimedOut(BaseException):
    """Raised from `receive` past the body timeout. A BaseException, so that no layer of
    the app (Starlette answers any Exception with a 500) mistakes it for its own failure: it
    unwinds the request up to `Deadlines`, which answers it."""


class Deadlines:
    """The body timeout and quiet client disconnects, for every HTTP route of the server."""

    def __init__(self, app: ASGIApp, body_timeout_s: float) -> None:
        self.app = app
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout_s
        body_done = False
        started = False

        async def timed_receive() -> Message:
            nonlocal body_done
            if body_done:  # after the body: waiting for a disconnect has no deadline
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise _BodyTimedOut from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, timed_receive, tracked_send)
        except _BodyTimedOut:
            log.debug(
                "%s %s: no whole body in %gs", scope["method"], scope["path"], self.body_timeout_s
            )
            if not started:
                await _answer(send, 408, TIMEOUT_BODY)
        except ClientDisconnect:
            method, path = scope["method"], scope["path"]
            log.debug("%s %s: the client went away before its request was read", method, path)


async def _answer(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def protocol(header_timeout_s: float) -> type[HttpToolsProtocol]:
    """uvicorn's HTTP protocol, also closing a connection that sends nothing within the idle
    (keep-alive) timeout, or whose request line and headers take longer than
    `header_timeout_s`."""

    class Guarded(HttpToolsProtocol):
        _headers_due: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self.timeout_keep_alive_handler
            )

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._cancel_headers_due()
            self._headers_due = self.loop.call_later(header_timeout_s, self._headers_too_slow)

        def on_headers_complete(self) -> None:
            self._cancel_headers_due()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_headers_due()
            super().connection_lost(exc)

        def _cancel_headers_due(self) -> None:
            if self._headers_due is not None:
                self._headers_due.cancel()
                self._headers_due = None

        def _headers_too_slow(self) -> None:
            self._headers_due = None
            if not self.transport.is_closing():
                self.transport.close()

    return Guarded


def serve(
    app: ASGIApp, host: str, port: int, *, body_timeout_s: float, idle_timeout_s: float
) -> None:
    """Run `app` until interrupted."""
    config = uvicorn.Config(
        Deadlines(app, body_timeout_s),
        host=host,
        port=port,
        http=protocol(body_timeout_s),
        timeout_keep_alive=max(1, round(idle_timeout_s)),
        ws_max_size=MAX_BODY_BYTES,
        log_config=None,  # pathrank.logs set the handler: uvicorn's lines go through it
        log_level="info",
        access_log=False,
    )
    uvicorn.Server(config).run()
