"""Live assist records: the at-risk state stored on a (:Path), an announcement of a change of
that state (what the `assist` topic carries), and the analysis figures paths are scored with.

docs/assist.md defines when a path is at risk and the JSON of an announcement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

import orjson

from graph_model.path.record import Outcome
from graph_model.properties import properties_of


class RiskReason(StrEnum):
    """Why a path is at risk (docs/assist.md, "When a path is at risk")."""

    LOW_CHANCE = "LOW_CHANCE"
    HOTSPOT_TURNAROUND = "HOTSPOT_TURNAROUND"
    MISLEADING_LINK = "MISLEADING_LINK"
    # A search that found nothing, or a second search in a row without a click.
    FAILED_SEARCH = "FAILED_SEARCH"


@dataclass(frozen=True, slots=True)
class RiskState:
    """A path's at-risk state as stored on its (:Path) (the defaults: never at risk, and
    nothing stored). `risk_changes` counts every change so far, announced or not: the next
    announcement of the path is number `risk_changes + 1`, on every replay alike."""

    at_risk: bool = False
    risk_changes: int = 0
    was_at_risk: bool = False
    risk_chance: float | None = None
    risk_reasons: tuple[RiskReason, ...] = ()
    risk_page: str | None = None
    risk_since: int | None = None  # epoch ms (event time) of the last change
    # The click topic and partition the last change came from: a worker that takes that
    # partition over delivers what its previous owner left undelivered.
    risk_topic: str | None = None
    risk_partition: int | None = None


STATE: Final = properties_of(RiskState)
NEVER_AT_RISK: Final = RiskState()


@dataclass(frozen=True, slots=True)
class Announcement:
    """One change of a path's at-risk state: a record of the `assist` topic (keyed by the
    customer), kept in the graph's outbox until Kafka acknowledged it."""

    id: str  # "<path id>#<n>": the path's n-th change, the same on every replay
    customer: str
    path: str
    at_risk: bool
    page: str  # the page of the click judged (for an end: the path's last page)
    clicks: int  # the path's length at that click
    time: int  # epoch ms, event time: the click's, or when the path ended
    chance: float | None = None
    reasons: tuple[RiskReason, ...] = ()
    previous_page: str | None = None
    outcome: Outcome | None = None  # set when the change is the path's end
    run: str | None = None  # the analysis run the path was scored with
    # Where the change came from (outbox bookkeeping, not part of the JSON).
    source_topic: str = ""
    source_partition: int = -1


ANNOUNCEMENT: Final = properties_of(Announcement)


def _iso(ms: int) -> str:
    return (
        datetime.fromtimestamp(ms / 1000, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def announcement_json(a: Announcement) -> bytes:
    """The `assist` record's value (docs/assist.md, "The assist topic")."""
    return orjson.dumps(
        {
            "id": a.id,
            "customer": a.customer,
            "path": a.path,
            "atRisk": a.at_risk,
            "page": a.page,
            "previousPage": a.previous_page,
            "chance": a.chance,
            "reasons": [r.value for r in a.reasons],
            "clicks": a.clicks,
            "outcome": None if a.outcome is None else a.outcome.value,
            "time": _iso(a.time),
            "run": a.run,
        }
    )


class BadAnnouncementError(ValueError):
    """An `assist` record that is not an announcement of this version."""


def parse_announcement(raw: bytes | str | None) -> Announcement:
    """The announcement of an `assist` record's value; BadAnnouncementError if it is not one.
    Reasons and outcomes this version does not know are left out."""
    try:
        d = orjson.loads(raw or b"")
        if not isinstance(d, dict):
            raise BadAnnouncementError("not a JSON object")
        return Announcement(
            id=_text(d, "id"),
            customer=_text(d, "customer"),
            path=_text(d, "path"),
            at_risk=bool(d["atRisk"]),
            page=_text(d, "page"),
            clicks=int(d["clicks"]),
            time=_epoch_ms(_text(d, "time")),
            chance=None if d.get("chance") is None else float(d["chance"]),
            reasons=tuple(RiskReason(r) for r in d.get("reasons") or () if r in _REASONS),
            previous_page=None if d.get("previousPage") is None else str(d["previousPage"]),
            outcome=Outcome(d["outcome"]) if d.get("outcome") in _OUTCOMES else None,
            run=None if d.get("run") is None else str(d["run"]),
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, BadAnnouncementError):
            raise
        raise BadAnnouncementError(f"not an assist announcement: {exc}") from None


_REASONS: Final = frozenset(r.value for r in RiskReason)
_OUTCOMES: Final = frozenset(o.value for o in Outcome)


def _text(d: Mapping[str, Any], name: str) -> str:
    value = d[name]
    if not isinstance(value, str):
        raise BadAnnouncementError(f"`{name}` is not a string")
    return value


def _epoch_ms(iso: str) -> int:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise BadAnnouncementError("`time` has no zone")
    return round(moment.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class PairChance:
    """Second order: the chance to resolve at a page given the page before it."""

    chance: float
    observations: int


@dataclass(frozen=True, slots=True)
class AssistFigures:
    """What open paths are scored with: one analysis run's figures, held in memory by ingest.

    `pairs` is the second-order table ((previous page, page) -> chance and the number of
    observations behind it); `misleading` the links (from, to) second-order analysis marked
    misleading. Both stay empty until the run has them."""

    run: str
    success: Mapping[str, float]  # page -> success probability
    hotspots: frozenset[str] = frozenset()
    pairs: Mapping[tuple[str, str], PairChance] = field(default_factory=dict)
    misleading: frozenset[tuple[str, str]] = frozenset()
