"""Paths for unit tests of the analytics: one page per letter (or per item), one click a
second, with the outcome given."""

from __future__ import annotations

from collections.abc import Sequence

from graph_model.path.record import Click, Outcome, Path

T0 = 1_700_000_000_000
QUICK_MS = 10_000


def path_of(
    pages: Sequence[str], outcome: Outcome | str = Outcome.RESOLVED, customer: str = "c"
) -> Path:
    clicks = [Click(f"k{i}", customer, page, T0 + i * 1000) for i, page in enumerate(pages)]
    return Path.of(customer, clicks, Outcome(outcome), QUICK_MS)
