"""GA4's BigQuery export rows to our events (docs/sources.md "GA4"). Rows follow the export
schema, https://support.google.com/analytics/answer/7029846 ("BigQuery Export schema"), as
`bq extract --destination_format NEWLINE_DELIMITED_JSON` writes them (INTEGERs as strings)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ingest.sources.common import Invalid, Markers, Skipped, SourceConfig
from ingest.sources.ga4 import event_params, map_row

CONFIG = SourceConfig(markers=Markers(frozenset({"article_helpful"}), frozenset({"generate_lead"})))


def row(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_date": "20240313",
        "event_timestamp": "1710325274123456",
        "event_name": "page_view",
        "event_params": [
            {"key": "ga_session_id", "value": {"int_value": "1710325200"}},
            {
                "key": "page_location",
                "value": {"string_value": "https://help.example.com/hc/en-us/articles/42-x/"},
            },
            {
                "key": "page_referrer",
                "value": {"string_value": "https://help.example.com/hc/en-us"},
            },
            {"key": "page_title", "value": {"string_value": "Reset your password"}},
            {"key": "engagement_time_msec", "value": {"int_value": "100"}},
        ],
        "user_id": None,
        "user_pseudo_id": "1234567890.1710325200",
        "batch_page_id": "1710325274000",
        "batch_ordering_id": "1",
        "batch_event_index": "0",
        "device": {"category": "mobile", "operating_system": "Android"},
        "geo": {"country": "Germany", "city": "Berlin"},
        "traffic_source": {"name": "(direct)", "medium": "(none)", "source": "(direct)"},
    }
    return base | overrides


def test_a_page_view_row() -> None:
    identity = json.dumps(
        ["1234567890.1710325200", "1710325274123456", "1710325274000", "1", "0"],
        separators=(",", ":"),
    )
    assert map_row(row(), CONFIG) == {
        "customer_id": "1234567890.1710325200",
        "timestamp": 1_710_325_274_123,  # microseconds to the nearest millisecond
        "page_id": "/hc/en-us/articles/42-x",
        "event_id": hashlib.blake2b(identity.encode(), digest_size=16).hexdigest(),
        "referrer_page_id": "/hc/en-us",
        "attributes": {"device": "mobile", "country": "Germany", "source": "(direct)"},
    }


def test_user_id_wins_and_numbers_may_be_numbers() -> None:
    event = map_row(row(user_id="u-7", event_timestamp=1_710_325_274_123_500), CONFIG)
    assert isinstance(event, dict)
    assert (event["customer_id"], event["timestamp"]) == ("u-7", 1_710_325_274_124)


def test_marker_and_skipped_event_names() -> None:
    lead = map_row(row(event_name="generate_lead"), CONFIG)
    assert isinstance(lead, dict)
    assert lead["event_type"] == "escalation"
    assert isinstance(map_row(row(event_name="scroll"), CONFIG), Skipped)


def test_invalid_rows() -> None:
    assert map_row(row(event_timestamp="soon"), CONFIG) == Invalid(
        "event_timestamp is not an integer of microseconds"
    )
    assert map_row(row(user_pseudo_id=None), CONFIG) == Invalid(
        "missing user_id and user_pseudo_id"
    )
    assert map_row(row(event_params=[{"value": {}}]), CONFIG) == Invalid(
        "an event_params entry has no key"
    )
    assert map_row(row(event_params=[]), CONFIG) == Invalid("missing page URL")
    assert map_row(row(event_name=None), CONFIG) == Invalid("missing event_name")


def test_event_params_take_whichever_value_is_set() -> None:
    params = event_params(
        [
            {"key": "a", "value": {"string_value": None, "int_value": "5"}},
            {"key": "b", "value": {"double_value": 0.5}},
            {"key": "c", "value": {"string_value": "x"}},
        ]
    )
    assert params == {"a": "5", "b": 0.5, "c": "x"}
