"""Connections that once held or flooded `pathrank serve`, against the real server: bodies
sent half way, connections that say nothing, requests aborted by their clients, and
malformed WebSocket messages (sent with the `websockets` client, as a browser would).

Each server here fails its test if it logged a traceback (tests/integration/api_server.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import selectors
import socket
import struct
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
import websockets

from tests.integration.api_server import Served, serving

BODY_TIMEOUT_S = 2
IDLE_TIMEOUT_S = 1
HALF_BODIES = 1_000
WRITE_KEY = "hostile-write-key"


@pytest.fixture(scope="module")
def server(services: dict[str, Any]) -> Iterator[Served]:
    env = {
        "PATHRANK_HTTP_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S),
        "PATHRANK_HTTP_IDLE_TIMEOUT_S": str(IDLE_TIMEOUT_S),
        "PATHRANK_WRITE_KEY": WRITE_KEY,  # the collector's routes too
        "PATHRANK_API_CACHE": "0",
    }
    with serving(services, **env) as served:
        yield served


def _fds(served: Served) -> int:
    return len(os.listdir(f"/proc/{served.process.pid}/fd"))


def _connect(served: Served) -> socket.socket:
    port = int(served.url.rsplit(":", 1)[1])
    return socket.create_connection(("127.0.0.1", port), timeout=30)


def _head(path: str, length: int) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def _until_closed(sockets: list[socket.socket], within_s: float) -> dict[socket.socket, bytes]:
    """What the server sent each socket before closing it; fails if one stays open."""
    received = dict.fromkeys(sockets, b"")
    selector = selectors.DefaultSelector()
    for s in sockets:
        s.setblocking(False)
        selector.register(s, selectors.EVENT_READ)
    deadline = time.monotonic() + within_s
    open_ = len(sockets)
    while open_:
        assert time.monotonic() < deadline, f"{open_} connections still open"
        for key, _ in selector.select(timeout=1):
            sock: socket.socket = key.fileobj  # type: ignore[assignment]
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if chunk:
                received[sock] += chunk
                continue
            selector.unregister(sock)
            open_ -= 1
    selector.close()
    return received


def _settled(served: Served, at_most: int, within_s: float = 30) -> None:
    """Waits until the server holds at most `at_most` file descriptors."""
    deadline = time.monotonic() + within_s
    while _fds(served) > at_most:
        assert time.monotonic() < deadline, f"{_fds(served)} file descriptors held"
        time.sleep(0.2)


def test_half_sent_bodies_are_answered_408_and_closed(server: Served) -> None:
    baseline = _fds(server)
    sockets = []
    for i in range(HALF_BODIES):
        s = _connect(server)
        path = "/graphql" if i % 2 else "/v1/batch"  # the API and the collector alike
        s.sendall(_head(path, 100) + b'{"query": "{ pathStats { open } }"' + b" " * 10)
        sockets.append(s)
    # Meanwhile the server answers others.
    answer = httpx.post(f"{server.url}/graphql", json={"query": "{ pathStats { open } }"})
    assert answer.status_code == 200
    received = _until_closed(sockets, within_s=BODY_TIMEOUT_S + 60)
    statuses = [data.split(b"\r\n", 1)[0] for data in received.values()]
    assert statuses == [b"HTTP/1.1 408 Request Timeout"] * HALF_BODIES
    for s in sockets:
        s.close()
    _settled(server, baseline + 10)


def test_connections_that_say_nothing_or_too_little_are_closed(server: Served) -> None:
    silent = [_connect(server) for _ in range(50)]
    slow = []
    for _ in range(50):
        s = _connect(server)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers never end
        slow.append(s)
    received = _until_closed(silent + slow, within_s=BODY_TIMEOUT_S + 60)
    assert set(received.values()) == {b""}  # closed without an answer: nothing was asked
    for s in silent + slow:
        s.close()


def _abort(s: socket.socket) -> None:
    """Close with a reset, as a client that is killed does."""
    with contextlib.suppress(OSError):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def test_aborted_requests_cost_no_more_than_ten_log_lines(server: Served) -> None:
    baseline = _fds(server)
    lines_before = len(server.log_lines())
    batch = orjson.dumps(
        {
            "writeKey": WRITE_KEY,
            "batch": [
                {"type": "page", "userId": "u-abort", "name": "p1", "messageId": f"m{i}"}
                for i in range(50)
            ],
        }
    )
    for i in range(100):  # half a body, then gone
        s = _connect(server)
        path = "/v1/batch" if i % 2 else "/graphql"
        s.sendall(_head(path, len(batch)) + batch[: len(batch) // 2])
        _abort(s)
    for _ in range(100):  # a whole batch, gone before its answer
        s = _connect(server)
        s.sendall(_head("/v1/batch", len(batch)) + batch)
        _abort(s)
    _settled(server, baseline + 10)
    # One more request, answered: everything before it has been handled.
    assert httpx.get(f"{server.url}/healthz", timeout=30).status_code == 200
    added = server.log_lines()[lines_before:]
    assert len(added) <= 10, added


def _ws_url(server: Served) -> str:
    return server.url.replace("http://", "ws://") + "/graphql"


async def _exchange(
    server: Served, protocol: str, messages: list[object]
) -> tuple[list[dict[str, Any]], int | None, str]:
    """Send `messages` after connection_init; what came back, and the close code and reason
    (None: still open after the last answer)."""
    received: list[dict[str, Any]] = []
    async with websockets.connect(
        _ws_url(server), subprotocols=[protocol], origin=server.url, max_size=None
    ) as ws:
        await ws.send(orjson.dumps({"type": "connection_init"}).decode())
        received.append(orjson.loads(await ws.recv()))  # connection_ack
        for message in messages:
            await ws.send(message if isinstance(message, str) else orjson.dumps(message).decode())
        try:
            while True:
                answer = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
                if answer.get("type") != "ka":  # the legacy protocol's keep-alive
                    received.append(answer)
                    if answer.get("type") in ("error", "complete"):
                        return received, None, ""
        except websockets.ConnectionClosed as closed:
            frame = closed.rcvd
            return received, frame.code if frame else None, frame.reason if frame else ""


TRANSPORT = "graphql-transport-ws"
LEGACY = "graphql-ws"


@pytest.mark.parametrize(
    "message",
    [
        {"type": "subscribe", "id": "1", "payload": "hello"},
        {"type": "subscribe", "id": "1", "payload": {"query": 42}},
        {"type": "start", "id": "1", "payload": None},  # the legacy protocol's message
        ["not", "an", "object"],
    ],
    ids=["payload-string", "query-number", "legacy-start", "array"],
)
def test_malformed_transport_ws_messages_close_with_4400(server: Served, message: object) -> None:
    received, code, reason = asyncio.run(_exchange(server, TRANSPORT, [message]))
    assert received == [{"type": "connection_ack"}]
    assert code == 4400
    assert reason  # says what was wrong


def test_a_legacy_start_without_payload_gets_an_error_message(server: Served) -> None:
    start = {"type": "start", "id": "7", "payload": None}
    received, code, _ = asyncio.run(_exchange(server, LEGACY, [start]))
    assert received[0] == {"type": "connection_ack"}
    [error] = received[1:]
    assert error["type"] == "error"
    assert error["id"] == "7"
    assert code is None  # the connection stays, as that protocol's servers did


def test_a_websocket_message_over_the_body_limit_is_refused(server: Served) -> None:
    big = {"type": "subscribe", "id": "1", "payload": {"query": "{ " + " " * 1_048_576 + "}"}}
    _, code, _ = asyncio.run(_exchange(server, TRANSPORT, [big]))
    assert code == 1009  # message too big


def test_queries_go_over_http_not_over_a_websocket(server: Served) -> None:
    query = {"type": "subscribe", "id": "q", "payload": {"query": "{ pathStats { open } }"}}
    received, _, _ = asyncio.run(_exchange(server, TRANSPORT, [query]))
    error = received[-1]
    assert error["type"] == "error"
    assert error["payload"][0]["extensions"]["code"] == "BAD_REQUEST"
