"""Alerts and their webhook deliveries (docs/alerts.md).

An `(:Alert)` is raised once (its id is derived from what it is about, so raising it again
changes nothing) and waits in the graph, the durable outbox, until every webhook target has
it. Each target's attempts are an `(:AlertDelivery)`: PENDING until a 2xx answer
(DELIVERED) or until it has failed `max_attempts` times (FAILED: given up, and said so in
/metrics and `alertDeliveries`). A target is the hash of its URL: URLs stay in the settings
(a Slack webhook URL is a secret), the graph only names the host.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, Final
from urllib.parse import urlsplit

from graph_model.properties import JSON, properties_of


class AlertKind(StrEnum):
    NEW_ITEM = "NEW_ITEM"  # a new work item above the tickets-per-week threshold
    CHANGE = "CHANGE"  # a page's rate broke (a significant change for the worse)
    VERDICT = "VERDICT"  # a work item's verification was decided


class DeliveryState(StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"  # given up after the last attempt


@dataclass(frozen=True, slots=True)
class Alert:
    """Every field is an (:Alert) property; `data` (JSON) carries the figures."""

    id: str
    kind: AlertKind
    title: str
    text: str
    item_id: str | None = None
    page_id: str | None = None
    created_at: int = 0  # epoch ms, set when it is raised
    data: Annotated[dict[str, Any], JSON] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        """The JSON a webhook receives (docs/alerts.md, "The JSON body")."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "title": self.title,
            "text": self.text,
            "itemId": self.item_id,
            "pageId": self.page_id,
            "createdAt": self.created_at,
            "data": self.data,
        }


@dataclass(frozen=True, slots=True)
class Target:
    """A webhook URL as the graph knows it: the hash of the URL, and its host."""

    id: str
    host: str

    @staticmethod
    def of(url: str) -> Target:
        digest = hashlib.sha256(url.encode()).hexdigest()[:16]
        return Target(digest, urlsplit(url).hostname or "?")


@dataclass(frozen=True, slots=True)
class Delivery:
    """An (:AlertDelivery): one alert to one target."""

    id: str  # "<alert id>@<target id>"
    alert_id: str
    target: str  # Target.id
    host: str
    state: DeliveryState = DeliveryState.PENDING
    attempts: int = 0
    next_attempt_at: int = 0  # epoch ms
    last_attempt_at: int | None = None
    last_error: str | None = None
    delivered_at: int | None = None
    created_at: int = 0


def delivery_id(alert_id: str, target: str) -> str:
    return f"{alert_id}@{target}"


def delivery_counts(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Deliveries per state from rows {state, n, tried}; RETRYING: the PENDING ones that
    failed at least once."""
    found = {"PENDING": 0, "DELIVERED": 0, "FAILED": 0, "RETRYING": 0}
    for row in rows:
        found[row["state"]] = row["n"]
        if row["state"] == DeliveryState.PENDING:
            found["RETRYING"] = row["tried"]
    return found


ALERT: Final = properties_of(Alert)
DELIVERY: Final = properties_of(Delivery)
