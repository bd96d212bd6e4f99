"""Records that make a batch's write fail: found, set aside, and the rest written.

A batch is one transaction, so one record the graph refuses fails all of it, on every retry.
`isolate` finds such records by writing halves of the failing part, recursively: every other
record is written exactly once, in arrival order (any split of a batch gives the same graph,
docs/ingest.md), and each record that fails on its own is returned with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from neo4j.exceptions import AuthError, ClientError, CypherSyntaxError, Forbidden

_T = TypeVar("_T")

# Client errors that no record causes: the request, the session or our own statements are
# wrong. Splitting the batch would only dead-letter every record.
_NOT_A_RECORD = (AuthError, Forbidden, CypherSyntaxError)
_NOT_A_RECORD_CODES = (
    "Neo.ClientError.Security.",
    "Neo.ClientError.Request.",
    "Neo.ClientError.Database.",
    "Neo.ClientError.Transaction.",
)


def refused_reason(error: BaseException) -> str | None:
    """The dead-letter reason when `error` says the graph refused the data (a Neo4j client
    error that no retry fixes), else None. Bounded: the error's code, never its message,
    which quotes values."""
    if not isinstance(error, ClientError) or isinstance(error, _NOT_A_RECORD):
        return None
    code = error.code or ""
    if code.startswith(_NOT_A_RECORD_CODES):
        return None
    return f"graph write refused ({code or type(error).__name__})"


def isolate(
    items: Sequence[_T],
    write: Callable[[Sequence[_T]], None],
    reason_of: Callable[[Exception], str | None],
) -> list[tuple[_T, str]]:
    """Write `items`, setting aside those the writes refuse; returns them with reasons.

    `write` must be all or nothing. When it fails with an error `reason_of` names, the part
    is split in halves, each written on its own. Errors `reason_of` does not name propagate.
    """
    rejected: list[tuple[_T, str]] = []

    def write_part(part: list[_T]) -> None:
        if not part:
            return
        try:
            write(part)
            return
        except Exception as exc:
            reason = reason_of(exc)
            if reason is None:
                raise
            if len(part) == 1:
                rejected.append((part[0], reason))
                return
        middle = len(part) // 2
        write_part(part[:middle])
        write_part(part[middle:])

    write_part(list(items))
    return rejected
