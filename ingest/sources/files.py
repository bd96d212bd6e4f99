"""Export files for `pathrank produce`: the format (given, or detected), plain or gzip, read
into (line number, mapped record) pairs."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import IO, Final

import orjson

from ingest.sources import ga4, segment, snowplow
from ingest.sources.common import Invalid, Mapped, SourceConfig
from ingest.sources.table import TableMapping
from ingest.text import NotJson, loads

GZIP_MAGIC: Final = b"\x1f\x8b"
_SEGMENT_CALLS: Final = frozenset({"page", "track", "identify", "screen", "group", "alias"})


class Format(StrEnum):
    AUTO = "auto"
    JSONL = "jsonl"
    CSV = "csv"
    SEGMENT = "segment"
    SNOWPLOW = "snowplow"
    GA4 = "ga4"

    @property
    def table(self) -> bool:
        """Our own layout, or anyone's with --map and friends."""
        return self in (Format.JSONL, Format.CSV)


def is_gzip(path: Path) -> bool:
    with path.open("rb") as raw:
        return raw.read(2) == GZIP_MAGIC


@contextmanager
def open_binary(path: Path) -> Iterator[IO[bytes]]:
    """The file's bytes, decompressed when it starts with gzip's magic bytes."""
    if is_gzip(path):
        with gzip.open(path, "rb") as handle:
            yield handle  # type: ignore[misc]  # a GzipFile is a binary IO
    else:
        with path.open("rb") as handle:
            yield handle


def count_lines(path: Path) -> int:
    with open_binary(path) as handle:
        return sum(1 for _ in handle)


def detect(path: Path) -> Format:
    """By name first (`.csv`, `.tsv`, also under `.gz`), then by the first non-blank line."""
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(".csv"):
        return Format.CSV
    if name.endswith(".tsv"):
        return Format.SNOWPLOW
    with open_binary(path) as handle:
        line = next((ln for ln in handle if ln.strip()), b"")
    if not line.strip():
        return Format.JSONL
    if line.count(b"\t") == len(snowplow.ENRICHED_FIELDS) - 1:
        return Format.SNOWPLOW
    if not line.lstrip().startswith(b"{"):
        return Format.JSONL if name.endswith(".jsonl") else Format.CSV
    try:
        first = orjson.loads(line)
    except orjson.JSONDecodeError:
        return Format.JSONL
    return _json_format(first) if isinstance(first, dict) else Format.JSONL


def _json_format(record: dict[str, object]) -> Format:
    if "batch" in record or (
        record.get("type") in _SEGMENT_CALLS
        and ("messageId" in record or "anonymousId" in record or "userId" in record)
    ):
        return Format.SEGMENT
    if "event_name" in record and "event_timestamp" in record:
        return Format.GA4
    schema = record.get("schema")
    if (isinstance(schema, str) and schema.startswith(snowplow.PAYLOAD_DATA)) or (
        "e" in record and "tv" in record
    ):
        return Format.SNOWPLOW
    return Format.JSONL


def read(
    path: Path, fmt: Format, config: SourceConfig, table: TableMapping
) -> Iterator[tuple[int, Mapped]]:
    """(line number, mapped record); a line with several events (a Segment batch, a Snowplow
    payload) gives each the line's number."""
    if fmt is Format.AUTO:
        fmt = detect(path)
    with open_binary(path) as handle:
        if fmt is Format.CSV:
            yield from _csv(handle, table)
            return
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            for mapped in _line(line, fmt, config, table):
                yield number, mapped


def _csv(handle: IO[bytes], table: TableMapping) -> Iterator[tuple[int, Mapped]]:
    reader = csv.DictReader(io.TextIOWrapper(handle, encoding="utf-8", newline=""))
    for row in reader:
        cleaned = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
        yield reader.line_num, table.map_row(cleaned)


def _line(line: bytes, fmt: Format, config: SourceConfig, table: TableMapping) -> list[Mapped]:
    if fmt is Format.SNOWPLOW and not line.lstrip().startswith(b"{"):
        return [snowplow.map_enriched(line, config)]
    try:
        record = loads(line)
    except NotJson:
        return [Invalid("not JSON")]
    if fmt is Format.SEGMENT:
        found = segment.messages(record)
        if isinstance(found, Invalid):
            return [found]
        return [segment.map_message(m, config) for m in found]
    if fmt is Format.SNOWPLOW:
        is_payload = isinstance(record, dict) and "schema" in record
        events = snowplow.payload_events(record) if is_payload else [record]
        if isinstance(events, Invalid):
            return [events]
        return [snowplow.map_tracker_event(e, config) for e in events]
    if fmt is Format.GA4:
        return [ga4.map_row(record, config)]
    if not isinstance(record, dict):
        return [Invalid("not a JSON object")]
    return [table.map_row(record)]
