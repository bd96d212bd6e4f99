"""The collector of a real `pathrank serve`, fed by the official SDKs and trackers, read back
from the real Kafka (docs/sources.md "The collector"), and ingested into paths
(test_collector_requests: what it answers to bad requests)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from rudderstack.analytics import Client as RudderClient
from segment.analytics import Client as SegmentClient
from snowplow_tracker import SelfDescribingJson, Subject, Tracker
from snowplow_tracker.events import PagePing, PageView, SelfDescribing, StructuredEvent

from tests.conftest import run_cli
from tests.integration.api_server import serve
from tests.integration.collector_helpers import (
    T0,
    collector_settings,
    emitter,
    landed_for,
    ms,
    segment_client,
)
from tests.integration.ingest_helpers import TestGraph, fresh_names, live_path_stats, snapshot


def help_page(article: int) -> dict[str, str]:
    return {
        "path": f"/hc/en-us/articles/{article}-how-to",
        "url": f"https://help.example.com/hc/en-us/articles/{article}-how-to?x=1",
        "referrer": "https://help.example.com/hc/en-us/",
    }


@pytest.mark.parametrize("sdk", ["segment", "rudderstack"])
def test_segment_and_rudderstack_sdks(
    collector: str, collector_topic: str, kafka_bootstrap: str, sdk: str
) -> None:
    errors: list[object] = []
    # gzip: analytics-python compresses only when asked; RudderStack's SDK always does.
    client = segment_client(collector, errors, SegmentClient if sdk == "segment" else RudderClient)
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

    landed = landed_for(kafka_bootstrap, collector_topic, {user, other}, expect=4)
    assert all(r.topic == collector_topic for r in landed), [r.headers for r in landed]
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


def test_snowplow_tracker_post_and_get(
    collector: str, collector_topic: str, kafka_bootstrap: str
) -> None:
    failures: list[object] = []
    post = emitter(collector, failures, batch_size=10)
    get = emitter(collector, failures, "get")
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

    landed = landed_for(kafka_bootstrap, collector_topic, {"sp-1", "sp-duid-9"}, expect=4)
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


def test_sdks_to_paths_with_outcomes_attributes_and_segments(
    services: dict[str, Any], store: TestGraph, tmp_path: Path
) -> None:
    """The whole way: the official SDKs and tracker -> the collector -> Kafka -> ingest ->
    paths ended by the SDKs' resolution and escalation events, with (:Segment) nodes."""
    names = fresh_names()
    with serve(services, **names, **collector_settings(tmp_path)) as url:
        errors: list[object] = []
        for client_class, prefix in ((SegmentClient, "seg"), (RudderClient, "rs")):
            client = segment_client(url, errors, client_class)
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
        to_collector = emitter(url, failures)
        chat = Tracker("e2e", to_collector, subject=Subject().set_user_id("sp-1").set_lang("fr-FR"))
        chat.track(PageView("https://help.example.com/hc/fr/articles/601-a", true_timestamp=ms(T0)))
        chat.track(StructuredEvent("support", "open_chat", true_timestamp=ms(T0) + 10_000))
        vote = Tracker("e2e", to_collector, subject=Subject().set_user_id("sp-2"))
        vote.track(PageView("https://help.example.com/hc/fr/articles/602-b", true_timestamp=ms(T0)))
        helpful = SelfDescribingJson("iglu:com.acme/article_helpful/jsonschema/1-0-0", {"id": 602})
        vote.track(SelfDescribing(helpful, true_timestamp=ms(T0) + 5_000))
        to_collector.flush()
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
