"""The collector of a real `pathrank serve`, fed by the official SDKs and trackers, read back
from the real Kafka (docs/sources.md "The collector"), and ingested into paths."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import pytest
from rudderstack.analytics import Client as RudderClient
from segment.analytics import Client as SegmentClient
from snowplow_tracker import Emitter, SelfDescribingJson, Subject, Tracker
from snowplow_tracker.events import PagePing, PageView, SelfDescribing, StructuredEvent

from tests.conftest import run_cli
from tests.integration.api_server import serve
from tests.integration.ingest_helpers import TestGraph, fresh_names, live_path_stats, snapshot
from tests.integration.kafka_read import Landed, read_topics

WRITE_KEY = "wk-" + uuid.uuid4().hex[:8]
MAX_BODY = 64 * 1024
RULES = r"""
[[rule]]
match = '^/hc/[a-z]{2}(-[a-z]{2})?/articles/(\d+)'
page = 'article-$2'

[[rule]]
match = '^/hc/[a-z-]+/search'
exclude = true
"""
TP2 = "/com.snowplowanalytics.snowplow/tp2"
PAYLOAD = "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4"
# An hour ago, to the second: inside validation's clock window, exact in every format.
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def ms(at: datetime) -> int:
    return int(at.timestamp()) * 1000


@pytest.fixture(scope="module")
def topic() -> str:
    return f"collected-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def base(
    services: dict[str, Any], topic: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    rules = tmp_path_factory.mktemp("rules") / "rules.toml"
    rules.write_text(RULES)
    with serve(
        services,
        PATHRANK_WRITE_KEY=WRITE_KEY,
        PATHRANK_TOPIC=topic,
        PATHRANK_RESOLUTION_EVENTS="Article Helpful,article_helpful",
        PATHRANK_ESCALATION_EVENTS="Ticket Created,open_chat",
        PATHRANK_PAGE_RULES=str(rules),
        PATHRANK_COLLECTOR_MAX_BODY_BYTES=str(MAX_BODY),
    ) as url:
        yield url


def landed_for(bootstrap: str, topic: str, customers: set[str], expect: int) -> list[Landed]:
    """The records of these customers on the topic and its dead-letter topic."""
    every = read_topics(bootstrap, [topic, f"{topic}.dlq"], expect=None, quiet_s=2.0)
    mine = [r for r in every if r.key is not None and r.key.decode() in customers]
    deadline_reads = 0
    while len(mine) < expect and deadline_reads < 5:  # deliveries are acknowledged; reads may lag
        every = read_topics(bootstrap, [topic, f"{topic}.dlq"], expect=None, quiet_s=2.0)
        mine = [r for r in every if r.key is not None and r.key.decode() in customers]
        deadline_reads += 1
    return mine


def help_page(article: int) -> dict[str, str]:
    return {
        "path": f"/hc/en-us/articles/{article}-how-to",
        "url": f"https://help.example.com/hc/en-us/articles/{article}-how-to?x=1",
        "referrer": "https://help.example.com/hc/en-us/",
    }


@pytest.mark.parametrize("sdk", ["segment", "rudderstack"])
def test_segment_and_rudderstack_sdks(
    base: str, topic: str, kafka_bootstrap: str, sdk: str
) -> None:
    errors: list[object] = []
    client_class: Any = SegmentClient if sdk == "segment" else RudderClient
    # gzip: analytics-python compresses only when asked; RudderStack's SDK always does.
    client = client_class(
        WRITE_KEY, host=base, gzip=True, max_retries=0, on_error=lambda e, _b: errors.append(e)
    )
    user, other = f"{sdk}-1", f"{sdk}-2"
    context = {"locale": "de-DE", "device": {"type": "ios"}}
    client.page(
        user_id=user,
        name="Reset",
        properties=help_page(101),
        context=context,
        timestamp=T0,
        message_id=f"{sdk}-m1",
    )
    client.page(
        user_id=user,
        properties=help_page(102) | {"referrer": "https://www.google.com/"},
        timestamp=T0 + timedelta(seconds=30),
        message_id=f"{sdk}-m2",
    )
    client.page(
        user_id=user,
        properties={
            "path": "/hc/en-us/search",
            "url": "https://help.example.com/hc/en-us/search?q=x",
        },
        timestamp=T0 + timedelta(seconds=40),
        message_id=f"{sdk}-excluded",
    )
    client.track(
        user_id=user,
        event="Article Helpful",
        context={"page": help_page(102)},
        timestamp=T0 + timedelta(seconds=60),
        message_id=f"{sdk}-m3",
    )
    client.track(
        user_id=other,
        event="Ticket Created",
        timestamp=T0 + timedelta(seconds=90),
        message_id=f"{sdk}-m4",
    )
    client.track(user_id=user, event="Video Played", timestamp=T0, message_id=f"{sdk}-skip")
    client.identify(user_id=user, traits={"plan": "pro"})
    client.flush()
    client.join()
    assert errors == []

    landed = landed_for(kafka_bootstrap, topic, {user, other}, expect=4)
    assert all(r.topic == topic for r in landed), [r.headers for r in landed]
    by_id = {r.event["event_id"]: (r.key, r.event) for r in landed}
    assert by_id == {
        f"{sdk}-m1": (
            user.encode(),
            {
                "customer_id": user,
                "page_id": "article-101",
                "timestamp": ms(T0),
                "is_resolved": False,
                "event_id": f"{sdk}-m1",
                "referrer_page_id": "/hc/en-us",
                "attributes": {"device": "ios", "locale": "de-DE"},
            },
        ),
        f"{sdk}-m2": (
            user.encode(),
            {
                "customer_id": user,
                "page_id": "article-102",
                "timestamp": ms(T0) + 30_000,
                "is_resolved": False,
                "event_id": f"{sdk}-m2",
            },
        ),
        f"{sdk}-m3": (
            user.encode(),
            {
                "customer_id": user,
                "page_id": "article-102",
                "timestamp": ms(T0) + 60_000,
                "is_resolved": False,
                "event_id": f"{sdk}-m3",
                "event_type": "resolution",
            },
        ),
        f"{sdk}-m4": (
            other.encode(),
            {
                "customer_id": other,
                "timestamp": ms(T0) + 90_000,
                "is_resolved": False,
                "event_id": f"{sdk}-m4",
                "event_type": "escalation",
            },
        ),
    }


def test_snowplow_tracker_post_and_get(base: str, topic: str, kafka_bootstrap: str) -> None:
    failures: list[object] = []
    port = urlsplit(base).port
    post = Emitter(
        "127.0.0.1",
        protocol="http",
        port=port,
        method="post",
        batch_size=10,
        on_failure=lambda n, events: failures.append((n, events)),
    )
    get = Emitter(
        "127.0.0.1",
        protocol="http",
        port=port,
        method="get",
        on_failure=lambda n, events: failures.append((n, events)),
    )
    subject = Subject().set_user_id("sp-1").set_lang("en-GB")
    tracker = Tracker("pathrank-test", post, subject=subject, app_id="help")
    tracker.track(
        PageView(
            "https://help.example.com/hc/en-us/articles/201-x?utm_source=mail",
            referrer="https://help.example.com/hc/en-us/",
            true_timestamp=ms(T0),
        )
    )
    tracker.track(StructuredEvent("support", "open_chat", true_timestamp=ms(T0) + 10_000))
    helpful = SelfDescribingJson("iglu:com.acme/article_helpful/jsonschema/1-0-0", {"id": 201})
    tracker.track(SelfDescribing(helpful, true_timestamp=ms(T0) + 20_000))
    tracker.track(
        PagePing("https://help.example.com/hc/en-us/articles/201-x", true_timestamp=ms(T0))
    )
    post.flush()
    by_get = Tracker("pathrank-get", get, subject=Subject().set_domain_user_id("sp-duid-9"))
    by_get.track(PageView("https://help.example.com/hc/de/articles/202-y/", true_timestamp=ms(T0)))
    get.flush()
    assert failures == []

    landed = landed_for(kafka_bootstrap, topic, {"sp-1", "sp-duid-9"}, expect=4)
    events = sorted((r.event for r in landed), key=lambda e: (e["customer_id"], e["timestamp"]))
    for event in events:
        event.pop("event_id")  # the tracker's random event ids
    assert events == [
        {
            "customer_id": "sp-1",
            "page_id": "article-201",
            "timestamp": ms(T0),
            "is_resolved": False,
            "referrer_page_id": "/hc/en-us",
            "attributes": {"locale": "en-GB", "platform": "pc", "source": "mail"},
        },
        {
            "customer_id": "sp-1",
            "timestamp": ms(T0) + 10_000,
            "is_resolved": False,
            "event_type": "escalation",
            "attributes": {"locale": "en-GB", "platform": "pc"},
        },
        {
            "customer_id": "sp-1",
            "timestamp": ms(T0) + 20_000,
            "is_resolved": False,
            "event_type": "resolution",
            "attributes": {"locale": "en-GB", "platform": "pc"},
        },
        {
            "customer_id": "sp-duid-9",
            "page_id": "article-202",
            "timestamp": ms(T0),
            "is_resolved": False,
            "attributes": {"platform": "pc"},
        },
    ]


def segment_page(user: str, message_id: str) -> dict[str, Any]:
    return {
        "type": "page",
        "userId": user,
        "messageId": message_id,
        "timestamp": T0.isoformat(),
        "properties": {"path": "/hc/en-us/articles/301-z"},
    }


def test_wrong_or_missing_write_key_is_401_and_nothing_is_produced(
    base: str, topic: str, kafka_bootstrap: str
) -> None:
    body = {"batch": [segment_page("unauthorized-1", "u-1")]}
    wrong = httpx.post(f"{base}/v1/batch", json=body, auth=("not-the-key", ""))
    missing = httpx.post(f"{base}/v1/batch", json=body)
    in_body = httpx.post(f"{base}/v1/batch", json=body | {"writeKey": "nope"})
    assert [wrong.status_code, missing.status_code, in_body.status_code] == [401, 401, 401]
    assert wrong.json() == {"code": "unauthorized", "message": "wrong or missing write key"}
    # The key in the body (Segment's other way) is accepted when there is no header.
    accepted = httpx.post(
        f"{base}/v1/batch",
        json={"batch": [segment_page("authorized-1", "a-1")], "writeKey": WRITE_KEY},
    )
    assert accepted.status_code == 200, accepted.text
    landed = landed_for(kafka_bootstrap, topic, {"unauthorized-1", "authorized-1"}, expect=1)
    assert [r.key for r in landed] == [b"authorized-1"]


def test_bodies_over_the_limit_are_413(base: str, topic: str, kafka_bootstrap: str) -> None:
    batch = {"batch": [segment_page("big-1", f"b-{i}") for i in range(600)]}
    raw = json.dumps(batch).encode()
    assert len(raw) > MAX_BODY
    plain = httpx.post(
        f"{base}/v1/batch",
        content=raw,
        auth=(WRITE_KEY, ""),
        headers={"content-type": "application/json"},
    )
    packed = gzip.compress(raw)
    assert len(packed) < MAX_BODY  # small on the wire, over the limit once inflated
    zipped = httpx.post(
        f"{base}/v1/batch",
        content=packed,
        auth=(WRITE_KEY, ""),
        headers={"content-type": "application/json", "content-encoding": "gzip"},
    )
    snowplow = httpx.post(f"{base}{TP2}", content=b"{" + b" " * MAX_BODY + b"}")
    assert [plain.status_code, zipped.status_code, snowplow.status_code] == [413, 413, 413]
    assert landed_for(kafka_bootstrap, topic, {"big-1"}, expect=0) == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"schema": "iglu:com.acme/other/jsonschema/1-0-0", "data": [{"e": "pv"}]}',
        json.dumps({"schema": PAYLOAD, "data": []}).encode(),
        b"[1, 2]",
    ],
)
def test_malformed_tp2_is_400(base: str, body: bytes) -> None:
    response = httpx.post(
        f"{base}{TP2}", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.text.startswith("malformed body")


def test_malformed_segment_bodies_are_400(base: str) -> None:
    for body in (b"{", b'{"batch": 3}', b"\x1f\x8bnot really gzip"):
        headers = {"content-encoding": "gzip"} if body.startswith(b"\x1f") else {}
        response = httpx.post(
            f"{base}/v1/batch", content=body, auth=(WRITE_KEY, ""), headers=headers
        )
        assert response.status_code == 400, (body, response.text)


def test_an_invalid_event_is_a_dead_letter_and_the_rest_is_produced(
    base: str, topic: str, kafka_bootstrap: str
) -> None:
    good = segment_page("mixed-1", "mixed-good")
    late_clock = segment_page("mixed-2", "mixed-badtime") | {"timestamp": "yesterday"}
    no_page = {
        "type": "page",
        "userId": "mixed-3",
        "timestamp": T0.isoformat(),
        "messageId": "mixed-nopage",
    }
    response = httpx.post(
        f"{base}/v1/batch", json={"batch": [good, late_clock, no_page]}, auth=(WRITE_KEY, "")
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True, "produced": 1, "dead_letters": 2, "skipped": 0}
    tp2 = {
        "schema": PAYLOAD,
        "data": [
            {
                "e": "pv",
                "url": "https://help.example.com/hc/en-us/articles/5-a",
                "uid": "mixed-4",
                "dtm": str(ms(T0)),
            },
            {"e": "pv", "uid": "mixed-5", "dtm": str(ms(T0))},
        ],
    }
    assert httpx.post(f"{base}{TP2}", json=tp2).status_code == 200

    every = read_topics(kafka_bootstrap, [topic, f"{topic}.dlq"], quiet_s=2.0)
    produced = {
        r.key: r.event["page_id"]
        for r in every
        if r.topic == topic and r.key is not None and r.key.startswith(b"mixed-")
    }
    dead = {
        _sender(orjson.loads(r.value)): r.headers
        for r in every
        if r.topic == f"{topic}.dlq" and b"mixed-" in r.value
    }
    assert produced == {b"mixed-1": "article-301", b"mixed-4": "article-5"}
    assert {sender: h["dlq.reason"] for sender, h in dead.items()} == {
        "mixed-2": "invalid timestamp: unparseable",
        "mixed-3": "missing page URL",
        "mixed-5": "missing page URL",
    }
    assert {sender: h["dlq.source.path"] for sender, h in dead.items()} == {
        "mixed-2": "/v1/batch",
        "mixed-3": "/v1/batch",
        "mixed-5": TP2,
    }
    nopage = next(r for r in every if r.topic == f"{topic}.dlq" and b"mixed-nopage" in r.value)
    assert orjson.loads(nopage.value) == no_page  # the event as it was sent


def _sender(event: dict[str, Any]) -> str:
    return str(event.get("userId") or event.get("uid"))


def test_identify_is_accepted_and_ignored(base: str) -> None:
    response = httpx.post(
        f"{base}/v1/identify", json={"userId": "x", "traits": {"a": 1}}, auth=(WRITE_KEY, "")
    )
    assert response.status_code == 200
    assert response.json()["skipped"] == 1


def test_without_a_write_key_the_collector_is_off(services: dict[str, Any], tmp_path: Path) -> None:
    with serve(services, PATHRANK_TOPIC=f"off-{uuid.uuid4().hex[:8]}") as url:
        segment = httpx.post(f"{url}/v1/batch", json={"batch": []}, auth=("x", ""))
        snowplow = httpx.get(f"{url}/i?e=pv")
    assert segment.status_code == 404
    assert segment.json()["message"] == "the collector is off: set PATHRANK_WRITE_KEY to turn it on"
    assert (snowplow.status_code, snowplow.text) == (
        404,
        "the collector is off: set PATHRANK_WRITE_KEY to turn it on",
    )


def test_sdks_to_paths_with_outcomes_attributes_and_segments(
    services: dict[str, Any], store: TestGraph, tmp_path: Path
) -> None:
    """The whole way: the official SDKs and tracker -> the collector -> Kafka -> ingest ->
    paths ended by the SDKs' resolution and escalation events, with (:Segment) nodes."""
    names = fresh_names()
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES)
    settings = {
        "PATHRANK_WRITE_KEY": WRITE_KEY,
        "PATHRANK_RESOLUTION_EVENTS": "Article Helpful,article_helpful",
        "PATHRANK_ESCALATION_EVENTS": "Ticket Created,open_chat",
        "PATHRANK_PAGE_RULES": str(rules),
    }
    with serve(services, **names, **settings) as url:
        errors: list[object] = []
        for client_class, prefix in ((SegmentClient, "seg"), (RudderClient, "rs")):
            client: Any = client_class(
                WRITE_KEY,
                host=url,
                gzip=True,
                max_retries=0,
                on_error=lambda e, _b: errors.append(e),
            )
            ios = {"locale": "de-DE", "device": {"type": "ios"}}
            # Two pages, then a ticket: ESCALATED, on the platform and locale of the first page.
            client.page(user_id=f"{prefix}-1", properties=help_page(501), context=ios, timestamp=T0)
            client.page(
                user_id=f"{prefix}-1",
                properties=help_page(502),
                context={"locale": "en-US"},
                timestamp=T0 + timedelta(seconds=30),
            )
            client.track(
                user_id=f"{prefix}-1", event="Ticket Created", timestamp=T0 + timedelta(seconds=60)
            )
            # A page, then a vote: RESOLVED.
            client.page(user_id=f"{prefix}-2", properties=help_page(503), timestamp=T0)
            client.track(
                user_id=f"{prefix}-2",
                event="Article Helpful",
                context={"page": help_page(503)},
                timestamp=T0 + timedelta(seconds=20),
            )
            # A ticket with no page before it: an orphan marker.
            client.track(user_id=f"{prefix}-3", event="Ticket Created", timestamp=T0)
            client.flush()
            client.join()
        failures: list[object] = []
        emitter = Emitter(
            "127.0.0.1",
            protocol="http",
            port=urlsplit(url).port,
            method="post",
            on_failure=lambda n, events: failures.append((n, events)),
        )
        chat = Tracker("e2e", emitter, subject=Subject().set_user_id("sp-1").set_lang("fr-FR"))
        chat.track(PageView("https://help.example.com/hc/fr/articles/601-a", true_timestamp=ms(T0)))
        chat.track(StructuredEvent("support", "open_chat", true_timestamp=ms(T0) + 10_000))
        vote = Tracker("e2e", emitter, subject=Subject().set_user_id("sp-2"))
        vote.track(PageView("https://help.example.com/hc/fr/articles/602-b", true_timestamp=ms(T0)))
        helpful = SelfDescribingJson("iglu:com.acme/article_helpful/jsonschema/1-0-0", {"id": 602})
        vote.track(SelfDescribing(helpful, true_timestamp=ms(T0) + 5_000))
        emitter.flush()
        assert (errors, failures) == ([], [])

    ingested = run_cli("ingest", "--until-idle", "3", env=names)
    assert ingested.returncode == 0, ingested.stderr
    paths = {(p.customer_id, p.pages, p.outcome.value, p.segments) for p in store.paths()}
    sdk_paths = set()
    for prefix in ("seg", "rs"):
        sdk_paths |= {
            (
                f"{prefix}-1",
                ("article-501", "article-502"),
                "ESCALATED",
                ("device=ios", "locale=de-DE"),
            ),
            (f"{prefix}-2", ("article-503",), "RESOLVED", ()),
        }
    assert paths == sdk_paths | {
        ("sp-1", ("article-601",), "ESCALATED", ("locale=fr-FR", "platform=pc")),
        ("sp-2", ("article-602",), "RESOLVED", ("platform=pc",)),
    }
    counts = store.counts()
    assert (counts.clicks, counts.markers) == (8, 8)
    assert live_path_stats().orphan_markers == 2  # seg-3's and rs-3's tickets
    records, _, _ = store.driver.execute_query(
        "MATCH (s:Segment) RETURN s.id AS id, s.key AS key, s.value AS value, "
        "COUNT { (s)<-[:IN_SEGMENT]-(:Path) } AS paths ORDER BY id"
    )
    assert [tuple(r.values()) for r in records] == [
        ("device=ios", "device", "ios", 2),
        ("locale=de-DE", "locale", "de-DE", 2),
        ("locale=fr-FR", "locale", "fr-FR", 1),
        ("platform=pc", "platform", "pc", 2),
    ]
    assert snapshot(store.driver).orphan_markers == 2
