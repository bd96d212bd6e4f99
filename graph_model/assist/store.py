"""Live assist's writes: the at-risk state and the outbox inside ingest's batch transaction,
and, outside it, the outbox's delivery and the figures ingest scores with.

An announcement is written to the outbox in the same transaction as the path and its state;
the worker removes it once Kafka acknowledged it. What a crash leaves in the outbox is
delivered by the worker that next takes the partition it came from (docs/assist.md,
"Exactly once").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from neo4j import ManagedTransaction

from graph_model.assist import cypher as q
from graph_model.assist.record import (
    Announcement,
    AssistFigures,
    PairChance,
    RiskState,
)
from graph_model.path.batch import BatchWrite
from graph_model.path.record import Path, PathRules
from graph_model.properties import from_properties, to_properties
from graph_model.store import Neo4jStore


@dataclass(frozen=True, slots=True)
class EndedAtRisk:
    """A path at risk that ended without a click (the watermark closed it)."""

    path: Path
    state: RiskState


@dataclass(frozen=True, slots=True)
class AssistChanges:
    """What a batch changes of at-risk states, and the announcements of those changes."""

    states: Sequence[tuple[str, RiskState]] = ()
    announcements: Sequence[Announcement] = ()


# Given the batch, the stored states of its changed paths (by path id; absent: never at
# risk), the paths at risk that ended without a click and the path rules the batch was
# written with, decide the new states. Runs inside the transaction and may run again on a
# retry: a pure function of its arguments.
AssessBatch = Callable[
    [BatchWrite, Mapping[str, RiskState], Sequence[EndedAtRisk], PathRules], AssistChanges
]


def assess_in_tx(
    tx: ManagedTransaction,
    batch: BatchWrite,
    stored: Mapping[str, RiskState],
    closed: int,
    assess: AssessBatch,
    rules: PathRules,
) -> tuple[Announcement, ...]:
    """After the batch's write (and the watermark's closures, `closed` of them): the new
    states and the outbox. Returns the announcements to deliver."""
    ended = (
        [
            EndedAtRisk(from_properties(Path, r["path"]), from_properties(RiskState, r["state"]))
            for r in tx.run(q.ENDED_AT_RISK, handled=[p.id for p in batch.created_paths])
        ]
        if closed
        else []
    )
    changes = assess(batch, stored, ended, rules)
    if changes.states:
        rows = [
            {"id": path_id, "atRisk": s.at_risk, "props": to_properties(s)}
            for path_id, s in changes.states
        ]
        tx.run(q.WRITE_STATES, states=rows).consume()
    if changes.announcements:
        outbox = [to_properties(a) for a in changes.announcements]
        tx.run(q.ADD_TO_OUTBOX, rows=outbox).consume()
    return tuple(changes.announcements)


def read_states(tx: ManagedTransaction, path_ids: Sequence[str]) -> dict[str, RiskState]:
    """The stored states among `path_ids` (paths never at risk are left out)."""
    if not path_ids:
        return {}
    return {
        r["id"]: from_properties(RiskState, r["state"])
        for r in tx.run(q.READ_STATES, ids=list(path_ids))
    }


@dataclass(frozen=True, slots=True)
class Pending:
    """An announcement left in the outbox, and when it was written there (epoch ms)."""

    announcement: Announcement
    created: int


class Neo4jAssistStore(Neo4jStore):
    """The outbox outside the batch transaction, and the figures of the current run."""

    def current_run(self) -> str | None:
        """The analysis run readers see (one short read)."""
        rows = self._run(q.CURRENT_RUN)
        return None if not rows or rows[0]["run"] is None else str(rows[0]["run"])

    def figures(self, run: str) -> AssistFigures | None:
        """The run's page figures; None when they are gone (a newer run replaced it)."""
        rows = self._run(q.RUN_FIGURES, run=run)
        if not rows:
            return None
        success = {r["id"]: float(r["success"]) for r in rows if r["success"] is not None}
        hotspots = frozenset(r["id"] for r in rows if r["hotspot"])
        pairs = {
            (r["from"], r["to"]): PairChance(float(r["chance"]), int(r["observations"]))
            for r in self._run(q.RUN_PAIRS, run=run)
            if r["chance"] is not None
        }
        misleading = frozenset((r["from"], r["to"]) for r in self._run(q.RUN_MISLEADING, run=run))
        return AssistFigures(
            run=run, success=success, hotspots=hotspots, pairs=pairs, misleading=misleading
        )

    def pending(self, topic: str, partitions: Sequence[int]) -> list[Pending]:
        """What the outbox holds of the changes that came from these click partitions."""
        rows = self._run(q.PENDING, topic=topic, partitions=list(partitions))
        return [
            Pending(from_properties(Announcement, r["announcement"]), int(r["created"]))
            for r in rows
        ]

    def delivered(self, ids: Sequence[str]) -> None:
        """Kafka acknowledged them: out of the outbox."""
        if ids:
            self._run(q.DELIVERED, ids=list(ids))
