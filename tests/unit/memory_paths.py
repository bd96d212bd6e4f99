"""An in-memory path store for unit properties of the batch logic (a fake: pure logic only).

It keeps what the Neo4j store keeps, in dicts, and applies the same rules as its contract
states them (docs/paths.md): the stored watermark, the partitions' high marks and the
watermark of graph_model/path/watermark.py, OPEN paths closed once the watermark passes them,
and retention's compaction of paths no accepted event can change (their clicks dropped, the
path kept). It asserts what the contract promises of compaction: a compacted path is never
rewritten.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from graph_model.assist.store import AssessBatch
from graph_model.path.batch import ApplyResult, BatchWrite, Compacted, ComputeBatch, StoredState
from graph_model.path.record import Click, Outcome, Path, PathRules
from graph_model.path.watermark import PartitionMark, Reading, next_watermark


@dataclass
class MemoryPathStore:
    path_rules: PathRules
    events: dict[str, dict[str, Click]] = field(default_factory=dict)  # customer -> key -> event
    paths: dict[str, Path] = field(default_factory=dict)
    compacted: set[str] = field(default_factory=set)
    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)
    turnarounds: Counter[tuple[str, str]] = field(default_factory=Counter)
    visited: Counter[tuple[str, str]] = field(default_factory=Counter)
    marks: dict[tuple[str, int], PartitionMark] = field(default_factory=dict)
    watermark: int | None = None
    watermarks: list[int | None] = field(default_factory=list)  # after each batch

    @property
    def rules(self) -> PathRules:
        return self.path_rules

    def settle(self, timeout_s: float | None = None) -> Compacted:
        return Compacted(0, 0, True)

    def apply_clicks(
        self,
        customer_ids: Sequence[str],
        keys: Sequence[tuple[str, str]],
        compute: ComputeBatch,
        assess: AssessBatch | None = None,
        reading: Reading | None = None,
    ) -> ApplyResult:
        latest = {c: self._latest(c) for c in customer_ids if self.events.get(c)}
        by_key = {(c, k): self.events[c][k] for c, k in keys if k in self.events.get(c, {})}
        known = frozenset(c for c in customer_ids if self.events.get(c))
        state = StoredState(self.watermark, latest, known, by_key)
        batch = compute(state, self._read_events)
        self._write(batch)
        self._advance(reading or Reading.unpartitioned(None))
        self._compact()
        self.watermarks.append(self.watermark)
        return ApplyResult(
            len(batch.new_clicks), len(batch.created_paths), len(batch.deleted_paths), 0,
            self.watermark,
        )  # fmt: skip

    def _latest(self, customer: str) -> int:
        return max(e.ts_ms for e in self.events[customer].values())

    def _read_events(self, since: Mapping[str, int]) -> Mapping[str, list[Click]]:
        """As the Neo4j store reads: from the start of the path running at `since` (the
        customer's latest path that started before it, unless it ended more than the timeout
        before it), else from `since`."""
        timeout = self.path_rules.timeout_ms
        out: dict[str, list[Click]] = {}
        for customer, t in since.items():
            before = [p for p in self.paths.values() if p.customer_id == customer and p.start < t]
            anchor = max(before, key=lambda p: p.start, default=None)
            start, seq = t, None
            if anchor is not None and anchor.end >= t - timeout:
                first = self.events[customer][anchor.keys[0]]
                start, seq = anchor.start, first.seq
            out[customer] = [
                e
                for e in self.events.get(customer, {}).values()
                if e.ts_ms > start or (e.ts_ms == start and (seq is None or e.seq >= seq))
            ]
        return out

    def _write(self, batch: BatchWrite) -> None:
        for p in batch.deleted_paths:
            assert p.id not in self.compacted, f"a compacted path changed: {p.id}"
            self._count(self.paths.pop(p.id), -1)
        for p in batch.created_paths:
            assert p.id not in self.compacted, f"a compacted path changed: {p.id}"
            self.paths[p.id] = p
            self._count(p, 1)
        for c in batch.new_clicks:
            self.events.setdefault(c.customer_id, {})[c.key] = c
            if not c.kind.marker:
                self.visited[(c.customer_id, c.page_id)] += 1

    def _count(self, p: Path, sign: int) -> None:
        turned = set(p.turnaround_positions)
        for i in range(1, len(p.pages)):
            self.transitions[(p.pages[i - 1], p.pages[i])] += sign
            self.turnarounds[(p.pages[i - 1], p.pages[i])] += sign * (i in turned)

    def _advance(self, reading: Reading) -> None:
        for m in reading.marks:
            known = self.marks.get((reading.topic, m.partition))
            self.marks[(reading.topic, m.partition)] = m.merged(known)
        if reading.partitioned:
            mine = {p: m for (t, p), m in self.marks.items() if t == reading.topic}
        else:
            mine = {m.partition: m for m in reading.marks}
        self.watermark = next_watermark(self.watermark, mine, reading)
        if self.watermark is None:
            return
        cutoff = self.watermark - self.path_rules.timeout_ms
        for pid, p in list(self.paths.items()):
            if p.outcome is Outcome.OPEN and p.end < cutoff:
                self.paths[pid] = replace(p, outcome=Outcome.ABANDONED)

    def _compact(self) -> None:
        rules = self.path_rules
        if rules.retention_ms is None or self.watermark is None:
            return
        cutoff = self.watermark - rules.retention_ms - rules.timeout_ms
        for p in self.paths.values():
            if p.id in self.compacted or p.end >= cutoff:
                continue
            if p.end < self._latest(p.customer_id) - rules.reach_ms:
                self.compacted.add(p.id)
                for key in p.keys:
                    del self.events[p.customer_id][key]
