"""What `pathrank produce` checks of an export before it sends a record anywhere: that it is
text, that it has rows, and that a CSV has a column for each field every event needs. Each
is one line naming everything wrong, where it was a UnicodeDecodeError, a silent exit 0, or
a complaint about the first missing column only."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Final

from ingest.events import CUSTOMER_ID, PAGE_ID, TIMESTAMP
from ingest.sources.files import Format, open_binary
from pathrank.cli.common import CliError

# What every click needs a column for (docs/events.md), in any of its names.
NEEDED: Final = (CUSTOMER_ID, PAGE_ID, TIMESTAMP)
SAMPLE_BYTES: Final = 64 * 1024


def check_export(path: Path, fmt: Format, mapped: dict[str, str]) -> None:
    """CliError when `path` (read as `fmt`, with the --map columns `mapped`) cannot be an
    export of events."""
    with open_binary(path) as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample.strip():
        raise CliError(f"{path} is empty: there is nothing to produce")
    position = _binary_at(sample)
    if position is not None:
        raise CliError(
            f"{path} is not a text export (binary data at byte {position}): produce reads "
            "JSON Lines, CSV and the formats of --format, plain or gzip-compressed"
        )
    if fmt is Format.CSV:
        _check_header(path, sample, mapped)


def _binary_at(sample: bytes) -> int | None:
    """Where the sample stops being UTF-8 text (a NUL byte, or bytes no UTF-8 text holds)."""
    if b"\x00" in sample:
        return sample.index(b"\x00")
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 3:  # not a character cut by the sample's end
            return exc.start
    return None


def _check_header(path: Path, sample: bytes, mapped: dict[str, str]) -> None:
    text = sample.decode("utf-8", errors="replace")
    rows = csv.reader(io.StringIO(text))
    header = [c.strip() for c in next(rows, [])]
    missing = []
    for names in NEEDED:
        field = names[0]
        column = mapped.get(field)
        if (column not in header) if column is not None else not set(header) & set(names):
            missing.append(field if column is None else f"{field} (--map {field}={column})")
    if missing:
        raise CliError(
            f"{path} has no column for {', '.join(missing)} (its columns: "
            f"{', '.join(header[:12]) or 'none'}); name each with --map FIELD=COLUMN"
        )
    whole = len(sample) < SAMPLE_BYTES
    if whole and not any(any(cell.strip() for cell in row) for row in rows):
        raise CliError(f"{path} has a header and no rows: there is nothing to produce")


def data_lines(path: Path, fmt: Format) -> int:
    """The lines that hold events: not blank ones, not a CSV's header."""
    with open_binary(path) as handle:
        count = sum(1 for line in handle if line.strip())
    return max(count - 1, 0) if fmt is Format.CSV else count
