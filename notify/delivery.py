"""The deliverer `pathrank serve` runs (docs/alerts.md, "Delivery"): each round it opens a
delivery for every configured webhook of every alert raised since the webhook was first
known, leases the due ones, POSTs them, and records each answer. A 2xx answer delivers; any
other answer, a timeout or a refused connection is a failed attempt, retried after
base x 2^(attempts before) seconds (at most `max_s`) until `max_attempts` (then FAILED).

At least once: the outbox is in the graph, so a restart loses nothing, and an attempt whose
answer was not recorded (a crash between the two) is made again once its lease runs out.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

import httpx

from graph_model.alert.record import Alert, Target
from graph_model.alert.store import Claimed
from notify.webhook import Webhook, body, headers

log = logging.getLogger("pathrank.alerts")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base_s: float = 5.0
    max_s: float = 3600.0
    max_attempts: int = 20
    timeout_s: float = 10.0
    poll_s: float = 2.0
    batch: int = 50

    def wait_ms(self, attempts_before: int) -> int:
        return int(min(self.max_s, self.base_s * 2**attempts_before) * 1000)

    @property
    def lease_ms(self) -> int:
        """Long enough for one round's posts: no other deliverer takes them meanwhile."""
        return int((self.timeout_s * self.batch + 30) * 1000)


class Outbox(Protocol):
    def register(self, targets: Sequence[Target]) -> None: ...

    def claim(self, targets: Sequence[str], limit: int, lease_ms: int) -> list[Claimed]: ...

    def delivered(self, delivery_id: str) -> None: ...

    def failed(self, delivery_id: str, error: str, wait_ms: int, give_up: bool) -> None: ...

    def counts(self) -> dict[str, int]: ...


class DeliveryObserver(Protocol):
    """What /metrics shows of the deliveries."""

    def webhook_attempt(self, result: str) -> None:
        """`delivered`, `failed` (to be retried) or `given_up`."""

    def webhook_backlog(self, counts: dict[str, int]) -> None:
        """Deliveries per state (graph_model.alert.store.Neo4jAlertStore.counts)."""


class WebhookDeliverer:
    def __init__(
        self,
        outbox: Outbox,
        urls: Sequence[str],
        secret: str | None,
        policy: RetryPolicy = RetryPolicy(),
    ) -> None:
        self.outbox = outbox
        self.webhooks = {w.target.id: w for w in (Webhook.of(u) for u in urls)}
        self.secret = secret
        self.policy = policy

    def deliver_due(self, client: httpx.Client, observer: DeliveryObserver | None = None) -> int:
        """One round; how many attempts it made."""
        claimed = self.outbox.claim(list(self.webhooks), self.policy.batch, self.policy.lease_ms)
        for c in claimed:
            result = self._attempt(client, c)
            if observer is not None:
                observer.webhook_attempt(result)
        if observer is not None:
            observer.webhook_backlog(self.outbox.counts())
        return len(claimed)

    def _attempt(self, client: httpx.Client, claimed: Claimed) -> str:
        d, webhook = claimed.delivery, self.webhooks[claimed.delivery.target]
        error = _post(client, webhook, claimed.alert, self.secret)
        if error is None:
            self.outbox.delivered(d.id)
            return "delivered"
        give_up = d.attempts + 1 >= self.policy.max_attempts
        self.outbox.failed(d.id, error, self.policy.wait_ms(d.attempts), give_up)
        log.warning(
            "alert %s to %s: attempt %d failed: %s%s",
            claimed.alert.id, webhook.target.host, d.attempts + 1, error,
            " (given up)" if give_up else "",
        )  # fmt: skip
        return "given_up" if give_up else "failed"

    @asynccontextmanager
    async def running(self, observer: DeliveryObserver | None = None) -> AsyncIterator[None]:
        """Deliver in a thread of its own while the context lasts."""
        stop = threading.Event()
        thread = threading.Thread(
            target=self._loop, args=(stop, observer), name="webhooks", daemon=True
        )
        self.outbox.register([w.target for w in self.webhooks.values()])
        thread.start()
        try:
            yield
        finally:
            stop.set()
            await asyncio.to_thread(thread.join, self.policy.timeout_s + 5)

    def _loop(self, stop: threading.Event, observer: DeliveryObserver | None) -> None:
        with httpx.Client(timeout=self.policy.timeout_s, follow_redirects=False) as client:
            while not stop.is_set():
                try:
                    busy = self.deliver_due(client, observer)
                except Exception as exc:  # the graph is down: try again next round
                    log.warning("webhook deliveries: %s", exc)
                    busy = 0
                if not busy:
                    stop.wait(self.policy.poll_s)


def _post(client: httpx.Client, webhook: Webhook, alert: Alert, secret: str | None) -> str | None:
    """None when the webhook answered 2xx; else why not."""
    payload = body(alert, webhook.slack)
    try:
        response = client.post(
            webhook.url, content=payload, headers=headers(alert, payload, secret)
        )
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    if response.is_success:
        return None
    return f"HTTP {response.status_code}: {response.text[:200]}"
