"""What a webhook receives: the alert as JSON (Slack's message format for a Slack incoming
webhook), signed with HMAC-SHA-256 of the exact body bytes under PATHRANK_WEBHOOK_SECRET in
the header `X-PathRank-Signature: sha256=<hex>` (docs/alerts.md, "Verifying a delivery")."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import orjson

from graph_model.alert.record import Alert, Target

SIGNATURE_HEADER: Final = "X-PathRank-Signature"
ALERT_HEADER: Final = "X-PathRank-Alert"  # the alert's id: a receiver can drop a repeat


@dataclass(frozen=True, slots=True)
class Webhook:
    """A configured webhook URL and how the graph knows it."""

    url: str
    target: Target

    @staticmethod
    def of(url: str) -> Webhook:
        return Webhook(url, Target.of(url))

    @property
    def slack(self) -> bool:
        host = urlsplit(self.url).hostname or ""
        return host == "hooks.slack.com" or host.endswith(".slack.com")


def body(alert: Alert, slack: bool) -> bytes:
    return orjson.dumps(slack_message(alert) if slack else alert.body())


def slack_message(alert: Alert) -> dict[str, Any]:
    """Slack's incoming-webhook format: `text` (the notification) and one section block.
    Page titles come from the catalog: &, < and > are escaped as Slack asks, so a title can
    neither mention `<!channel>` nor make a link."""
    title, text = _slack_escaped(alert.title), _slack_escaped(alert.text)
    section = {"type": "mrkdwn", "text": f"*{title}*\n{text}"}
    return {"text": f"{title}: {text}", "blocks": [{"type": "section", "text": section}]}


def _slack_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def signature(payload: bytes, secret: str) -> str:
    """`sha256=<hex>` of HMAC-SHA-256(secret, payload)."""
    digest = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def headers(alert: Alert, payload: bytes, secret: str | None) -> dict[str, str]:
    found = {"Content-Type": "application/json", ALERT_HEADER: alert.id}
    if secret:
        found[SIGNATURE_HEADER] = signature(payload, secret)
    return found
