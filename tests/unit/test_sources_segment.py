"""Segment and RudderStack messages to our events (docs/sources.md "Segment and RudderStack").

The records are the documentation's own examples, trimmed, with the fields our mapping reads
added where the example lacks them."""

from __future__ import annotations

from typing import Any

import pytest

from graph_model.path.record import EventType
from ingest.events import event_from_record
from ingest.sources.common import Invalid, Markers, Skipped, SourceConfig
from ingest.sources.page_rules import PageRules
from ingest.sources.segment import map_message, messages

NOW = 1_900_000_000_000
CONFIG = SourceConfig(
    markers=Markers(frozenset({"Article Helpful"}), frozenset({"Ticket Created"}))
)


def segment_page() -> dict[str, Any]:
    """The Page spec's example, https://segment.com/docs/connections/spec/page/ ("Example"),
    with a path and a referrer in its properties as analytics.js records them
    (https://segment.com/docs/connections/spec/page/#properties)."""
    return {
        "anonymousId": "507f191e810c19729de860ea",
        "channel": "browser",
        "context": {
            "ip": "8.8.8.8",
            "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_10_2)",
            "locale": "nl-NL",
            "campaign": {"name": "TPS Innovation Newsletter", "source": "Newsletter"},
            "device": {"type": "ios"},
        },
        "integrations": {"All": True, "Mixpanel": False, "Salesforce": False},
        "messageId": "022bb90c-bbac-11e4-8dfc-aa07a5b093db",
        "name": "Home",
        "properties": {
            "title": "Welcome | Initech",
            "url": "http://www.example.com/hc/en-us/articles/115-reset?utm=x",
            "path": "/hc/en-us/articles/115-reset",
            "referrer": "http://www.example.com/hc/en-us/",
        },
        "receivedAt": "2015-02-23T22:28:55.387Z",
        "sentAt": "2015-02-23T22:28:55.111Z",
        "timestamp": "2015-02-23T22:28:55.111Z",
        "type": "page",
        "userId": "97980cfea0067",
        "version": "1.1",
    }


def test_a_page_call_is_a_page_view() -> None:
    event = map_message(segment_page(), CONFIG)
    assert event == {
        "customer_id": "97980cfea0067",
        "timestamp": "2015-02-23T22:28:55.111Z",
        "page_id": "/hc/en-us/articles/115-reset",
        "event_id": "022bb90c-bbac-11e4-8dfc-aa07a5b093db",
        "referrer_page_id": "/hc/en-us",
        "attributes": {"device": "ios", "locale": "nl-NL", "source": "Newsletter"},
    }
    assert isinstance(event, dict)
    click = event_from_record(event, now_ms=NOW)
    assert (click.ts_ms, click.kind) == (1_424_730_535_111, EventType.PAGE_VIEW)


def test_page_rules_apply_to_the_path_and_the_referrer() -> None:
    rules = PageRules.parse(
        """
        [[rule]]
        match = '^/hc/[a-z-]+/articles/(\\d+)'
        page = 'article-$1'
        """
    )
    event = map_message(segment_page(), SourceConfig(rules=rules))
    assert isinstance(event, dict)
    assert (event["page_id"], event["referrer_page_id"]) == ("article-115", "/hc/en-us")


def test_anonymous_id_when_there_is_no_user_id() -> None:
    message = segment_page() | {"userId": None}
    event = map_message(message, CONFIG)
    assert isinstance(event, dict)
    assert event["customer_id"] == "507f191e810c19729de860ea"


def test_the_path_falls_back_to_context_page_then_the_url() -> None:
    """RudderStack's page example keeps the page in `context.page`
    (https://www.rudderstack.com/docs/event-spec/standard-events/page/)."""
    rudder = {
        "anonymousId": "e6ab2c5e-2cda-44a9-a962-e2f67df78bca",
        "channel": "web",
        "context": {
            "page": {
                "path": "/docs/guide/",
                "referrer": "https://rudderstack.medium.com/",
                "url": "https://www.rudderstack.com/docs/guide/",
            },
            "locale": "en-US",
        },
        "messageId": "1578564113557-af022c68-429e-4af4-8c5e-2d0e3d7b1b1f",
        "name": "Home",
        "originalTimestamp": "2020-01-09T10:01:53.558Z",
        "properties": {"title": "Home"},
        "type": "page",
    }
    event = map_message(rudder, CONFIG)
    assert event == {
        "customer_id": "e6ab2c5e-2cda-44a9-a962-e2f67df78bca",
        "timestamp": "2020-01-09T10:01:53.558Z",
        "page_id": "/docs/guide",
        "event_id": "1578564113557-af022c68-429e-4af4-8c5e-2d0e3d7b1b1f",
        "attributes": {"locale": "en-US"},
    }  # the referrer is another host: no referrer page
    only_url = rudder | {"context": {"page": {"url": "https://www.rudderstack.com/pricing/"}}}
    mapped = map_message(only_url, CONFIG)
    assert isinstance(mapped, dict)
    assert mapped["page_id"] == "/pricing"


def test_a_message_without_a_time_gets_the_collectors() -> None:
    message = segment_page()
    for name in ("timestamp", "receivedAt", "sentAt"):
        message.pop(name)
    event = map_message(message, CONFIG, received_ms=NOW)
    assert isinstance(event, dict)
    assert event["timestamp"] == NOW


def track(name: str) -> dict[str, Any]:
    """The Track spec's example, https://segment.com/docs/connections/spec/track/ ("Example"),
    with the page it happened on in `context.page`."""
    return {
        "anonymousId": "23adfd82-aa0f-45a7-a756-24f2a7a4c895",
        "context": {
            "library": {"name": "analytics.js", "version": "2.11.1"},
            "page": {
                "path": "/hc/en-us/articles/115-reset",
                "url": "https://help.example.com/hc/en-us/articles/115-reset",
            },
        },
        "event": name,
        "messageId": "ajs-f8ca1e4de5024d9430b3928bd8ac6b96",
        "properties": {"plan": "Pro Annual", "accountType": "Facebook"},
        "receivedAt": "2015-12-12T19:11:01.266Z",
        "sentAt": "2015-12-12T19:11:01.169Z",
        "timestamp": "2015-12-12T19:11:01.249Z",
        "type": "track",
        "userId": "AiUGstSDIg",
        "originalTimestamp": "2015-12-12T19:11:01.152Z",
    }


@pytest.mark.parametrize(
    ("name", "kind"), [("Article Helpful", "resolution"), ("Ticket Created", "escalation")]
)
def test_named_track_calls_are_markers(name: str, kind: str) -> None:
    event = map_message(track(name), CONFIG)
    assert event == {
        "customer_id": "AiUGstSDIg",
        "timestamp": "2015-12-12T19:11:01.249Z",
        "page_id": "/hc/en-us/articles/115-reset",
        "event_type": kind,
        "event_id": "ajs-f8ca1e4de5024d9430b3928bd8ac6b96",
    }


def test_other_track_calls_and_identify_are_skipped() -> None:
    """The Identify spec's example, https://segment.com/docs/connections/spec/identify/."""
    identify = {
        "anonymousId": "507f191e810c19729de860ea",
        "messageId": "022bb90c-bbac-11e4-8dfc-aa07a5b093db",
        "traits": {"name": "Peter Gibbons", "email": "peter@example.com", "plan": "premium"},
        "type": "identify",
        "userId": "97980cfea0067",
    }
    assert isinstance(map_message(track("Registered"), CONFIG), Skipped)
    assert isinstance(map_message(identify, CONFIG), Skipped)


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (
            {"type": "page", "properties": {"path": "/a"}, "timestamp": "2015-02-23T22:28:55Z"},
            "missing userId and anonymousId",
        ),
        ({"type": "page", "userId": "u", "timestamp": "2015-02-23T22:28:55Z"}, "missing page URL"),
        (
            {"type": "click", "userId": "u"},
            "type is not page, track, identify, screen, group or alias",
        ),
        (["page"], "not a JSON object"),
    ],
)
def test_invalid_messages(message: object, reason: str) -> None:
    assert map_message(message, CONFIG) == Invalid(reason)


def test_an_excluded_page_is_skipped_but_a_marker_on_it_is_kept() -> None:
    rules = PageRules.parse("[[rule]]\nmatch = '^/hc/'\nexclude = true\n")
    config = SourceConfig(rules=rules, markers=CONFIG.markers)
    excluded = map_message(segment_page(), config)
    assert isinstance(excluded, Skipped)
    assert excluded.excluded
    marker = map_message(track("Ticket Created"), config)
    assert isinstance(marker, dict)
    assert "page_id" not in marker


def test_batches_and_single_messages() -> None:
    """The batch call, https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/#batch."""
    assert messages({"batch": [segment_page(), track("x")]}) == [segment_page(), track("x")]
    assert messages(segment_page()) == [segment_page()]
    assert messages({"batch": {}}) == Invalid("batch is not a list")
    assert messages([]) == Invalid("not a JSON object")


def test_long_attribute_values_are_cut_to_200_characters() -> None:
    message = segment_page()
    message["context"]["campaign"]["source"] = "s" * 300
    event = map_message(message, CONFIG)
    assert isinstance(event, dict)
    assert event["attributes"] == {"device": "ios", "locale": "nl-NL", "source": "s" * 200}
