"""The reference the ingest tests compare the graph with: the path rules of docs/paths.md
restated from scratch, on plain dicts, without calling the product's path code. If ingest and
this reference disagree, one of them has the rules wrong. Pure: the unit tests use it too."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

TIMEOUT_MS = 30 * 60 * 1000

# (customer, pages, outcome, start, length, turnarounds, segments, time of the ending marker)
PathSummary = tuple[str, tuple[str, ...], str, int, int, int, tuple[str, ...], int | None]

# What each marker type ends a path as (docs/paths.md, rule 6).
MARKER_OUTCOMES = {"resolution": "RESOLVED", "escalation": "ESCALATED"}


@dataclass(frozen=True)
class Snapshot:
    """The parts of the graph docs/graph-model.md defines, in comparable form."""

    paths: frozenset[PathSummary]
    transitions: dict[tuple[str, str], tuple[int, int]]
    visited: dict[tuple[str, str], int]
    clicks: int
    markers: int = 0
    orphan_markers: int = 0
    # Each path's click times, by (customer, start); the reference fills it, the graph's
    # snapshot does not, and equality ignores it.
    times: dict[tuple[str, int], tuple[int, ...]] = field(default_factory=dict, compare=False)


# ---- the reference ------------------------------------------------------------------------


def _ms(raw: Any) -> int:
    """Epoch seconds, epoch milliseconds (values > 10^11) or ISO-8601 with a zone."""
    if isinstance(raw, str):
        try:
            raw = float(raw)
        except ValueError:
            return round(datetime.fromisoformat(raw).timestamp() * 1000)
    return round(raw) if raw > 10**11 else round(raw * 1000)


def _resolved(raw: Any) -> bool:
    return raw in (True, 1, "true", "True", "1")


def reference(events: Iterable[Mapping[str, Any]], timeout_ms: int = TIMEOUT_MS) -> Snapshot:
    """What docs/paths.md says the graph must hold for these events (in arrival order),
    written independently of ingest's code."""
    # Per customer: (ts, arrival, page, resolved, type, attributes); type None for a click.
    events_of: dict[str, list[tuple[int, int, str, bool, str | None, dict[str, str]]]] = {}
    seen: set[tuple[str, str]] = set()
    for arrival, e in enumerate(events):
        customer = str(e.get("customer_id", e.get("CustomerID", e.get("userid"))))
        page = str(e.get("page_id", e.get("NextPageID", e.get("pageid_target", ""))))
        ts = _ms(e.get("timestamp", e.get("TimeStamp", e.get("epochtime"))))
        resolved = _resolved(e.get("is_resolved", e.get("IsResolved", e.get("case_status", 0))))
        kind = e.get("event_type", e.get("type"))
        marker = kind if kind in MARKER_OUTCOMES else None
        content = [customer, ts, page, resolved, *([marker] if marker else [])]
        key = str(e.get("event_id") or orjson.dumps(content).decode())
        if (customer, key) in seen:  # a duplicate: the first arrival counts
            continue
        seen.add((customer, key))
        attributes = dict(e.get("attributes") or {})
        events_of.setdefault(customer, []).append((ts, arrival, page, resolved, marker, attributes))
    watermark = max(ts for es in events_of.values() for ts, *_ in es)

    paths: list[PathSummary] = []
    times: dict[tuple[str, int], tuple[int, ...]] = {}
    moves: Counter[tuple[str, str]] = Counter()
    turned: Counter[tuple[str, str]] = Counter()
    visited: dict[tuple[str, str], int] = {}
    markers = orphans = 0
    for customer, mine in events_of.items():
        mine.sort(key=lambda ev: ev[:2])  # by time, ties by arrival
        clicks = [ev for ev in mine if ev[4] is None]
        for page, n in Counter(ev[2] for ev in clicks).items():
            visited[(customer, page)] = n
        # A run is its clicks (ts, page, attributes); it ends with an outcome and the time
        # of the marker that ended it, if one did.
        runs: list[tuple[list[tuple[int, str, dict[str, str]]], str, int | None]] = []
        run: list[tuple[int, str, dict[str, str]]] = []
        for ts, _, page, resolved, marker, attributes in mine:
            if marker is not None:
                markers += 1
                # It ends the run whose last click is at most the timeout before it.
                if run and ts - run[-1][0] <= timeout_ms:
                    runs.append((run, MARKER_OUTCOMES[marker], ts))
                    run = []
                else:
                    orphans += 1
                continue
            if run and ts - run[-1][0] > timeout_ms:
                runs.append((run, "ABANDONED", None))
                run = []
            run.append((ts, page, attributes))
            if resolved:
                runs.append((run, "RESOLVED", None))
                run = []
        if run:
            idle = watermark - run[-1][0]
            runs.append((run, "OPEN" if idle <= timeout_ms else "ABANDONED", None))
        for steps, outcome, ended_at in runs:
            pages = tuple(page for _, page, _ in steps)
            turns = [
                i
                for i in range(1, len(pages) - 1)
                if pages[i + 1] == pages[i - 1] and pages[i] != pages[i - 1]
            ]
            segments: dict[str, str] = {}
            for _, _, attributes in steps:  # the earliest click's value wins
                for name, value in attributes.items():
                    segments.setdefault(name, value)
            summary = (
                customer,
                pages,
                outcome,
                steps[0][0],
                len(pages),
                len(turns),
                tuple(sorted(f"{k}={v}" for k, v in segments.items())),
                ended_at,
            )
            paths.append(summary)
            times[(customer, steps[0][0])] = tuple(ts for ts, _, _ in steps)
            for i in range(1, len(pages)):
                moves[(pages[i - 1], pages[i])] += 1
                turned[(pages[i - 1], pages[i])] += i in turns
    return Snapshot(
        paths=frozenset(paths),
        transitions={k: (v, turned[k]) for k, v in moves.items()},
        visited=visited,
        clicks=sum(visited.values()),
        markers=markers,
        orphan_markers=orphans,
        times=times,
    )
