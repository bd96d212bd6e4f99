"""Plain inputs of the pure analytics: one record per customer path.

The analytics read paths back from the graph, so this module restates the path rules it needs
(DESIGN.md section 4) instead of importing `ingest`: algorithms must not depend on ingest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

Outcome = Literal["RESOLVED", "ABANDONED", "OPEN"]
COMPLETED: Final[frozenset[Outcome]] = frozenset({"RESOLVED", "ABANDONED"})


@dataclass(frozen=True, slots=True)
class PathRecord:
    pages: tuple[str, ...]  # page ids in click order, repeats included; never empty
    outcome: Outcome
    turnaround_positions: tuple[int, ...]  # 0-based i, 0 < i < n-1, ascending

    def __post_init__(self) -> None:
        if not self.pages:
            raise ValueError("a path has at least one click")
        last = len(self.pages) - 1
        if any(not 0 < i < last for i in self.turnaround_positions):
            raise ValueError(f"turnaround positions must lie in 0 < i < {last}")

    @classmethod
    def of(cls, pages: Sequence[str], outcome: Outcome) -> PathRecord:
        """A record with its turnarounds found from the pages."""
        return cls(tuple(pages), outcome, turnaround_positions(pages))

    @property
    def completed(self) -> bool:
        return self.outcome in COMPLETED

    @property
    def last_page(self) -> str:
        return self.pages[-1]


def turnaround_positions(pages: Sequence[str]) -> tuple[int, ...]:
    """Positions of turnarounds A->B->A (DESIGN section 4); A->A->A is not one."""
    return tuple(
        i
        for i in range(1, len(pages) - 1)
        if pages[i + 1] == pages[i - 1] and pages[i] != pages[i - 1]
    )
