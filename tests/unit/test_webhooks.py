"""Webhook bodies, signatures and the deliverer's retry rules (notify/), on a fake outbox
and httpx's mock transport: pure logic (tests/integration/test_alerts.py delivers for real).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

import httpx
import orjson

from graph_model.alert.record import Alert, AlertKind, Delivery, Target
from graph_model.alert.store import Claimed
from notify.delivery import RetryPolicy, WebhookDeliverer
from notify.webhook import Webhook, body, headers

ALERT = Alert("new-item:x", AlertKind.NEW_ITEM, "New: Rewrite “Billing”", "57 of 100 …", "x")
SLACK = "https://hooks.slack.com/services/T000/B000/XXXX"


def test_json_for_a_webhook_and_slack_s_format_for_slack() -> None:
    assert not Webhook.of("https://example.com/hook").slack
    assert Webhook.of(SLACK).slack
    plain = orjson.loads(body(ALERT, slack=False))
    assert (plain["id"], plain["kind"], plain["itemId"]) == ("new-item:x", "NEW_ITEM", "x")
    slack = orjson.loads(body(ALERT, slack=True))
    assert slack["text"].startswith(ALERT.title)
    assert slack["blocks"][0]["text"]["type"] == "mrkdwn"
    assert ALERT.text in slack["blocks"][0]["text"]["text"]


def test_a_title_cannot_ping_a_slack_channel() -> None:
    sneaky = Alert("x", AlertKind.CHANGE, "“<!channel> & <http://evil|click>” broke", "t")
    text = orjson.loads(body(sneaky, slack=True))["blocks"][0]["text"]["text"]
    assert "<" not in text
    assert "&lt;!channel&gt; &amp; &lt;http://evil|click&gt;" in text


def test_the_signature_is_hmac_sha256_of_the_exact_body() -> None:
    payload = body(ALERT, slack=False)
    sent = headers(ALERT, payload, "k3y")
    digest = hmac.new(b"k3y", payload, hashlib.sha256).hexdigest()
    assert sent["X-PathRank-Signature"] == f"sha256={digest}"
    assert "X-PathRank-Signature" not in headers(ALERT, payload, None)


def test_targets_name_the_host_never_the_url() -> None:
    target = Target.of(SLACK)
    assert target.host == "hooks.slack.com"
    assert "XXXX" not in target.id
    assert target == Target.of(SLACK)


class FakeOutbox:
    def __init__(self, claimed: Sequence[Claimed]) -> None:
        self.claimed = list(claimed)
        self.results: list[tuple[str, str | int | bool]] = []

    def register(self, targets: Sequence[Target]) -> None:
        pass

    def claim(self, targets: Sequence[str], limit: int, lease_ms: int) -> list[Claimed]:
        found, self.claimed = self.claimed, []
        return found

    def delivered(self, delivery_id: str) -> None:
        self.results.append(("delivered", delivery_id))

    def failed(self, delivery_id: str, error: str, wait_ms: int, give_up: bool) -> None:
        self.results.append(("failed", wait_ms))
        self.results.append(("give_up", give_up))

    def counts(self) -> dict[str, int]:
        return {}


def test_failures_back_off_then_give_up() -> None:
    url = "https://example.com/hook"
    target = Target.of(url)
    policy = RetryPolicy(base_s=2.0, max_s=5.0, max_attempts=4)
    assert [policy.wait_ms(n) for n in range(4)] == [2000, 4000, 5000, 5000]
    answers = iter([500, 204])
    transport = httpx.MockTransport(lambda _request: httpx.Response(next(answers)))
    with httpx.Client(transport=transport) as client:
        for attempts_before, expected in ((1, [("failed", 4000), ("give_up", False)]),
                                          (3, [("delivered", "d")])):  # fmt: skip
            delivery = Delivery("d", ALERT.id, target.id, target.host, attempts=attempts_before)
            outbox = FakeOutbox([Claimed(delivery, ALERT)])
            WebhookDeliverer(outbox, [url], "s", policy).deliver_due(client)
            assert outbox.results == expected
    refused = httpx.MockTransport(lambda _request: httpx.Response(503))
    with httpx.Client(transport=refused) as client:
        delivery = Delivery("d", ALERT.id, target.id, target.host, attempts=3)
        outbox = FakeOutbox([Claimed(delivery, ALERT)])
        WebhookDeliverer(outbox, [url], "s", policy).deliver_due(client)
        assert outbox.results == [("failed", 5000), ("give_up", True)]
