"""Clicks and paths of one customer "c" for the path tests (docs/paths.md): one page per
letter, keys k0, k1, ..."""

from __future__ import annotations

from collections.abc import Sequence

from graph_model.path.record import (
    Click,
    EventType,
    Path,
    Turnaround,
    find_turnarounds,
)
from ingest.paths import resolve_paths

MINUTE = 60_000
TIMEOUT = 30 * MINUTE
QUICK = 10_000


def click(key: str, ts_ms: int, page: str, resolved: bool, seq: int) -> Click:
    return Click(key, "c", page, ts_ms, resolved, seq)


def marker(key: str, ts_ms: int, kind: str, seq: int, page: str = "") -> Click:
    """An outcome marker ("resolution" or "escalation"); its page is informative."""
    return Click(key, "c", page, ts_ms, False, seq, kind=EventType(kind))


def turnarounds_of(clicks: Sequence[Click], quick_ms: int = QUICK) -> tuple[Turnaround, ...]:
    return find_turnarounds([c.page_id for c in clicks], [c.ts_ms for c in clicks], quick_ms)


def turnarounds_in(path: Path) -> tuple[Turnaround, ...]:
    return find_turnarounds(path.pages, path.timestamps, QUICK)


def clicks_of(pages: str, *, step: int = 1_000, resolved_last: bool = False) -> list[Click]:
    """One click per letter, `step` ms apart, keys k0, k1, ... and seq = index."""
    return [
        click(f"k{i}", i * step, page, resolved_last and i == len(pages) - 1, i)
        for i, page in enumerate(pages)
    ]


def resolve(clicks: Sequence[Click], *, watermark_ms: int | None = None) -> list[Path]:
    watermark = max(c.ts_ms for c in clicks) if watermark_ms is None else watermark_ms
    return resolve_paths("c", clicks, watermark_ms=watermark, timeout_ms=TIMEOUT, quick_ms=QUICK)


def summary(paths: Sequence[Path]) -> list[tuple[str, str]]:
    return [("".join(path.pages), path.outcome) for path in paths]
