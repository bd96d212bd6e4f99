"""Snowplow events to ours: the tracker protocol (GET `/i` query parameters and POST `tp2`
payload_data bodies) and the enriched TSV stream.

Page views (`e=pv`, enriched `page_view`) are clicks; `site_search` self-describing events
are searches; structured events whose action and self-describing events whose name are in
the marker settings are markers; page pings and everything else are skipped. Mapping
table: docs/sources.md "Snowplow".
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Final
from urllib.parse import parse_qsl, urlsplit

import orjson

from graph_model.path.record import EventType
from ingest.sources.common import (
    NOT_A_MARKER,
    Invalid,
    Mapped,
    Skipped,
    SourceConfig,
    attributes,
    first,
    naive_utc_ms,
    page_event,
    search_event,
    text,
)

PAYLOAD_DATA: Final = "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-"
PAGE_PING: Final = Skipped("a page ping")
SITE_SEARCH: Final = "site_search"  # iglu:com.snowplowanalytics.snowplow/site_search/...

# The enriched event's 131 fields in their TSV order, from Snowplow's "Enriched stream TSV
# file format" page (docs.snowplow.io/docs/pipeline/enriched-tsv-format/).
# One string, as the page prints the header, so the two read side by side.
ENRICHED_FIELDS: Final = tuple(
    "app_id platform etl_tstamp collector_tstamp dvce_created_tstamp event event_id txn_id "  # noqa: SIM905
    "name_tracker v_tracker v_collector v_etl user_id user_ipaddress user_fingerprint "
    "domain_userid domain_sessionidx network_userid geo_country geo_region geo_city "
    "geo_zipcode geo_latitude geo_longitude geo_region_name ip_isp ip_organization ip_domain "
    "ip_netspeed page_url page_title page_referrer page_urlscheme page_urlhost page_urlport "
    "page_urlpath page_urlquery page_urlfragment refr_urlscheme refr_urlhost refr_urlport "
    "refr_urlpath refr_urlquery refr_urlfragment refr_medium refr_source refr_term mkt_medium "
    "mkt_source mkt_term mkt_content mkt_campaign contexts se_category se_action se_label "
    "se_property se_value unstruct_event tr_orderid tr_affiliation tr_total tr_tax "
    "tr_shipping tr_city tr_state tr_country ti_orderid ti_sku ti_name ti_category ti_price "
    "ti_quantity pp_xoffset_min pp_xoffset_max pp_yoffset_min pp_yoffset_max useragent "
    "br_name br_family br_version br_type br_renderengine br_lang br_features_pdf "
    "br_features_flash br_features_java br_features_director br_features_quicktime "
    "br_features_realplayer br_features_windowsmedia br_features_gears "
    "br_features_silverlight br_cookies br_colordepth br_viewwidth br_viewheight os_name "
    "os_family os_manufacturer os_timezone dvce_type dvce_ismobile dvce_screenwidth "
    "dvce_screenheight doc_charset doc_width doc_height tr_currency tr_total_base "
    "tr_tax_base tr_shipping_base ti_currency ti_price_base base_currency geo_timezone "
    "mkt_clickid mkt_network etl_tags dvce_sent_tstamp refr_domain_userid refr_device_tstamp "
    "derived_contexts domain_sessionid derived_tstamp event_vendor event_name event_format "
    "event_version event_fingerprint true_tstamp".split()
)
_AT: Final = {name: i for i, name in enumerate(ENRICHED_FIELDS)}


# ---- the tracker protocol ------------------------------------------------------------------


def payload_events(body: object) -> list[object] | Invalid:
    """The events of a POST body: `{"schema": "iglu:...payload_data/jsonschema/1-0-x",
    "data": [{...}, ...]}`."""
    if not isinstance(body, Mapping):
        return Invalid("not a JSON object")
    schema, data = body.get("schema"), body.get("data")
    if not isinstance(schema, str) or not schema.startswith(PAYLOAD_DATA):
        return Invalid("schema is not payload_data")
    if not isinstance(data, list) or not data:
        return Invalid("data is not a non-empty list")
    return list(data)


def map_tracker_event(
    params: object,
    config: SourceConfig,
    *,
    network_userid: str | None = None,
    received_ms: int | None = None,
) -> Mapped:
    """One tracker-protocol event (its parameters, all strings) to our event.

    `network_userid` is the collector's cookie id, the last choice for the customer;
    `received_ms` (the collector's clock) stands in for an event without `ttm` and `dtm`.
    """
    if not isinstance(params, Mapping):
        return Invalid("an event is not a JSON object")
    kind = _tracker_kind(params, config)
    if not isinstance(kind, EventType):
        return kind
    customer = first(params.get("uid"), params.get("duid"), params.get("nuid"), network_userid)
    if customer is None:
        return Invalid("missing uid, duid and nuid")
    url = text(params.get("url"))
    timestamp = _ms(first(params.get("ttm"), params.get("dtm"), received_ms))
    attrs = attributes(
        [
            ("platform", params.get("p")),
            ("locale", params.get("lang")),
            ("source", _utm_source(url)),
        ]
    )
    if kind is EventType.SEARCH:
        found = _self_describing(params)
        data = found[1] if isinstance(found, tuple) else {}
        return _site_search(customer, timestamp, data, params.get("eid"), attrs)
    return page_event(
        config,
        customer,
        timestamp,
        url,
        kind=kind,
        event_id=params.get("eid"),
        referrer_url=text(params.get("refr")),
        attrs=attrs,
    )


def _site_search(
    customer: object,
    timestamp: object,
    data: Mapping[str, object],
    event_id: object,
    attrs: Mapping[str, str],
) -> Mapped:
    """Snowplow's `site_search` event: its terms joined by spaces, and `totalResults`."""
    terms = data.get("terms")
    if isinstance(terms, list) and all(isinstance(t, str) for t in terms):
        query: object = " ".join(str(t) for t in terms)
    else:
        query = terms  # not a list of strings: validation names what is wrong
    return search_event(
        customer, timestamp, query, data.get("totalResults"), event_id=event_id, attrs=attrs
    )


def _tracker_kind(
    params: Mapping[str, object], config: SourceConfig
) -> EventType | Skipped | Invalid:
    e = params.get("e")
    if e == "pv":
        return EventType.PAGE_VIEW
    if e == "pp":
        return PAGE_PING
    if e == "se":
        return config.markers.kind(params.get("se_ac")) or NOT_A_MARKER
    if e == "ue":
        found = _self_describing(params)
        if isinstance(found, Invalid):
            return found
        if found[0] == SITE_SEARCH:
            return EventType.SEARCH
        return config.markers.kind(found[0]) or NOT_A_MARKER
    if isinstance(e, str) and e:
        return NOT_A_MARKER
    return Invalid("missing e (the event type)")


def _self_describing(params: Mapping[str, object]) -> tuple[str, Mapping[str, object]] | Invalid:
    """The event's name from its schema, `iglu:vendor/NAME/jsonschema/1-0-0`, and its data,
    in `ue_pr` (JSON) or `ue_px` (URL-safe base64 of it, padding optional)."""
    raw = params.get("ue_pr")
    if raw is None and isinstance(params.get("ue_px"), str):
        encoded = str(params["ue_px"])
        try:
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError):
            return Invalid("ue_px is not base64")
    if not isinstance(raw, str | bytes):
        return Invalid("missing ue_pr and ue_px")
    try:
        envelope = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return Invalid("ue_pr is not JSON")
    return _unstruct(envelope) or Invalid("the self-describing event has no schema")


def _unstruct(envelope: object) -> tuple[str, Mapping[str, object]] | None:
    """(name, data) of an `unstruct_event` envelope: `{"data": {"schema": ..., "data": ...}}`."""
    inner = envelope.get("data") if isinstance(envelope, dict) else None
    schema = inner.get("schema") if isinstance(inner, dict) else None
    name = _schema_name(schema)
    if name is None or not isinstance(inner, dict):
        return None
    data = inner.get("data")
    return name, data if isinstance(data, dict) else {}


def _schema_name(schema: object) -> str | None:
    if not isinstance(schema, str):
        return None
    parts = schema.removeprefix("iglu:").split("/")
    return parts[1] if len(parts) >= 2 and parts[1] else None


def _ms(raw: object) -> object:
    return int(raw) if isinstance(raw, str) and raw.isdigit() else raw


def _utm_source(url: str | None) -> str | None:
    """What Snowplow's campaign attribution puts in mkt_source, for events not yet enriched."""
    if not url:
        return None
    return dict(parse_qsl(urlsplit(url).query)).get("utm_source")


# ---- the enriched stream -------------------------------------------------------------------


def map_enriched(line: str | bytes, config: SourceConfig) -> Mapped:
    """One enriched TSV line (131 fields) to our event; warehouse timestamps are UTC."""
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError:
            return Invalid("not UTF-8")
    fields = line.rstrip("\r\n").split("\t")
    if len(fields) != len(ENRICHED_FIELDS):
        return Invalid(
            f"not an enriched event: expected {len(ENRICHED_FIELDS)} tab-separated fields"
        )

    def get(name: str) -> str | None:
        return fields[_AT[name]] or None

    kind: EventType | Skipped
    event = get("event")
    if event == "page_view":
        kind = EventType.PAGE_VIEW
    elif event == "page_ping":
        kind = PAGE_PING
    elif event == "struct":
        kind = config.markers.kind(get("se_action")) or NOT_A_MARKER
    elif event == "unstruct" and get("event_name") == SITE_SEARCH:
        kind = EventType.SEARCH
    elif event == "unstruct":
        kind = config.markers.kind(get("event_name")) or NOT_A_MARKER
    else:
        kind = NOT_A_MARKER
    if isinstance(kind, Skipped):
        return kind
    customer = first(get("user_id"), get("domain_userid"), get("network_userid"))
    if customer is None:
        return Invalid("missing user_id, domain_userid and network_userid")
    stamp = first(get("derived_tstamp"), get("collector_tstamp"))
    timestamp = naive_utc_ms(stamp) if isinstance(stamp, str) else None
    attrs = attributes(
        [
            ("platform", get("platform")),
            ("locale", get("br_lang")),
            ("source", get("mkt_source")),
        ]
    )
    if kind is EventType.SEARCH:
        try:
            found = _unstruct(orjson.loads(get("unstruct_event") or "null"))
        except orjson.JSONDecodeError:
            found = None
        data = found[1] if found is not None else {}
        return _site_search(customer, timestamp, data, get("event_id"), attrs)
    return page_event(
        config,
        customer,
        timestamp,
        get("page_url"),
        kind=kind,
        event_id=get("event_id"),
        referrer_url=get("page_referrer"),
        attrs=attrs,
    )
