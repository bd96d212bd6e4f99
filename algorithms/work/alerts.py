"""What is worth telling the team, in plain words (docs/alerts.md): a new work item with at
least the threshold's tickets per week, a page whose rate broke, a fix's verdict. Each
alert's id is derived from what it is about, so raising it again sends nothing twice."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Final

from algorithms.work.changes import sentence
from algorithms.work.finding import per_hundred, quoted
from graph_model.alert.record import Alert, AlertKind
from graph_model.change.record import ChangeRecord
from graph_model.timewindow import DAY_MS
from graph_model.work.record import Verdict, Verification, WorkFigures

# A change is news when its period starts this close to the end of the analysed window.
RECENT_CHANGE_DAYS: Final = 28


def new_item_alerts(items: Iterable[WorkFigures], threshold: float) -> list[Alert]:
    """Candidates: raised only for an item no earlier analysis published (graph_model)."""
    return [
        Alert(
            id=f"new-item:{w.item_id}",
            kind=AlertKind.NEW_ITEM,
            title=f"New in the work queue: {w.title}",
            text=f"{w.reason} About {w.tickets_per_week:.1f} tickets a week.",
            item_id=w.item_id,
            page_id=w.page_id,
            data={
                "action": w.action.value,
                "ticketsPerWeek": round(w.tickets_per_week, 2),
                "customersPerWeek": round(w.customers_per_week, 2),
                "confidence": w.confidence.value,
            },
        )
        for w in items
        if w.tickets_per_week >= threshold
    ]


def change_alerts(
    changes: Iterable[ChangeRecord], titles: Mapping[str, str], window_end: int
) -> list[Alert]:
    """One alert per page that broke in the last RECENT_CHANGE_DAYS (a significant change
    for the worse): told by its most significant change among everyone's paths, else among
    a segment's. Its id names the page and the week the break began, so the weeks after
    (and the next analyses) raise no second one."""
    recent = window_end - RECENT_CHANGE_DAYS * DAY_MS
    breaks: dict[str, list[ChangeRecord]] = defaultdict(list)
    for c in changes:
        if c.significant and c.worsening and c.period_start >= recent:
            breaks[c.page_id].append(c)
    alerts = []
    for page, found in sorted(breaks.items()):
        site = [c for c in found if c.segment is None] or found
        began = min(c.period_start for c in site)
        told = min(site, key=lambda c: (c.q_value, c.period_start))
        title = titles.get(page) or page
        alerts.append(
            Alert(
                id=f"change:{page}:{began}",
                kind=AlertKind.CHANGE,
                title=f"{quoted(title)} broke",
                text=sentence(told),
                page_id=page,
                data={
                    "metric": told.metric.value,
                    "kind": told.kind.value,
                    "periodStart": told.period_start,
                    "segment": told.segment,
                    "rate": told.rate,
                    "baselineRate": told.baseline_rate,
                    "qValue": told.q_value,
                },
            )
        )
    return alerts


_SAID: Final = {
    Verdict.WORKED: "worked",
    Verdict.WORSE: "made things worse",
    Verdict.NO_EFFECT: "made no measurable difference",
}


def verdict_alert(figures: WorkFigures, v: Verification) -> Alert | None:
    """The verdict once decided (None while WAITING)."""
    if not v.verdict.decided:
        return None
    day = datetime.fromtimestamp(v.since / 1000, UTC).strftime("%-d %b %Y")
    rate = v.verified_rate.value.replace("_", " ").lower()
    text = (
        f"Its {rate} went from {per_hundred(v.before_rate)} to {per_hundred(v.after_rate)} "
        f"over {v.days:.0f} days either side of {day}."
    )
    if v.tickets_avoided_per_week > 0:
        text += f" About {v.tickets_avoided_per_week:.1f} fewer tickets a week."
    return Alert(
        id=f"verdict:{figures.item_id}:{v.since}",
        kind=AlertKind.VERDICT,
        title=f"{figures.title}: {_SAID[v.verdict]}",
        text=text,
        item_id=figures.item_id,
        page_id=figures.page_id,
        data={
            "verdict": v.verdict.value,
            "rate": v.verified_rate.value,
            "before": v.before_rate,
            "after": v.after_rate,
            "pValue": v.p_value,
            "since": v.since,
            "ticketsAvoidedPerWeek": round(v.tickets_avoided_per_week, 2),
        },
    )


def verdict_alerts(
    items: Sequence[WorkFigures], verifications: Mapping[str, Verification]
) -> list[Alert]:
    by_id = {w.item_id: w for w in items}
    found = []
    for item_id, v in verifications.items():
        figures = by_id.get(item_id)
        alert = None if figures is None else verdict_alert(figures, v)
        if alert is not None:
            found.append(alert)
    return found
