"""The outbox's writes: raising alerts (in the caller's transaction), and what the webhook
deliverer claims and records (docs/alerts.md, "Delivery")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from neo4j import ManagedTransaction

from graph_model.alert import cypher as q
from graph_model.alert.record import Alert, Delivery, Target, delivery_counts
from graph_model.properties import from_properties, to_properties
from graph_model.store import Neo4jStore
from graph_model.version import bump_graph_version


def raise_alerts(tx: ManagedTransaction, alerts: Sequence[Alert]) -> None:
    """Raise `alerts` in the caller's transaction (an id already raised is left as it is)."""
    rows = [to_properties(a, skip=frozenset({"created_at"})) for a in alerts]
    if rows:
        tx.run(q.RAISE, rows=rows).consume()


def alert_rows(alerts: Sequence[Alert]) -> list[dict[str, Any]]:
    """Staging rows of a run's alerts."""
    return [to_properties(a, skip=frozenset({"created_at"})) for a in alerts]


@dataclass(frozen=True, slots=True)
class Claimed:
    delivery: Delivery
    alert: Alert


class Neo4jAlertStore(Neo4jStore):
    def _write(self, query: str, *, changes: bool = True, **params: Any) -> list[Any]:
        """One managed transaction; `changes`: what readers see changed (the response
        cache must not answer from before it: graph_model.version)."""

        def work(tx: ManagedTransaction) -> list[Any]:
            rows = list(tx.run(query, params))
            if changes:
                bump_graph_version(tx)
            return rows

        with self.driver.session(database=self.database) as session:
            return session.execute_write(work)

    def register(self, targets: Sequence[Target]) -> None:
        """Targets receive the alerts raised from now on (and since they were first known)."""
        if targets:
            rows = [{"id": t.id, "host": t.host} for t in targets]
            self._write(q.REGISTER_TARGETS, changes=False, targets=rows)

    def claim(self, targets: Sequence[str], limit: int, lease_ms: int) -> list[Claimed]:
        """Open deliveries for new alerts, then lease the due ones."""

        def open_deliveries(tx: ManagedTransaction) -> None:
            opened = tx.run(q.OPEN_DELIVERIES, targets=list(targets)).single(strict=True)
            if opened["n"]:
                bump_graph_version(tx)

        with self.driver.session(database=self.database) as session:
            session.execute_write(open_deliveries)
        rows = self._write(
            q.CLAIM_DUE, changes=False, targets=list(targets), limit=limit, leaseMs=lease_ms
        )
        return [
            Claimed(from_properties(Delivery, r["delivery"]), from_properties(Alert, r["alert"]))
            for r in rows
        ]

    def delivered(self, delivery_id: str) -> None:
        self._write(q.DELIVERED, id=delivery_id)

    def failed(self, delivery_id: str, error: str, wait_ms: int, give_up: bool) -> None:
        self._write(q.ATTEMPT_FAILED, id=delivery_id, error=error, waitMs=wait_ms, giveUp=give_up)

    def counts(self) -> dict[str, int]:
        """Deliveries per state (PENDING ones that failed at least once as `RETRYING`)."""
        records, _, _ = self.driver.execute_query(q.COUNTS, database_=self.database)
        return delivery_counts(records[0]["rows"] if records else [])
