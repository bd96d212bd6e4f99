"""What the API reads of alerts: the deliveries' status (docs/alerts.md, "Status")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from graph_model.alert import cypher as q
from graph_model.alert.record import Alert, Delivery, DeliveryState, delivery_counts
from graph_model.properties import from_properties
from graph_model.reader import Neo4jReads


class AlertReads(Protocol):
    async def counts(self) -> dict[str, int]:
        """Deliveries per state; RETRYING: PENDING ones that failed at least once."""

    async def deliveries(
        self, states: Sequence[DeliveryState], limit: int
    ) -> tuple[tuple[Delivery, Alert | None], ...]:
        """Latest attempted (or created) first."""


class Neo4jAlertReads(Neo4jReads):
    async def counts(self) -> dict[str, int]:
        return delivery_counts(await self._r.rows("alert_counts", q.COUNTS))

    async def deliveries(
        self, states: Sequence[DeliveryState], limit: int
    ) -> tuple[tuple[Delivery, Alert | None], ...]:
        rows = await self._r.rows(
            "alert_deliveries", q.DELIVERIES, states=[s.value for s in states], limit=limit
        )
        return tuple(
            (
                from_properties(Delivery, r["delivery"]),
                None if r["alert"] is None else from_properties(Alert, r["alert"]),
            )
            for r in rows
        )
