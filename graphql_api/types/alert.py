"""Alerts by webhook: what was raised and whether each webhook got it (docs/alerts.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from graph_model.alert.record import Alert as AlertRecord
from graph_model.alert.record import AlertKind, DeliveryState
from graph_model.alert.record import Delivery as DeliveryRecord
from graphql_api.context import Info
from graphql_api.fields import field
from graphql_api.types.common import LIST_LIMIT, Limit, limited, record_id, recorded, utc


@strawberry.type(description="Something the team was told (or is about to be).")
class Alert:
    record: strawberry.Private[AlertRecord]

    id: strawberry.ID = record_id()
    kind: AlertKind = recorded("kind")
    title: str = recorded("title")
    text: str = recorded("text")

    @field(description="The work item it is about, if any.")
    def item_id(self) -> strawberry.ID | None:
        return None if self.record.item_id is None else strawberry.ID(self.record.item_id)

    @strawberry.field
    def created_at(self) -> datetime:
        return utc(self.record.created_at)


@strawberry.type(description="One alert's delivery to one webhook.")
class AlertDelivery:
    record: strawberry.Private[DeliveryRecord]
    alert_record: strawberry.Private[AlertRecord | None]

    state: DeliveryState = recorded("state")
    host: str = recorded("host", "The webhook's host (its URL stays in the server's settings).")
    attempts: int = recorded("attempts")
    last_error: str | None = recorded(
        "last_error", "Why the last attempt failed (null once delivered)."
    )

    @strawberry.field
    def last_attempt_at(self) -> datetime | None:
        at = self.record.last_attempt_at
        return None if at is None else utc(at)

    @field(description="When the next attempt is due (PENDING only).")
    def next_attempt_at(self) -> datetime | None:
        if self.record.state is not DeliveryState.PENDING:
            return None
        return utc(self.record.next_attempt_at)

    @strawberry.field
    def delivered_at(self) -> datetime | None:
        at = self.record.delivered_at
        return None if at is None else utc(at)

    @strawberry.field
    def alert(self) -> Alert | None:
        return None if self.alert_record is None else Alert(record=self.alert_record)


@strawberry.type(description="Webhook deliveries in numbers.")
class AlertStatus:
    pending: int = strawberry.field(description="Not delivered yet, still being tried.")
    retrying: int = strawberry.field(description="Of the pending, those that failed before.")
    delivered: int
    failed: int = strawberry.field(description="Given up after the last attempt.")


States = Annotated[
    list[DeliveryState] | None,
    strawberry.argument(description="Only these (default: PENDING and FAILED)."),
]


@strawberry.type
class AlertQuery:
    @strawberry.field
    async def alert_status(self, info: Info) -> AlertStatus:
        counts = await info.context.graph.alerts.counts()
        return AlertStatus(
            pending=counts["PENDING"],
            retrying=counts["RETRYING"],
            delivered=counts["DELIVERED"],
            failed=counts["FAILED"],
        )

    @field(description="Webhook deliveries, the latest attempted first.")
    async def alert_deliveries(
        self, info: Info, state: States = None, limit: Limit = LIST_LIMIT
    ) -> list[AlertDelivery]:
        states = state or [DeliveryState.PENDING, DeliveryState.FAILED]
        found = await info.context.graph.alerts.deliveries(states, limited(limit, LIST_LIMIT))
        return [AlertDelivery(record=d, alert_record=a) for d, a in found]
