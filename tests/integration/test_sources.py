"""Foreign exports and topics into Kafka and the graph (docs/sources.md): Snowplow enriched
TSV and GA4 rows through `pathrank produce --format`, an export in someone else's layout
through --map and friends, and `pathrank ingest --format` on Snowplow's and Segment's JSON."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from neo4j import Driver

from tests.conftest import run_cli
from tests.integration.ingest_helpers import (
    TestGraph,
    clean_graph,
    fresh_names,
    produce_raw,
    reference,
    snapshot,
)
from tests.integration.kafka_read import read_topics
from tests.unit.test_sources_ga4 import row as ga4_row
from tests.unit.test_sources_snowplow import PAGE_VIEW, enriched

MARKERS = {
    "PATHRANK_RESOLUTION_EVENTS": "article_helpful",
    "PATHRANK_ESCALATION_EVENTS": "open_chat,generate_lead",
}
RULES = "[[rule]]\nmatch = '^/hc/[a-z-]+/articles/(\\d+)'\npage = 'article-$1'\n"


@pytest.fixture
def names() -> dict[str, str]:
    return fresh_names() | MARKERS


@pytest.fixture
def store(neo4j_driver: Driver) -> TestGraph:
    return clean_graph(neo4j_driver)


def key(customer: str, ts: int, page: str, resolved: bool, kind: str | None = None) -> str:
    """The documented key of an event without event_id (docs/events.md)."""
    values: list[object] = [customer, ts, page, resolved, *([kind] if kind else [])]
    text = json.dumps(values, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def produced(names: dict[str, str], *args: str) -> str:
    result = run_cli("produce", *args, env=names)
    assert result.returncode == 0, result.stderr
    return result.stdout


def events_on(bootstrap: str, topic: str, expect: int) -> list[dict[str, Any]]:
    """The topic's events by customer and time (partitions interleave customers)."""
    landed = [r.event for r in read_topics(bootstrap, [topic], expect=expect, quiet_s=1.0)]
    return sorted(landed, key=lambda e: (e["customer_id"], e["timestamp"]))


def test_snowplow_enriched_and_ga4_files(
    names: dict[str, str], kafka_bootstrap: str, tmp_path: Path
) -> None:
    topic = names["PATHRANK_TOPIC"]
    second = PAGE_VIEW | {
        "event_id": "e-2",
        "page_url": "https://help.example.com/hc/en-us/articles/43-other",
        "derived_tstamp": "2013-11-26 00:04:10.000",
        "mkt_source": "",
    }
    chat = PAGE_VIEW | {
        "event": "struct",
        "se_action": "open_chat",
        "event_id": "e-3",
        "derived_tstamp": "2013-11-26 00:05:00.000",
    }
    ping = PAGE_VIEW | {"event": "page_ping", "event_id": "e-4"}
    lines = [enriched(**r) for r in (PAGE_VIEW, second, chat, ping)] + ["too\tfew\tfields"]
    tsv = tmp_path / "enriched.tsv.gz"  # gzip, found by its magic bytes
    tsv.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    (tmp_path / "rules.toml").write_text(RULES)
    rules = str(tmp_path / "rules.toml")

    out = produced(names, str(tsv), "--format", "snowplow", "--page-rules", rules)
    assert "produced 3 events" in out
    assert "skipped 1 bad lines; ignored 1 other events" in out
    attrs = {"platform": "web", "locale": "en-US"}
    assert events_on(kafka_bootstrap, topic, 3) == [
        {
            "customer_id": "bc2e92ec6c204a14",
            "page_id": "article-42",
            "timestamp": 1_385_424_237_885,
            "is_resolved": False,
            "event_id": "c6ef3124-b53a-4b13-a233-0088f79dcbcb",
            "referrer_page_id": "/hc/en-us",
            "attributes": attrs | {"source": "mail"},
        },
        {
            "customer_id": "bc2e92ec6c204a14",
            "page_id": "article-43",
            "timestamp": 1_385_424_250_000,
            "is_resolved": False,
            "event_id": "e-2",
            "referrer_page_id": "/hc/en-us",
            "attributes": attrs,
        },
        {
            "customer_id": "bc2e92ec6c204a14",
            "page_id": "article-42",
            "timestamp": 1_385_424_300_000,
            "is_resolved": False,
            "event_id": "e-3",
            "event_type": "escalation",
            "attributes": attrs | {"source": "mail"},
        },
    ]

    ga4 = tmp_path / "events_20240313.json"
    rows = [
        ga4_row(),
        ga4_row(
            event_name="generate_lead", event_timestamp="1710325300000000", batch_event_index="1"
        ),
        ga4_row(event_name="scroll"),
    ]
    ga4.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ga4_names = names | {"PATHRANK_TOPIC": topic + "-ga4"}
    out = produced(ga4_names, str(ga4), "--page-rules", rules)  # auto-detected
    assert "produced 2 events" in out
    got = events_on(kafka_bootstrap, topic + "-ga4", 2)
    assert [
        (e["customer_id"], e.get("page_id"), e["timestamp"], e.get("event_type")) for e in got
    ] == [
        ("1234567890.1710325200", "article-42", 1_710_325_274_123, None),
        ("1234567890.1710325200", "article-42", 1_710_325_300_000, "escalation"),
    ]
    assert got[0]["attributes"] == {"device": "mobile", "country": "Germany", "source": "(direct)"}


# The finding's export: someone else's columns, local times without a zone.
BERLIN = ZoneInfo("Europe/Berlin")
LOCAL_EXPORT = ("--map", "customer_id=user_id", "--map", "page_id=page_url")
LOCAL_EXPORT += ("--timezone", "Europe/Berlin")
EXPORT_ROWS = [
    # user_id, session_id, event, local time, platform, channel, URL
    ("u1", "s1", "page_view", "2024-03-30 23:50:00", "ios", "email", "/hc/en-us/articles/1-a"),
    ("u1", "s1", "page_view", "2024-03-31 01:59:30", "ios", "email", "/hc/en-us/articles/2-b/"),
    # 03:00 CEST comes right after 02:00 CET: these two clicks are 45 s apart
    ("u1", "s1", "page_view", "2024-03-31 03:00:15", "ios", "email", "/hc/en-us/articles/1-a"),
    (
        "u1",
        "s1",
        "article_helpful",
        "2024-03-31 03:01:00",
        "ios",
        "email",
        "/hc/en-us/articles/3-c?x=1",
    ),
    (
        "u2",
        "s2",
        "page_view",
        "2024-03-31 10:00:00",
        "web",
        "",
        "https://help.example.com/hc/de/articles/3-c",
    ),
    ("u2", "s2", "page_view", "2024-03-31 10:00:30", "web", "", "/faq/"),
    ("u2", "s2", "page_view", "2024-03-31 11:00:00", "web", "", "/faq"),
    ("u3", "s3", "page_view", "2024-03-31 12:00:00", "android", "ads", "/hc/en-us/articles/9-z"),
]


def _export(path: Path, rows: list[tuple[str, ...]]) -> None:
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(
            [
                "user_id",
                "session_id",
                "event",
                "timestamp",
                "platform",
                "acquisition_channel",
                "page_url",
            ]
        )
        out.writerows(rows)


def _expected(rows: list[tuple[str, ...]]) -> list[dict[str, Any]]:
    """The events the export should give, from the rules as docs/sources.md states them."""
    events = []
    for user, _, event, local, platform, channel, url in rows:
        ts = int(datetime.fromisoformat(local).replace(tzinfo=BERLIN).timestamp()) * 1000
        path = re.sub(r"^https?://[^/]+", "", url).split("?")[0]
        article = re.match(r"^/hc/[a-z-]+/articles/(\d+)", path)
        page = f"article-{article.group(1)}" if article else path.rstrip("/")
        resolved = event == "article_helpful"
        attributes = {"platform": platform} | ({"channel": channel} if channel else {})
        events.append(
            {
                "customer_id": user,
                "page_id": page,
                "timestamp": ts,
                "is_resolved": resolved,
                "event_id": key(user, ts, page, resolved),
                "attributes": attributes,
            }
        )
    return events


def test_an_export_in_another_layout_with_local_times(
    store: TestGraph, names: dict[str, str], kafka_bootstrap: str, tmp_path: Path
) -> None:
    export = tmp_path / "clickstream_export.csv"
    search = ("u9", "s9", "page_view", "2024-03-31 12:00:00", "web", "", "/hc/en-us/search?q=x")
    _export(export, [*EXPORT_ROWS, search])
    (tmp_path / "rules.toml").write_text(RULES + "[[rule]]\nmatch = '/search'\nexclude = true\n")
    options = [
        *LOCAL_EXPORT,
        "--resolved-when",
        "event=article_helpful",
        "--attributes",
        "platform,channel=acquisition_channel",
        "--page-rules",
        str(tmp_path / "rules.toml"),
    ]

    # Without the options: refused before Kafka, in one line naming every missing column.
    plain = run_cli("produce", str(export), env=names)
    assert plain.returncode != 0
    assert plain.stdout == ""
    assert plain.stderr.strip().count("\n") == 0, plain.stderr
    assert "no column for customer_id, page_id" in plain.stderr
    assert "name each with --map FIELD=COLUMN" in plain.stderr
    out = produced(
        names | {"PATHRANK_TOPIC": names["PATHRANK_TOPIC"] + "-mapped"}, str(export), *options
    )
    assert "produced 8 events" in out
    assert "excluded 1 by page rules" in out
    expected = sorted(_expected(EXPORT_ROWS), key=lambda e: (e["customer_id"], e["timestamp"]))
    assert events_on(kafka_bootstrap, names["PATHRANK_TOPIC"] + "-mapped", 8) == expected

    ingest = run_cli(
        "ingest",
        "--until-idle",
        "3",
        env=names | {"PATHRANK_TOPIC": names["PATHRANK_TOPIC"] + "-mapped"},
    )
    assert ingest.returncode == 0, ingest.stderr
    assert snapshot(store.driver) == reference(expected)


def test_escalation_rows_become_markers(
    names: dict[str, str], kafka_bootstrap: str, tmp_path: Path
) -> None:
    export = tmp_path / "with_tickets.csv"
    _export(
        export,
        [
            EXPORT_ROWS[0],
            ("u1", "s1", "ticket_created", "2024-03-31 00:05:00", "ios", "", "/hc/requests/new"),
        ],
    )
    out = produced(names, str(export), *LOCAL_EXPORT, "--escalated-when", "event=ticket_created")
    assert "produced 2 events" in out
    marker = events_on(kafka_bootstrap, names["PATHRANK_TOPIC"], 2)[1]
    ts = int(datetime(2024, 3, 31, 0, 5, tzinfo=BERLIN).timestamp()) * 1000
    assert marker == {
        "customer_id": "u1",
        "page_id": "/hc/requests/new",
        "timestamp": ts,
        "is_resolved": False,
        "event_type": "escalation",
        "event_id": key("u1", ts, "/hc/requests/new", False, "escalation"),
    }


def test_table_options_with_a_vendor_format_are_a_usage_error(
    names: dict[str, str], tmp_path: Path
) -> None:
    export = tmp_path / "s.json"
    export.write_text('{"type": "page", "userId": "u"}\n')
    result = run_cli("produce", str(export), "--map", "customer_id=x", env=names)
    assert result.returncode == 2
    assert "applies to csv and jsonl exports; s.json is read as segment" in result.stderr
    bad_zone = run_cli(
        "produce", str(export), "--format", "csv", "--timezone", "Nowhere/City", env=names
    )
    assert bad_zone.returncode == 2
    assert "unknown time zone 'Nowhere/City'" in bad_zone.stderr
    (tmp_path / "bad.toml").write_text("[[rule]]\nmatch = '('\npage = 'x'\n")
    bad_rules = run_cli(
        "produce", str(export), "--page-rules", str(tmp_path / "bad.toml"), env=names
    )
    assert bad_rules.returncode == 2
    assert "rule 1: invalid regular expression" in bad_rules.stderr


@pytest.mark.parametrize("fmt", ["snowplow", "segment"])
def test_ingest_format_reads_foreign_topics(
    store: TestGraph, names: dict[str, str], kafka_bootstrap: str, fmt: str
) -> None:
    """Page views and one marker each: the Snowplow chat escalates v1's path, the Segment
    vote resolves it; the Snowplow events carry attributes, so the paths have segments."""
    topic = names["PATHRANK_TOPIC"]
    clicks = [
        ("v1", "/hc/en-us/articles/42-a", 1_700_000_000_000),
        ("v1", "/faq/", 1_700_000_030_000),
        ("v1", "/hc/en-us/articles/42-a", 1_700_000_040_000),
        ("v2", "/faq", 1_700_000_050_000),
    ]
    marked_at = 1_700_000_045_000  # after v1's last click
    records: list[tuple[bytes | None, bytes | None]]
    if fmt == "snowplow":

        def stamp(ts: int) -> str:
            return datetime.fromtimestamp(ts / 1000, ZoneInfo("UTC")).strftime(
                "%Y-%m-%d %H:%M:%S.000"
            )

        def line(user: str, path: str, ts: int, n: int) -> bytes:
            return enriched(
                **PAGE_VIEW
                | {
                    "domain_userid": user,
                    "event_id": f"ev-{n}",
                    "page_url": f"https://help.example.com{path}",
                    "page_referrer": "",
                    "derived_tstamp": stamp(ts),
                }
            ).encode()

        records = [(u.encode(), line(u, p, t, n)) for n, (u, p, t) in enumerate(clicks)]
        chat = PAGE_VIEW | {
            "event": "struct",
            "se_action": "open_chat",
            "domain_userid": "v1",
            "event_id": "ev-chat",
            "derived_tstamp": stamp(marked_at),
        }
        records += [
            (b"v1", enriched(**chat).encode()),
            (b"v1", enriched(**PAGE_VIEW | {"event": "page_ping"}).encode()),
            (b"v1", b"a\tb"),
        ]
        marker = {"event_id": "ev-chat", "event_type": "escalation"}
        attributes = {"platform": "web", "locale": "en-US", "source": "mail"}
        reason = "not an enriched event: expected 131 tab-separated fields"
    else:

        def message(user: str, path: str, ts: int, n: int) -> bytes:
            return orjson.dumps(
                {
                    "type": "page",
                    "userId": user,
                    "messageId": f"ev-{n}",
                    "timestamp": datetime.fromtimestamp(ts / 1000, ZoneInfo("UTC")).isoformat(),
                    "properties": {"path": path},
                }
            )

        records = [(u.encode(), message(u, p, t, n)) for n, (u, p, t) in enumerate(clicks)]
        vote = {
            "type": "track",
            "event": "article_helpful",
            "userId": "v1",
            "messageId": "ev-vote",
            "timestamp": datetime.fromtimestamp(marked_at / 1000, ZoneInfo("UTC")).isoformat(),
        }
        records += [
            (b"v1", orjson.dumps(vote)),
            (b"v1", orjson.dumps({"type": "identify", "userId": "v1"})),
            (b"v1", orjson.dumps({"type": "page", "userId": "v1"})),
        ]
        marker = {"event_id": "ev-vote", "event_type": "resolution"}
        attributes = {}
        reason = "missing page URL"
    produce_raw(kafka_bootstrap, topic, records)
    result = run_cli("ingest", "--until-idle", "3", "--format", fmt, env=names)
    assert result.returncode == 0, result.stderr
    assert "1 dead letters" in result.stdout
    expected: list[dict[str, Any]] = [
        {
            "customer_id": u,
            "page_id": p.rstrip("/"),
            "timestamp": t,
            "event_id": f"ev-{n}",
            "attributes": attributes,
        }
        for n, (u, p, t) in enumerate(clicks)
    ]
    expected.append({"customer_id": "v1", "timestamp": marked_at} | marker)
    graph = snapshot(store.driver)
    assert graph == reference(expected)
    outcome = "ESCALATED" if fmt == "snowplow" else "RESOLVED"
    assert {(p[0], p[2]) for p in graph.paths} == {("v1", outcome), ("v2", "OPEN")}
    dead = read_topics(kafka_bootstrap, [f"{topic}.dlq"], expect=1, quiet_s=1.0)
    assert [(r.value, r.headers["dlq.reason"]) for r in dead] == [(records[-1][1], reason)]
