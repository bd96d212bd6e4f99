"""The work queue's writes: a run's items published (in one transaction: a crash leaves all
or nothing, and the next run publishes again), the status a content designer sets, and the
verifications of items.

An item's status, note and verification live on the (:WorkItem) only: an analysis never
writes them (it creates an item OPEN, and reopens a dismissed one whose figures doubled),
so they survive every analysis and every crash of one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from neo4j import ManagedTransaction

from graph_model.alert import cypher as alert_q
from graph_model.alert.record import Alert
from graph_model.alert.store import raise_alerts
from graph_model.properties import from_properties, to_properties
from graph_model.store import Neo4jStore
from graph_model.version import bump_graph_version
from graph_model.work import cypher as q
from graph_model.work.record import (
    VERIFICATION,
    Verification,
    WorkFigures,
    WorkItem,
    WorkItemState,
    WorkStatus,
    reopens,
)

# Every verification property set to null (a DONE item set back to OPEN loses its verdict).
_CLEARED = dict.fromkeys(VERIFICATION.names)


def verification_of(props: Mapping[str, Any] | None) -> Verification | None:
    """The verification in an item's properties (None: it has none)."""
    if not props or props.get("verdict") is None:
        return None
    return from_properties(Verification, props)


def work_item(row: Mapping[str, Any]) -> WorkItem:
    """A WorkItem from a row of `state`, `figures` and `verification` maps (and `stale`)."""
    return WorkItem(
        state=from_properties(WorkItemState, row["state"]),
        figures=from_properties(WorkFigures, row["figures"]),
        stale=bool(row.get("stale", False)),
        verification=verification_of(row.get("verification")),
    )


def verification_rows(
    verifications: Mapping[str, tuple[WorkItemState, Verification]],
) -> list[dict[str, Any]]:
    """Staging rows: each verification with the item state it was computed for."""
    return [
        {
            "itemId": item_id,
            "status": state.status.value,
            "doneAt": state.done_at,
            "props": to_properties(v),
        }
        for item_id, (state, v) in sorted(verifications.items())
    ]


def publish_work(tx: ManagedTransaction, run_id: str) -> None:
    """Publish a run's queue: copy its figures onto its items, publish its verifications
    (for items whose state has not changed since), reopen dismissed items whose figures
    doubled, raise its alerts (a new item's only if no earlier run published the item)."""
    staged = [
        (from_properties(WorkItemState, r["state"]), from_properties(WorkFigures, r["figures"]))
        for r in tx.run(q.STAGED, run=run_id)
    ]
    new = [state.id for state, _ in staged if state.first_seen_at is None]
    reopened = [state.id for state, figures in staged if reopens(state, figures)]
    verified = [
        {"id": r["id"], "props": dict(r["verification"])}
        for r in tx.run(q.STAGED_VERIFICATIONS, run=run_id)
    ]
    tx.run(q.PUBLISH_FIGURES, run=run_id).consume()
    tx.run(q.PUBLISH_VERIFICATIONS, rows=verified).consume()
    tx.run(q.REOPEN, ids=reopened).consume()
    tx.run(alert_q.RAISE_STAGED, run=run_id, newItems=new).consume()


@dataclass(frozen=True, slots=True)
class StatusChange:
    """What `set_status` writes."""

    item_id: str
    status: WorkStatus
    note: str | None
    at: int  # epoch ms the status took effect
    done_at: int | None = None  # DONE: the verification's reference time
    dismissed_tickets: float | None = None  # DISMISSED: the figures it must double
    dismissed_customers: float | None = None


class Neo4jWorkStore(Neo4jStore):
    def items(self) -> list[WorkItem]:
        """Every item some analysis published, with its latest figures (stale or not)."""
        return [work_item(r) for r in self._run(q.ALL_ITEMS)]

    def item(self, item_id: str) -> WorkItem | None:
        """The item with the current run's figures (else its last copy); None if unknown."""
        rows = self._run(q.ITEM, id=item_id)
        if not rows or not rows[0]["visible"]:
            return None
        return work_item(rows[0])

    def set_status(self, change: StatusChange) -> bool:
        """False for an unknown item. The item's verification is dropped: a DONE item gets
        one for its DONE time (`write_verification`), any other its page version's at the
        next analysis."""

        def work(tx: ManagedTransaction) -> bool:
            found = tx.run(
                q.SET_STATUS,
                id=change.item_id,
                status=change.status.value,
                note=change.note,
                at=change.at,
                doneAt=change.done_at,
                dismissedTickets=change.dismissed_tickets,
                dismissedCustomers=change.dismissed_customers,
                cleared=_CLEARED,
            ).single()
            bump_graph_version(tx)
            return found is not None

        with self.driver.session(database=self.database) as session:
            return session.execute_write(work)

    def write_verification(
        self, item_id: str, done_at: int, verification: Verification, alert: Alert | None
    ) -> bool:
        """Record the verification of a DONE item (and raise its verdict's alert), unless
        its status or DONE time changed meanwhile (False)."""

        def work(tx: ManagedTransaction) -> bool:
            found = tx.run(
                q.WRITE_VERIFICATION,
                id=item_id,
                doneAt=done_at,
                props=to_properties(verification),
            ).single()
            if found is not None and alert is not None:
                raise_alerts(tx, [alert])
            bump_graph_version(tx)
            return found is not None

        with self.driver.session(database=self.database) as session:
            return session.execute_write(work)


def staged_figure_rows(items: Sequence[WorkFigures]) -> list[dict[str, Any]]:
    return [to_properties(w) for w in items]
