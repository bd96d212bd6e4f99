"""The `atRisk` subscription over WebSocket (graphql-transport-ws, with the `gql` client),
`atRiskPaths`, and the help widget of docs/assist.md in headless Chromium, against
`pathrank serve` and `pathrank ingest` on real Kafka and Neo4j.

Two customers arrive after an analysis: one drifts through three pages the analysis found
hopeless (success probability under 0.2), one walks three pages that usually resolve. The
subscription must tell the first one's trouble, and nothing of the second.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from gql import Client, gql
from gql.transport.exceptions import TransportConnectionFailed
from gql.transport.websockets import WebsocketsTransport
from neo4j import Driver
from playwright.sync_api import Playwright

from simulator import SimulationConfig, simulate
from tests.conftest import REPO
from tests.integration.analyzed import analyze
from tests.integration.api_server import free_port, serve
from tests.integration.browser import ARTIFACTS, WAIT_MS, Console, chromium_context
from tests.integration.ingest_helpers import (
    RunningIngest,
    TestGraph,
    clean_graph,
    fresh_names,
    produce_events,
    wiring,
)

AT_RISK = """subscription Watch($customer: ID) {
  atRisk(customerId: $customer) {
    id customerId pathId atRisk pageId chance reasons clicks outcome time
    page { id title }
  }
}"""


def _pages_by_success(driver: Driver) -> list[tuple[str, float]]:
    records, _, _ = driver.execute_query(
        "MATCH (p:Page) WHERE p.successProbability IS NOT NULL AND NOT p.isHotspot "
        "RETURN p.id AS id, p.successProbability AS s ORDER BY s, id"
    )
    return [(r["id"], r["s"]) for r in records]


@pytest.fixture(scope="module")
def live(services: dict[str, Any], neo4j_driver: Driver) -> Iterator[dict[str, Any]]:
    """An analysed graph, `pathrank ingest` and `pathrank serve` on one fresh topic set."""
    store: TestGraph = clean_graph(neo4j_driver)
    sim = simulate(SimulationConfig(seed=3, events=4000))
    wiring().load(store.driver, sim.events, sim.pages, now_ms=int(time.time() * 1000))
    analyze(store.driver)
    names = fresh_names()
    site = free_port()  # where the help center's own pages are served (the widget test)
    worker = RunningIngest(names)
    try:
        with serve(
            services,
            PATHRANK_ASSIST_TOPIC=names["PATHRANK_ASSIST_TOPIC"],
            PATHRANK_ASSIST_ORIGINS=f"http://127.0.0.1:{site}",
        ) as base:
            deadline = time.monotonic() + 60
            while httpx.get(f"{base}/healthz").json().get("assist") != "live":
                assert time.monotonic() < deadline, "the server never read the assist topic"
                time.sleep(0.5)
            yield {
                "base": base,
                "names": names,
                "pages": _pages_by_success(store.driver),
                "site": site,
            }
    finally:
        worker.terminate()


async def _watch(url: str, customer: str, seen: list[dict[str, Any]], stop: asyncio.Event) -> None:
    transport = WebsocketsTransport(
        url=url, subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL]
    )
    async with Client(transport=transport) as session:
        assert transport.subprotocol == "graphql-transport-ws"

        async def collect() -> None:
            request = gql(AT_RISK)
            request.variable_values = {"customer": customer}
            async for event in session.subscribe(request):
                seen.append(event["atRisk"])

        task = asyncio.create_task(collect())
        await stop.wait()
        task.cancel()


def test_a_customer_drifting_into_trouble_is_announced_and_one_on_a_good_route_is_not(
    live: dict[str, Any], kafka_bootstrap: str
) -> None:
    pages = live["pages"]
    hopeless = [p for p, s in pages if s < 0.2][:3]
    good = [p for p, s in pages if s > 0.5][-3:]
    assert len(hopeless) == 3, pages
    assert len(good) == 3, pages
    tag = live["names"]["PATHRANK_TOPIC"]
    drifter, steady = f"drifter-{tag}", f"steady-{tag}"
    ws = live["base"].replace("http://", "ws://") + "/graphql"
    drifted: list[dict[str, Any]] = []
    calm: list[dict[str, Any]] = []

    async def scenario() -> None:
        stop = asyncio.Event()
        watchers = [
            asyncio.create_task(_watch(ws, drifter, drifted, stop)),
            asyncio.create_task(_watch(ws, steady, calm, stop)),
        ]
        await asyncio.sleep(2)  # both subscribed
        now = int(time.time() * 1000) - 30_000
        events = [
            {"customer_id": who, "page_id": page, "timestamp": now + 5_000 * i}
            for who, route in ((drifter, hopeless), (steady, good))
            for i, page in enumerate(route)
        ]
        produce_events(kafka_bootstrap, live["names"]["PATHRANK_TOPIC"], events)
        deadline = time.monotonic() + 30
        while not drifted and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(3)  # time enough for anything about the steady customer
        stop.set()
        await asyncio.gather(*watchers)

    asyncio.run(scenario())

    assert calm == []
    (event,) = drifted
    chance = dict(pages)[hopeless[2]]
    assert event["customerId"] == drifter
    assert event["atRisk"] is True
    assert event["reasons"] == ["LOW_CHANCE"]
    assert (event["pageId"], event["page"]["id"], event["clicks"]) == (hopeless[2],) * 2 + (3,)
    assert event["chance"] == pytest.approx(chance)
    assert event["outcome"] is None
    assert event["id"] == f"{event['pathId']}#1"

    # The current list has the drifter, not the steady customer.
    body = httpx.post(
        f"{live['base']}/graphql",
        json={"query": "{ atRiskPaths(limit: 100) { customerId pageId reasons chance } }"},
    ).json()
    listed = {p["customerId"]: p for p in body["data"]["atRiskPaths"]}
    assert drifter in listed
    assert steady not in listed
    assert listed[drifter]["pageId"] == hopeless[2]


def _handshake(base: str, host: str) -> bytes:
    """A raw WebSocket handshake to /graphql naming `host`: the server's status line."""
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(
            f"GET /graphql HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n".encode()
        )
        return s.recv(200).split(b"\r\n")[0]


def test_a_websocket_for_a_foreign_host_or_from_a_foreign_page_is_refused(
    live: dict[str, Any],
) -> None:
    base = live["base"]
    port = base.rsplit(":", 1)[1]
    assert _handshake(base, f"127.0.0.1:{port}") == b"HTTP/1.1 101 Switching Protocols"
    assert _handshake(base, "evil.example") == b"HTTP/1.1 403 Forbidden"  # DNS rebinding

    async def from_page(origin: str) -> None:
        transport = WebsocketsTransport(
            url=base.replace("http://", "ws://") + "/graphql",
            headers={"Origin": origin},
            subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        )
        async with Client(transport=transport):
            pass

    asyncio.run(from_page(base))  # the server's own pages may
    with pytest.raises(TransportConnectionFailed):
        asyncio.run(from_page("http://evil.example"))


def _embed_snippet() -> str:
    """The help widget exactly as docs/assist.md gives it (between its embed markers)."""
    text = (REPO / "docs" / "assist.md").read_text()
    block = text.split("<!-- embed:start -->", 1)[1].split("<!-- embed:end -->", 1)[0]
    return block.strip().removeprefix("```html").removesuffix("```").strip()


@contextmanager
def _site(port: int, html: str) -> Iterator[str]:
    """A help-center page served on 127.0.0.1:`port` while the context is open."""
    body = html.encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/hc/articles/reset-password"
    finally:
        server.shutdown()
        server.server_close()


def test_the_documented_widget_offers_help_while_its_customer_is_in_trouble(
    live: dict[str, Any], kafka_bootstrap: str, playwright: Playwright
) -> None:
    base, pages = live["base"], live["pages"]
    hopeless = [p for p, s in pages if s < 0.2][:3]
    customer = f"widget-{live['names']['PATHRANK_TOPIC']}"
    snippet = (
        _embed_snippet()
        .replace(
            "wss://pathrank.example.com/graphql", base.replace("http://", "ws://") + "/graphql"
        )
        .replace("CUSTOMER-ID", customer)
    )
    assert customer in snippet
    article = f"<!doctype html><title>Help article</title><h1>Resetting a password</h1>{snippet}"
    # The help center's own site, another origin than the server's (PATHRANK_ASSIST_ORIGINS
    # lets its pages in).
    with _site(live["site"], article) as url, chromium_context(playwright) as context:
        page = context.new_page()
        console = Console()
        console.watch(page)
        page.set_default_timeout(WAIT_MS)
        with page.expect_websocket() as socket_info:
            page.goto(url)
        ws = socket_info.value
        ws.wait_for_event("framereceived", lambda frame: "connection_ack" in str(frame))
        page.wait_for_timeout(500)  # the subscribe message is on its way
        assert page.locator("#pathrank-help").is_hidden()

        now = int(time.time() * 1000) - 20_000
        clicks = [
            {"customer_id": customer, "page_id": p, "timestamp": now + 4_000 * i}
            for i, p in enumerate(hopeless)
        ]
        produce_events(kafka_bootstrap, live["names"]["PATHRANK_TOPIC"], clicks)
        page.wait_for_selector("#pathrank-help", state="visible", timeout=30_000)
        assert "Chat with us" in page.inner_text("#pathrank-help")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "assist-widget.png"))

        resolved = {**clicks[0], "timestamp": now + 16_000, "is_resolved": True}
        produce_events(kafka_bootstrap, live["names"]["PATHRANK_TOPIC"], [resolved])
        page.wait_for_selector("#pathrank-help", state="hidden", timeout=30_000)
        assert console.problems == []
