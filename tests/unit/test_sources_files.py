"""Export files: formats detected by name and first line, gzip by magic bytes."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pytest

from collector.app import _basic_user
from collector.body import BodyError, _gunzip
from ingest.sources.common import Invalid, SourceConfig
from ingest.sources.files import Format, detect, read
from ingest.sources.table import TableMapping

TSV = "\t".join(["helpcenter", "web"] + [""] * 129) + "\n"


@pytest.mark.parametrize(
    ("name", "text", "fmt"),
    [
        ("a.csv", '{"customer_id": 1}\n', Format.CSV),
        ("a.txt", '{"customer_id": 1, "page_id": 2, "timestamp": 3}\n', Format.JSONL),
        ("a.txt", "\n\n", Format.JSONL),
        ("a.txt", "customer_id,page_id\n", Format.CSV),
        ("a.jsonl", "not json at all\n", Format.JSONL),
        ("a.json", '{"batch": []}\n', Format.SEGMENT),
        ("a.json", '{"type": "page", "anonymousId": "x"}\n', Format.SEGMENT),
        ("a.json", '{"event_name": "page_view", "event_timestamp": "1"}\n', Format.GA4),
        (
            "a.json",
            '{"schema": "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4"}\n',
            Format.SNOWPLOW,
        ),
        ("a.json", '{"e": "pv", "tv": "py-1.0.0"}\n', Format.SNOWPLOW),
        ("events", TSV, Format.SNOWPLOW),
        ("a.tsv", "x\n", Format.SNOWPLOW),
    ],
)
def test_detect(tmp_path: Path, name: str, text: str, fmt: Format) -> None:
    path = tmp_path / name
    path.write_text(text)
    assert detect(path) is fmt
    zipped = tmp_path / f"{name}.gz"
    zipped.write_bytes(gzip.compress(text.encode()))
    assert detect(zipped) is fmt


def test_gzip_is_found_by_its_magic_bytes_not_its_name(tmp_path: Path) -> None:
    path = tmp_path / "clicks.jsonl"  # no .gz
    path.write_bytes(
        gzip.compress(b'{"customer_id": "c", "page_id": "p", "timestamp": 1}\n\nnope\n')
    )
    assert list(read(path, Format.AUTO, SourceConfig(), TableMapping())) == [
        (1, {"customer_id": "c", "page_id": "p", "timestamp": 1}),
        (3, Invalid("not JSON")),
    ]


def test_gunzip_stops_at_the_limit() -> None:
    bomb = gzip.compress(b"0" * 10_000_000)
    assert len(bomb) < 20_000
    with pytest.raises(BodyError) as caught:
        _gunzip(bomb, 1_000_000)
    assert caught.value.status == 413
    assert _gunzip(gzip.compress(b"[1]"), 10) == b"[1]"
    with pytest.raises(BodyError, match="not gzip"):
        _gunzip(b"plain", 100)
    with pytest.raises(BodyError, match="truncated"):
        _gunzip(gzip.compress(b"x" * 1000)[:-12], 10_000)
    assert zlib.MAX_WBITS == 15


def test_basic_auth_user_is_the_write_key() -> None:
    assert _basic_user("Basic d2s6") == "wk"  # base64("wk:")
    assert _basic_user("basic d2s6c2VjcmV0") == "wk"  # base64("wk:secret")
    assert _basic_user("Bearer d2s6") is None
    assert _basic_user("Basic ###") is None
