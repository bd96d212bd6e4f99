"""Alerts by webhook, end to end (docs/alerts.md): an analysis raises them into the graph's
outbox, the real `pathrank serve` delivers them to a local HTTP receiver, signed.

- each alert arrives once, with a valid `X-PathRank-Signature` (checked here with hmac);
- a receiver that fails twice gets the alert on the third try;
- alerts raised while no server runs (or while it is stopped) are delivered once it starts;
- a delivery that fails its last attempt is FAILED, in `alertStatus`, `alertDeliveries` and
  /metrics.

The tiny help center of work_helpers (its contact page: a new item of about 40 tickets a
week); the server polls the outbox every 0.2 s and retries after 0.2 x 2^n s.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

import httpx
import orjson
import pytest
from neo4j import Driver

from tests.integration.analyzed import analyze
from tests.integration.api_server import serve
from tests.integration.ingest_helpers import TestGraph, wiring
from tests.integration.work_helpers import help_center, load_events

SECRET: Final = "s3cret-for-tests"
FAST: Final = {"PATHRANK_WEBHOOK_POLL_S": "0.2", "PATHRANK_WEBHOOK_RETRY_BASE_S": "0.2"}


@dataclass
class Receiver:
    """A local webhook: answers its first `fail_first` requests (every one with
    `always_fail`) with 500, the others with 204, and keeps every request it got."""

    fail_first: int = 0
    always_fail: bool = False
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            self.requests.append((headers, body))
            failing = self.always_fail or len(self.requests) <= self.fail_first
        return 500 if failing else 204

    def bodies(self) -> list[dict[str, Any]]:
        with self.lock:
            return [orjson.loads(b) for _, b in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    got = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(got.handle({k.lower(): v for k, v in self.headers.items()}, body))
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    got.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/pathrank"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield got
    server.shutdown()


def settings_of(receiver: Receiver, **more: str) -> dict[str, str]:
    return {
        "PATHRANK_WEBHOOK_URLS": receiver.url,
        "PATHRANK_WEBHOOK_SECRET": SECRET,
        **FAST,
        **more,
    }


def raise_alerts(driver: Driver, receiver: Receiver, escalating: int, offset: int = 0) -> None:
    """Load the help center and analyse it with the webhook configured (as `pathrank
    analyze` would run: the URL is known, so the alerts are its)."""
    load_events(driver, help_center(escalating=escalating, offset=offset))
    wiring(webhook_urls=(receiver.url,)).analysis(driver).run()


def wait_for(check: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def graphql(base: str, query: str) -> dict[str, Any]:
    body = httpx.post(f"{base}/graphql", json={"query": query}, timeout=10).json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


STATUS = "{ alertStatus { pending retrying delivered failed } }"


def status(base: str) -> dict[str, int]:
    found: dict[str, int] = graphql(base, STATUS)["alertStatus"]
    return found


def alert_ids(driver: Driver) -> set[str]:
    records, _, _ = driver.execute_query("MATCH (a:Alert) RETURN a.id AS id")
    return {r["id"] for r in records}


def valid(headers: dict[str, str], body: bytes) -> bool:
    """The receiver's check, as docs/alerts.md tells a receiver to make it."""
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers.get("x-pathrank-signature", ""), expected)


def test_each_alert_arrives_once_signed_even_raised_before_the_server_ran(
    store: TestGraph, services: dict[str, Any], receiver: Receiver
) -> None:
    raise_alerts(store.driver, receiver, escalating=40)
    raised = alert_ids(store.driver)
    assert any(a.startswith("new-item:") for a in raised), raised
    with serve(services, **settings_of(receiver)) as base:
        wait_for(lambda: status(base)["delivered"] == len(raised), "every delivery")
        assert status(base) == {"pending": 0, "retrying": 0, "delivered": len(raised), "failed": 0}
    bodies = receiver.bodies()
    assert sorted(b["id"] for b in bodies) == sorted(raised)  # each once
    assert all(valid(h, b) for h, b in receiver.requests)
    new = next(b for b in bodies if b["kind"] == "NEW_ITEM")
    assert new["title"].startswith("New in the work queue")
    assert new["data"]["ticketsPerWeek"] >= 1
    assert new["pageId"] == "contact"
    assert not valid(receiver.requests[0][0], receiver.requests[0][1] + b" ")  # a checked body


def test_a_receiver_that_fails_twice_gets_it_on_the_third_try(
    store: TestGraph, services: dict[str, Any], receiver: Receiver
) -> None:
    receiver.fail_first = 2
    raise_alerts(store.driver, receiver, escalating=40)
    [raised] = alert_ids(store.driver)
    with serve(services, **settings_of(receiver)) as base:
        wait_for(lambda: status(base)["delivered"] == 1, "the delivery")
        metrics = httpx.get(f"{base}/metrics", timeout=10).text
    assert [orjson.loads(b)["id"] for _, b in receiver.requests] == [raised] * 3
    assert 'pathrank_webhook_attempts_total{result="failed"} 2.0' in metrics
    assert 'pathrank_webhook_attempts_total{result="delivered"} 1.0' in metrics


def test_alerts_raised_while_the_server_is_stopped_are_delivered_when_it_starts(
    store: TestGraph, services: dict[str, Any], receiver: Receiver
) -> None:
    raise_alerts(store.driver, receiver, escalating=40)
    with serve(services, **settings_of(receiver)) as base:
        wait_for(lambda: status(base)["delivered"] == 1, "the first alert")
    # Stopped: a new page starts sending customers to support; its item is new.
    load_events(store.driver, _second_hotspot())
    analyze_with(store.driver, receiver)
    assert len(alert_ids(store.driver)) == 2
    with serve(services, **settings_of(receiver)) as base:
        wait_for(lambda: status(base)["delivered"] == 2, "the alert raised meanwhile")
    ids = [b["id"] for b in receiver.bodies()]
    assert len(ids) == len(set(ids)) == 2


def test_a_delivery_that_keeps_failing_is_given_up_and_shown(
    store: TestGraph, services: dict[str, Any], receiver: Receiver
) -> None:
    receiver.always_fail = True
    raise_alerts(store.driver, receiver, escalating=40)
    more = settings_of(receiver, PATHRANK_WEBHOOK_MAX_ATTEMPTS="2")
    with serve(services, **more) as base:
        wait_for(lambda: status(base)["failed"] == 1, "the delivery to be given up")
        [delivery] = graphql(
            base, "{ alertDeliveries { state attempts lastError host alert { kind } } }"
        )["alertDeliveries"]
        wait_for(
            lambda: (
                'pathrank_webhook_deliveries{state="failed"} 1.0'
                in httpx.get(f"{base}/metrics", timeout=10).text
            ),
            "the failed delivery in /metrics",
        )
        metrics = httpx.get(f"{base}/metrics", timeout=10).text
    assert delivery == {
        "state": "FAILED",
        "attempts": 2,
        "lastError": delivery["lastError"],
        "host": "127.0.0.1",
        "alert": {"kind": "NEW_ITEM"},
    }
    assert delivery["lastError"].startswith("HTTP 500")
    assert 'pathrank_webhook_attempts_total{result="given_up"} 1.0' in metrics
    assert len(receiver.requests) == 2


def analyze_with(driver: Driver, receiver: Receiver) -> None:
    wiring(webhook_urls=(receiver.url,)).analysis(driver).run()


def _second_hotspot() -> list[dict[str, Any]]:
    """40 more journeys that end in a ticket after the `refunds` page."""
    events = []
    for n in range(40):
        t = 1_767_600_000 + 900 + n * 600
        customer = f"x{n}"
        events += [
            {"customer_id": customer, "page_id": "home", "timestamp": t},
            {"customer_id": customer, "page_id": "refunds", "timestamp": t + 20},
            {"customer_id": customer, "timestamp": t + 40, "event_type": "escalation"},
        ]
    return events


def test_analyze_alone_raises_alerts_once(store: TestGraph, receiver: Receiver) -> None:
    raise_alerts(store.driver, receiver, escalating=40)
    first = alert_ids(store.driver)
    analyze(store.driver)  # the same findings again: nothing new to tell
    assert alert_ids(store.driver) == first
