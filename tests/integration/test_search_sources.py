"""Searches from every source, the whole way: the official Segment SDK and Snowplow tracker
against a real `pathrank serve` collector, a GA4 export and a CSV through `pathrank
produce`, our own events straight onto the topic, then `pathrank ingest` into Neo4j
(docs/sources.md "Searches").

The privacy check reads everything the product wrote: every property of every node and
relationship of the graph, and every record (key, value, headers) of the click topic, its
dead-letter topic and the assist topic. An e-mail address and an 8-digit order number typed
into searches appear in none of them."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from snowplow_tracker import SelfDescribingJson, Subject, Tracker
from snowplow_tracker.events import PageView, SelfDescribing

from tests.conftest import run_cli
from tests.integration.api_server import serve
from tests.integration.collector_helpers import ARTICLES, T0, WRITE_KEY, emitter, ms, segment_client
from tests.integration.ingest_helpers import TestGraph, fresh_names, produce_raw
from tests.integration.kafka_read import read_topics

EMAIL = "jane.doe@example.com"
ORDER = "48213377"
SECRETS = (EMAIL, ORDER, EMAIL.upper(), "jane.doe%40example.com")
RULES = (
    ARTICLES
    + r"""
[[rule]]
match = '^/hc/[a-z-]+/search'
search = 'query'
"""
)
SITE_SEARCH = "iglu:com.snowplowanalytics.snowplow/site_search/jsonschema/1-0-0"


def secrets_in(text: str) -> list[str]:
    """The secrets in `text`, also inside base64 (Snowplow's ue_px) and gzip bodies."""
    found = [s for s in SECRETS if s in text]
    for token in text.replace('"', " ").replace("\t", " ").split():
        if len(token) >= 24:
            try:
                decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            except ValueError:
                continue
            found += [s for s in SECRETS if s.encode() in decoded]
    return found


def test_searches_from_every_source_and_no_query_text_leaks(
    services: dict[str, Any], store: TestGraph, kafka_bootstrap: str, tmp_path: Path
) -> None:
    names = fresh_names()
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES)
    settings = {**names, "PATHRANK_PAGE_RULES": str(rules), "PATHRANK_WRITE_KEY": WRITE_KEY}

    # 1. The official SDKs against the collector.
    with serve(services, **settings) as url:
        errors: list[object] = []
        segment = segment_client(url, errors)
        segment.page(user_id="seg", properties={"path": "/hc/en-us/articles/101-x"}, timestamp=T0)
        segment.track(
            user_id="seg",
            event="Products Searched",
            properties={"query": f"  Refund for ORDER {ORDER}?? ", "total_results": 0},
            timestamp=T0 + timedelta(seconds=10),
        )
        segment.track(
            user_id="seg",
            event="Products Searched",
            properties={"query": f"mail {EMAIL} now", "results": 3},
            timestamp=T0 + timedelta(seconds=20),
        )
        segment.page(  # a search-results page view a page rule captures
            user_id="seg",
            properties={"path": "/hc/en-us/search", "search": f"?query=Refund+{ORDER}"},
            timestamp=T0 + timedelta(seconds=30),
        )
        segment.page(
            user_id="seg",
            properties={"path": "/hc/en-us/articles/102-y"},
            timestamp=T0 + timedelta(seconds=40),
        )
        # Invalid: over 500 characters. Its dead letter must not hold the query either.
        segment.track(
            user_id="seg-bad",
            event="Search",
            properties={"query": f"{EMAIL} {ORDER} " + "x" * 500},
            timestamp=T0,
        )
        segment.flush()
        segment.join()
        failures: list[object] = []
        to_collector = emitter(url, failures)
        tracker = Tracker("help", to_collector, subject=Subject().set_user_id("sp"), app_id="help")
        tracker.track(
            PageView("https://help.example.com/hc/en-us/articles/201-z", true_timestamp=ms(T0))
        )
        found = {"terms": ["Reset", "PASSWORD", EMAIL], "totalResults": 2}
        tracker.track(
            SelfDescribing(SelfDescribingJson(SITE_SEARCH, found), true_timestamp=ms(T0) + 5_000)
        )
        bad = {"terms": [ORDER, 42, EMAIL]}  # not strings only: a dead letter
        tracker.track(
            SelfDescribing(SelfDescribingJson(SITE_SEARCH, bad), true_timestamp=ms(T0) + 6_000)
        )
        to_collector.flush()
        assert (errors, failures) == ([], [])

    # 2. Exports: a GA4 row and a CSV with --search-when and --map query=.
    ga4 = tmp_path / "ga4.json"
    row = {
        "event_name": "view_search_results",
        "event_timestamp": str(ms(T0) * 1000),
        "user_pseudo_id": "ga",
        "event_params": [{"key": "search_term", "value": {"string_value": f"Order {ORDER}"}}],
    }
    ga4.write_bytes(orjson.dumps(row) + b"\n")
    produced = run_cli("produce", str(ga4), "--format", "ga4", env=names)
    assert produced.returncode == 0, produced.stderr
    csv = tmp_path / "export.csv.gz"
    lines = [
        "user,when,kind,url,term,hits",
        f"csv,{T0.isoformat()},view,/x,,",
        f"csv,{(T0 + timedelta(seconds=9)).isoformat()},searched,/x,Contact {EMAIL},0",
        f"csv,{(T0 + timedelta(seconds=20)).isoformat()},searched,/x,Contact {EMAIL},x",
    ]
    csv.write_bytes(gzip.compress("\n".join(lines).encode()))
    mapped = run_cli(
        "produce",
        str(csv),
        "--format",
        "csv",
        *("--map", "customer_id=user", "--map", "timestamp=when", "--map", "page_id=url"),
        *("--map", "query=term", "--map", "results=hits", "--search-when", "kind=searched"),
        env=names,
    )
    assert mapped.returncode == 0, mapped.stderr
    assert "skipped 1 bad lines" in mapped.stdout  # results "x"
    assert not secrets_in(mapped.stdout + mapped.stderr + produced.stdout + produced.stderr)

    # 3. Our own events, straight onto the topic: one search, one invalid (no customer).
    topic = names["PATHRANK_TOPIC"]
    ours = {"customer_id": "own", "event_type": "search", "timestamp": ms(T0) / 1000}
    produce_raw(
        kafka_bootstrap,
        topic,
        [
            (b"own", orjson.dumps({**ours, "query": f"Where is {ORDER}", "results": 1})),
            (b"own", orjson.dumps({**ours, "customer_id": None, "query": f"{EMAIL} help"})),
            (b"own", f'{{"event_type": "search", "query": "{EMAIL}'.encode()),  # not JSON
        ],
    )

    ingested = run_cli("ingest", "--until-idle", "3", env=settings)
    assert ingested.returncode == 0, ingested.stderr

    steps = {
        p.customer_id: [
            (page, q) for page, q in zip(p.pages, p.queries or ("",) * p.length, strict=True)
        ]
        for p in store.paths()
    }
    assert steps["seg"] == [
        ("article-101", ""),
        ("search", "refund for order <number>"),
        ("search", "mail <email> now"),
        ("search", "refund <number>"),
        ("article-102", ""),
    ]
    assert steps["sp"] == [("article-201", ""), ("search", "reset password <email>")]
    assert steps["ga"] == [("search", "order <number>")]
    assert steps["csv"] == [("/x", ""), ("search", "contact <email>")]
    assert steps["own"] == [("search", "where is <number>")]
    counts = {p.customer_id: p.result_counts for p in store.paths()}
    assert counts["seg"] == (-1, 0, 3, -1, -1)
    assert counts["csv"] == (-1, 0)
    records, _, _ = store.driver.execute_query("MATCH (q:Query) RETURN q.text AS text")
    assert {r["text"] for r in records} == {
        "refund for order <number>",
        "mail <email> now",
        "refund <number>",
        "reset password <email>",
        "order <number>",
        "contact <email>",
        "where is <number>",
    }

    # Nothing the product wrote holds the e-mail address or the order number.
    graph, _, _ = store.driver.execute_query(
        "CALL () { MATCH (n) RETURN properties(n) AS p UNION ALL "
        "MATCH ()-[r]->() RETURN properties(r) AS p } RETURN collect(p) AS all"
    )
    assert not secrets_in(json.dumps(graph[0]["all"], default=str))
    topics = [topic, f"{topic}.dlq", names["PATHRANK_ASSIST_TOPIC"]]
    landed = read_topics(kafka_bootstrap, topics, expect=None, quiet_s=2.0)
    dead = [r for r in landed if r.topic == f"{topic}.dlq"]
    assert len(dead) == 4  # segment's, snowplow's, our invalid one and the broken one
    for record in landed:
        if record.topic == topic and record.key == b"own":
            continue  # what this test produced itself, as a customer's own producer would
        text = (record.key or b"").decode("utf-8", "replace") + record.value.decode(
            "utf-8", "replace"
        )
        assert not secrets_in(text + json.dumps(record.headers)), record
    reasons = sorted(r.headers["dlq.reason"] for r in dead)
    assert "invalid query: over 500 characters" in reasons
    assert "invalid query: expected a string" in reasons
