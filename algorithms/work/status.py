"""setWorkItemStatus (docs/api.md, "The work queue"): a content designer's status and note,
and, for DONE, the verification at once (the next analyses recompute it until decided)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from algorithms.work.alerts import verdict_alert
from algorithms.work.finding import Searches, path_searches
from algorithms.work.verify import RATE_OF, Reference, sides, verify
from graph_model.alert.record import Alert
from graph_model.path.record import Path
from graph_model.timewindow import TimeWindow
from graph_model.work.record import Verification, WorkItem, WorkStatus
from graph_model.work.store import StatusChange


class WorkStatusStore(Protocol):
    def item(self, item_id: str) -> WorkItem | None: ...

    def set_status(self, change: StatusChange) -> bool: ...

    def write_verification(
        self, item_id: str, done_at: int, verification: Verification, alert: Alert | None
    ) -> bool: ...


# The completed paths that started in a window; the end of the data (epoch ms).
PathsIn = Callable[[TimeWindow], list[Path]]
DataEnd = Callable[[], int | None]


def set_status(
    store: WorkStatusStore,
    item_id: str,
    status: WorkStatus,
    note: str | None,
    at_ms: int | None,
    now_ms: int,
    *,
    paths_in: PathsIn,
    data_end: DataEnd,
    searches: Searches = path_searches,
) -> bool:
    """Set the status (False: no such item). `at_ms`: when it took effect (default now); a
    DONE item's verification compares the equal windows either side of it."""
    item = store.item(item_id)
    if item is None:
        return False
    at = now_ms if at_ms is None else at_ms
    figures = item.figures
    change = StatusChange(
        item_id,
        status,
        note,
        at,
        done_at=at if status is WorkStatus.DONE else None,
        dismissed_tickets=figures.tickets_per_week if status is WorkStatus.DISMISSED else None,
        dismissed_customers=(
            figures.customers_per_week if status is WorkStatus.DISMISSED else None
        ),
    )
    if not store.set_status(change):
        return False
    if status is WorkStatus.DONE and item.state.action in RATE_OF:
        ref = Reference(item_id, item.state.action, item.state.subject, at)
        end = data_end() or now_ms
        windows = sides(at, end)
        paths = paths_in(TimeWindow(windows[0].low, windows[1].high)) if windows else []
        verification = verify(ref, paths, end, now_ms, searches)
        store.write_verification(item_id, at, verification, verdict_alert(figures, verification))
    return True
