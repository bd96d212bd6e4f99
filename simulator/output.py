"""Writing a simulation to disk: events as JSON Lines, the truth as one JSON document."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson

CHUNK = 10_000  # events per write: bounded memory without a syscall per line


def write_jsonl(path: str | Path, events: Iterable[Mapping[str, Any]]) -> int:
    """Write one JSON object per line; returns the number of lines."""
    count = 0
    with Path(path).open("wb") as f:
        buffer: list[bytes] = []
        for event in events:
            buffer.append(orjson.dumps(event, option=orjson.OPT_APPEND_NEWLINE))
            if len(buffer) == CHUNK:
                f.write(b"".join(buffer))
                count += len(buffer)
                buffer.clear()
        f.write(b"".join(buffer))
        count += len(buffer)
    return count


def write_truth(path: str | Path, truth: Mapping[str, Any]) -> None:
    """Pretty, key-sorted JSON so that two truths can be diffed."""
    Path(path).write_bytes(
        orjson.dumps(truth, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    )
