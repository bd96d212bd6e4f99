"""Answers only requests addressed to this server by a name it serves.

Without it a web page on evil.example whose name the attacker re-points at 127.0.0.1 (DNS
rebinding) is same-origin with the API as far as the browser knows, and can read it. The
browser still sends `Host: evil.example`, so refusing unknown hosts closes that.

Starlette's TrustedHostMiddleware does the parsing and matching (ports are not compared,
`*.example.com` and `*` work); this adds a GraphQL-shaped refusal on /graphql, and leaves
/healthz open to probes that address the server by an IP of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphql_api.errors import ErrorCode, error_body

LOCAL_HOSTS: Final = ("127.0.0.1", "localhost", "::1")
OPEN_PATHS: Final = ("/healthz",)
_ALLOWED: Final = "pathrank.host_allowed"


def allowed_hosts(bound_host: str, configured: Iterable[str] = ()) -> tuple[str, ...]:
    """The names to answer: `configured` when given, else the host the server listens on and
    the loopback names. Ports are dropped (they are not compared); IPv6 literals are
    bracketed as in a Host header."""
    names = [_host_name(n) for n in configured if n.strip()] or [
        _host_name(n) for n in (bound_host, *LOCAL_HOSTS)
    ]
    return tuple(dict.fromkeys(n for n in names if n))


def _host_name(entry: str) -> str:
    name = entry.strip().lower()
    if name.startswith("["):  # [::1] or [::1]:8000
        return name[: name.find("]") + 1] if "]" in name else name
    if name.count(":") > 1:  # a bare IPv6 literal
        return f"[{name}]"
    return name.partition(":")[0]


class AllowedHosts(TrustedHostMiddleware):
    """TrustedHostMiddleware with this app's refusals: GraphQL-shaped on /graphql, plain
    text elsewhere; /healthz answers any host."""

    def __init__(self, app: ASGIApp, hosts: Sequence[str]) -> None:
        names = [_host_name(n) for n in hosts]
        super().__init__(self._allowed, allowed_hosts=names, www_redirect=False)
        self.next = app

    async def _allowed(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[_ALLOWED] = True
        await self.next(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            # Closed before the handshake completes: the browser sees the socket refused.
            await self._refusing(scope, receive, send, _close_socket)
            return
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.next(scope, receive, send)
            return
        await self._refusing(scope, receive, send, _refusal(scope["path"]))

    async def _refusing(self, scope: Scope, receive: Receive, send: Send, refusal: ASGIApp) -> None:
        """Starlette's own refusal (a plain-text 400) replaced by `refusal`."""
        replaced = False

        async def refusing(message: Message) -> None:
            nonlocal replaced
            if scope.get(_ALLOWED):
                await send(message)
            elif not replaced:
                replaced = True
                await refusal(scope, receive, send)

        await super().__call__(scope, receive, refusing)


async def _close_socket(_scope: Scope, _receive: Receive, send: Send) -> None:
    await send({"type": "websocket.close", "code": 1008})


def _refusal(path: str) -> Response:
    message = "this server does not answer for that host name (the request's Host header)"
    if path == "/graphql":
        return JSONResponse(error_body(message, ErrorCode.BAD_REQUEST.value), status_code=400)
    return PlainTextResponse(message, status_code=400)
