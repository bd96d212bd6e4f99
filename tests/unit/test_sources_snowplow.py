"""Snowplow to our events (docs/sources.md "Snowplow"): the tracker protocol's parameters
(https://docs.snowplow.io/docs/events/going-deeper/event-parameters/), its POST payload
(payload_data, https://docs.snowplow.io/docs/events/going-deeper/http-headers-and-requests/)
and the enriched TSV (https://docs.snowplow.io/docs/pipeline/enriched-tsv-format/)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from ingest.events import event_from_record
from ingest.sources.common import Invalid, Markers, Skipped, SourceConfig
from ingest.sources.snowplow import map_enriched, map_tracker_event, payload_events

CONFIG = SourceConfig(
    markers=Markers(frozenset({"article_helpful"}), frozenset({"open_chat", "ticket_created"}))
)
NOW = 1_900_000_000_000

# The enriched TSV's columns, written out here from the documentation page's header (not
# taken from the code under test).
HEADER = [
    "app_id",
    "platform",
    "etl_tstamp",
    "collector_tstamp",
    "dvce_created_tstamp",
    "event",
    "event_id",
    "txn_id",
    "name_tracker",
    "v_tracker",
    "v_collector",
    "v_etl",
    "user_id",
    "user_ipaddress",
    "user_fingerprint",
    "domain_userid",
    "domain_sessionidx",
    "network_userid",
    "geo_country",
    "geo_region",
    "geo_city",
    "geo_zipcode",
    "geo_latitude",
    "geo_longitude",
    "geo_region_name",
    "ip_isp",
    "ip_organization",
    "ip_domain",
    "ip_netspeed",
    "page_url",
    "page_title",
    "page_referrer",
    "page_urlscheme",
    "page_urlhost",
    "page_urlport",
    "page_urlpath",
    "page_urlquery",
    "page_urlfragment",
    "refr_urlscheme",
    "refr_urlhost",
    "refr_urlport",
    "refr_urlpath",
    "refr_urlquery",
    "refr_urlfragment",
    "refr_medium",
    "refr_source",
    "refr_term",
    "mkt_medium",
    "mkt_source",
    "mkt_term",
    "mkt_content",
    "mkt_campaign",
    "contexts",
    "se_category",
    "se_action",
    "se_label",
    "se_property",
    "se_value",
    "unstruct_event",
    "tr_orderid",
    "tr_affiliation",
    "tr_total",
    "tr_tax",
    "tr_shipping",
    "tr_city",
    "tr_state",
    "tr_country",
    "ti_orderid",
    "ti_sku",
    "ti_name",
    "ti_category",
    "ti_price",
    "ti_quantity",
    "pp_xoffset_min",
    "pp_xoffset_max",
    "pp_yoffset_min",
    "pp_yoffset_max",
    "useragent",
    "br_name",
    "br_family",
    "br_version",
    "br_type",
    "br_renderengine",
    "br_lang",
    "br_features_pdf",
    "br_features_flash",
    "br_features_java",
    "br_features_director",
    "br_features_quicktime",
    "br_features_realplayer",
    "br_features_windowsmedia",
    "br_features_gears",
    "br_features_silverlight",
    "br_cookies",
    "br_colordepth",
    "br_viewwidth",
    "br_viewheight",
    "os_name",
    "os_family",
    "os_manufacturer",
    "os_timezone",
    "dvce_type",
    "dvce_ismobile",
    "dvce_screenwidth",
    "dvce_screenheight",
    "doc_charset",
    "doc_width",
    "doc_height",
    "tr_currency",
    "tr_total_base",
    "tr_tax_base",
    "tr_shipping_base",
    "ti_currency",
    "ti_price_base",
    "base_currency",
    "geo_timezone",
    "mkt_clickid",
    "mkt_network",
    "etl_tags",
    "dvce_sent_tstamp",
    "refr_domain_userid",
    "refr_device_tstamp",
    "derived_contexts",
    "domain_sessionid",
    "derived_tstamp",
    "event_vendor",
    "event_name",
    "event_format",
    "event_version",
    "event_fingerprint",
    "true_tstamp",
]


def enriched(**values: str) -> str:
    assert len(HEADER) == 131
    assert set(values) <= set(HEADER)
    return "\t".join(values.get(name, "") for name in HEADER)


PAGE_VIEW = {
    "app_id": "helpcenter",
    "platform": "web",
    "etl_tstamp": "2013-11-26 00:03:59.123",
    "collector_tstamp": "2013-11-26 00:03:58.000",
    "dvce_created_tstamp": "2013-11-26 00:03:57.885",
    "event": "page_view",
    "event_id": "c6ef3124-b53a-4b13-a233-0088f79dcbcb",
    "v_tracker": "js-3.1.0",
    "user_id": "",
    "domain_userid": "bc2e92ec6c204a14",
    "network_userid": "ecdff4d0-9175-40ac-a8bb-325c49733607",
    "page_url": "https://help.example.com/hc/en-us/articles/42-reset-password?utm_source=mail",
    "page_urlhost": "help.example.com",
    "page_urlpath": "/hc/en-us/articles/42-reset-password",
    "page_referrer": "https://help.example.com/hc/en-us/",
    "mkt_source": "mail",
    "br_lang": "en-US",
    "derived_tstamp": "2013-11-26 00:03:57.885",
    "event_vendor": "com.snowplowanalytics.snowplow",
    "event_name": "page_view",
    "event_format": "jsonschema",
    "event_version": "1-0-0",
}


def test_an_enriched_page_view() -> None:
    event = map_enriched(enriched(**PAGE_VIEW), CONFIG)
    assert event == {
        "customer_id": "bc2e92ec6c204a14",
        "timestamp": 1_385_424_237_885,  # derived_tstamp, read as UTC
        "page_id": "/hc/en-us/articles/42-reset-password",
        "event_id": "c6ef3124-b53a-4b13-a233-0088f79dcbcb",
        "referrer_page_id": "/hc/en-us",
        "attributes": {"platform": "web", "locale": "en-US", "source": "mail"},
    }


def test_enriched_identity_and_time_fall_back() -> None:
    row = PAGE_VIEW | {"user_id": "jon.doe@example.com", "derived_tstamp": ""}
    event = map_enriched(enriched(**row), CONFIG)
    assert isinstance(event, dict)
    assert (event["customer_id"], event["timestamp"]) == ("jon.doe@example.com", 1_385_424_238_000)
    nobody = PAGE_VIEW | {"domain_userid": "", "network_userid": ""}
    assert map_enriched(enriched(**nobody), CONFIG) == Invalid(
        "missing user_id, domain_userid and network_userid"
    )


def test_enriched_markers_by_structured_action_or_event_name() -> None:
    struct = PAGE_VIEW | {"event": "struct", "se_category": "help", "se_action": "open_chat"}
    unstruct = PAGE_VIEW | {
        "event": "unstruct",
        "event_vendor": "com.acme",
        "event_name": "article_helpful",
        "unstruct_event": json.dumps(
            {
                "schema": "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0",
                "data": {"schema": "iglu:com.acme/article_helpful/jsonschema/1-0-0", "data": {}},
            }
        ),
    }
    struct_event = map_enriched(enriched(**struct), CONFIG)
    unstruct_event = map_enriched(enriched(**unstruct), CONFIG)
    assert isinstance(struct_event, dict)
    assert isinstance(unstruct_event, dict)
    assert struct_event["event_type"] == "escalation"
    assert unstruct_event["event_type"] == "resolution"
    assert "referrer_page_id" not in unstruct_event  # a marker has no referrer


@pytest.mark.parametrize(
    "row",
    [
        PAGE_VIEW | {"event": "page_ping"},
        PAGE_VIEW | {"event": "struct", "se_action": "play_video"},
        PAGE_VIEW | {"event": "transaction"},
    ],
)
def test_enriched_events_we_do_not_use_are_skipped(row: dict[str, str]) -> None:
    assert isinstance(map_enriched(enriched(**row), CONFIG), Skipped)


def test_a_line_of_the_wrong_width_is_invalid() -> None:
    assert map_enriched("a\tb\tc", CONFIG) == Invalid(
        "not an enriched event: expected 131 tab-separated fields"
    )
    assert map_enriched(b"\xff" * 10, CONFIG) == Invalid("not UTF-8")


def test_a_tracker_page_view() -> None:
    params = {
        "e": "pv",
        "url": "https://help.example.com/hc/en-us/articles/42?utm_source=newsletter",
        "page": "Reset your password",
        "refr": "https://www.google.com/",
        "tv": "py-1.0.0",
        "p": "web",
        "lang": "de-DE",
        "duid": "aeb1691c5a0ee5a6",
        "uid": "aeb1691c5a0ee5a6-user",
        "eid": "4616bfb0-4add-4b59-b1c5-f9f9c6aa0a53",
        "dtm": "1361553733313",
        "stm": "1361553733371",
    }
    event = map_tracker_event(params, CONFIG)
    assert event == {
        "customer_id": "aeb1691c5a0ee5a6-user",
        "timestamp": 1_361_553_733_313,
        "page_id": "/hc/en-us/articles/42",
        "event_id": "4616bfb0-4add-4b59-b1c5-f9f9c6aa0a53",
        "attributes": {"platform": "web", "locale": "de-DE", "source": "newsletter"},
    }  # google.com is another host: no referrer page


def test_tracker_identity_and_time_fall_back() -> None:
    base = {"e": "pv", "url": "/a", "dtm": "1361553733313", "ttm": "1361553700000"}
    by_device = map_tracker_event(base | {"duid": "d"}, CONFIG)
    by_network = map_tracker_event(base | {"nuid": "n"}, CONFIG)
    by_cookie = map_tracker_event(base, CONFIG, network_userid="cookie")
    assert [
        e["customer_id"] for e in (by_device, by_network, by_cookie) if isinstance(e, dict)
    ] == [
        "d",
        "n",
        "cookie",
    ]
    assert isinstance(by_device, dict)
    assert by_device["timestamp"] == 1_361_553_700_000  # the true timestamp wins
    received = map_tracker_event({"e": "pv", "url": "/a", "duid": "d"}, CONFIG, received_ms=NOW)
    assert isinstance(received, dict)
    assert received["timestamp"] == NOW
    assert map_tracker_event({"e": "pv", "url": "/a"}, CONFIG) == Invalid(
        "missing uid, duid and nuid"
    )


def self_describing(name: str) -> str:
    return json.dumps(
        {
            "schema": "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0",
            "data": {"schema": f"iglu:com.acme/{name}/jsonschema/1-0-0", "data": {"id": 1}},
        }
    )


def test_tracker_markers_in_every_encoding() -> None:
    base = {"url": "https://h/hc/a", "duid": "d", "dtm": "1361553733313"}
    plain = base | {"e": "ue", "ue_pr": self_describing("article_helpful")}
    encoded = base64.urlsafe_b64encode(self_describing("ticket_created").encode()).decode()
    packed = base | {"e": "ue", "ue_px": encoded.rstrip("=")}  # trackers drop the padding
    structured = base | {"e": "se", "se_ca": "support", "se_ac": "open_chat"}
    kinds = [map_tracker_event(p, CONFIG) for p in (plain, packed, structured)]
    assert [k["event_type"] for k in kinds if isinstance(k, dict)] == [
        "resolution",
        "escalation",
        "escalation",
    ]
    assert isinstance(map_tracker_event(base | {"e": "pp"}, CONFIG), Skipped)
    other = base | {"e": "ue", "ue_pr": self_describing("video_play")}
    assert isinstance(map_tracker_event(other, CONFIG), Skipped)
    assert map_tracker_event(base | {"e": "ue", "ue_pr": "{"}, CONFIG) == Invalid(
        "ue_pr is not JSON"
    )
    assert map_tracker_event(base, CONFIG) == Invalid("missing e (the event type)")


def payload(data: Any) -> dict[str, Any]:
    return {
        "schema": "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4",
        "data": data,
    }


def test_payload_data_bodies() -> None:
    events = [{"e": "pv", "url": "/a"}, {"e": "pp"}]
    assert payload_events(payload(events)) == events
    assert payload_events({"schema": "iglu:com.acme/x/jsonschema/1-0-0", "data": events}) == (
        Invalid("schema is not payload_data")
    )
    assert payload_events(payload([])) == Invalid("data is not a non-empty list")
    assert payload_events([]) == Invalid("not a JSON object")


def test_mapped_events_pass_validation() -> None:
    event = map_enriched(enriched(**PAGE_VIEW), CONFIG)
    assert isinstance(event, dict)
    click = event_from_record(event, now_ms=NOW)
    assert click.attributes == (("locale", "en-US"), ("platform", "web"), ("source", "mail"))
