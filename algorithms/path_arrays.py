"""Paths as flat integer arrays, so that counting over a million clicks takes numpy
milliseconds rather than Python seconds (the second-order and time-to-resolution steps).

Pages are numbered 0..P-1 in first-seen order; `clicks` holds every path's pages end to end,
`start[k]` is where path k begins in it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from graph_model.path.record import COMPLETED, Outcome, Path

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class PathArrays:
    page_ids: list[str]  # page number -> id
    clicks: IntArray  # page numbers of every click, path after path
    start: IntArray  # index in `clicks` of each path's first click
    length: IntArray
    completed: BoolArray
    resolved: BoolArray
    first_ms: IntArray  # epoch ms of each path's first and last click
    last_ms: IntArray

    @property
    def pages(self) -> int:
        return len(self.page_ids)

    @property
    def path_of_click(self) -> IntArray:
        return np.repeat(np.arange(len(self.start), dtype=np.int64), self.length)

    @staticmethod
    def of(paths: Iterable[Path]) -> PathArrays:
        paths = list(paths)
        flat = list(itertools.chain.from_iterable(p.pages for p in paths))
        page_ids = list(dict.fromkeys(flat))  # loops in C, unlike a setdefault per click
        number = dict(zip(page_ids, range(len(page_ids)), strict=True))
        length = np.fromiter((len(p.pages) for p in paths), np.int64, len(paths))
        start = np.zeros(len(paths), dtype=np.int64)
        np.cumsum(length[:-1], out=start[1:])
        return PathArrays(
            page_ids=page_ids,
            clicks=np.fromiter(map(number.__getitem__, flat), np.int64, len(flat)),
            start=start,
            length=length,
            completed=np.fromiter((p.outcome in COMPLETED for p in paths), np.bool_, len(paths)),
            resolved=np.fromiter(
                (p.outcome is Outcome.RESOLVED for p in paths), np.bool_, len(paths)
            ),
            first_ms=np.fromiter((p.start for p in paths), np.int64, len(paths)),
            last_ms=np.fromiter((p.end for p in paths), np.int64, len(paths)),
        )


def counted(codes: IntArray) -> tuple[IntArray, IntArray]:
    """Distinct codes and how often each occurs."""
    values, counts = np.unique(codes, return_counts=True)
    return values.astype(np.int64), counts.astype(np.int64)
