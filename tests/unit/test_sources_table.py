"""Any CSV/JSONL export: --map, --timezone, --resolved-when, --escalated-when, --attributes,
--page-rules (docs/sources.md "Any export")."""

from __future__ import annotations

import pytest

from ingest.events import event_from_record
from ingest.sources.common import Skipped
from ingest.sources.page_rules import PageRules
from ingest.sources.table import MappingError, TableMapping

NOW = 1_900_000_000_000
ROW = {
    "user_id": "u1",
    "session_id": "s1",
    "event": "page_view",
    "timestamp": "2024-03-13 10:21:14",
    "platform": "ios",
    "acquisition_channel": "email",
    "page": "/hc/en-us/articles/7-reset/",
}


def mapping(**options: object) -> TableMapping:
    return TableMapping.parse(
        maps=["customer_id=user_id", "page_id=page"],
        **options,  # type: ignore[arg-type]
    )


def test_without_options_a_row_is_unchanged() -> None:
    assert TableMapping.parse().map_row(ROW) == ROW


def test_the_findings_export() -> None:
    m = TableMapping.parse(
        maps=["customer_id=user_id", "page_id=page"],
        timezone="Europe/Berlin",
        attribute_columns=["platform,channel=acquisition_channel"],
    )
    event = m.map_row(ROW)
    # 10:21:14 in Berlin in March (CET, +01:00) is 09:21:14 UTC.
    assert event == ROW | {
        "customer_id": "u1",
        "page_id": "/hc/en-us/articles/7-reset/",
        "timestamp": 1_710_321_674_000,
        "attributes": {"platform": "ios", "channel": "email"},
    }
    assert isinstance(event, dict)
    click = event_from_record(event, now_ms=NOW)
    assert (click.customer_id, click.ts_ms) == ("u1", 1_710_321_674_000)


def test_daylight_saving_time_and_zoned_values() -> None:
    m = mapping(timezone="Europe/Berlin")
    summer = m.map_row(ROW | {"timestamp": "2024-07-01T12:00:00"})
    zoned = m.map_row(ROW | {"timestamp": "2024-07-01T12:00:00+00:00"})
    epoch = m.map_row(ROW | {"timestamp": "1719835200"})
    assert isinstance(summer, dict)
    assert summer["timestamp"] == 1_719_828_000_000  # CEST, +02:00
    assert isinstance(zoned, dict)
    assert zoned["timestamp"] == "2024-07-01T12:00:00+00:00"  # a zone given is kept
    assert isinstance(epoch, dict)
    assert epoch["timestamp"] == "1719835200"


def test_without_a_timezone_naive_times_stay_invalid() -> None:
    event = mapping().map_row(ROW)
    assert isinstance(event, dict)
    assert event["timestamp"] == "2024-03-13 10:21:14"


def test_resolved_and_escalated_rows() -> None:
    m = mapping(resolved_when=["event=article_helpful"], escalated_when=["event=ticket_created"])
    helpful = m.map_row(ROW | {"event": "article_helpful"})
    ticket = m.map_row(ROW | {"event": "ticket_created"})
    view = m.map_row(ROW)
    assert isinstance(helpful, dict)
    assert helpful["is_resolved"] is True
    assert "event_type" not in helpful
    assert isinstance(ticket, dict)
    assert ticket["event_type"] == "escalation"
    assert isinstance(view, dict)
    assert "is_resolved" not in view
    assert "event_type" not in view


def test_json_values_match_as_csv_would_spell_them() -> None:
    m = mapping(resolved_when=["helpful=true", "votes=1"])
    assert m.map_row(ROW | {"helpful": True}) != m.map_row(ROW | {"helpful": False})
    resolved = m.map_row(ROW | {"votes": 1})
    assert isinstance(resolved, dict)
    assert resolved["is_resolved"] is True


def test_a_mapped_field_replaces_every_alias_of_it() -> None:
    m = TableMapping.parse(maps=["customer_id=account"])
    event = m.map_row({"account": "a1", "userid": "stale", "CustomerID": "old", "page_id": "p"})
    # The source column stays (unknown fields are ignored); the other aliases are gone.
    assert event == {"account": "a1", "customer_id": "a1", "page_id": "p"}


def test_page_rules_on_page_and_referrer_columns() -> None:
    rules = PageRules.parse(
        "[[rule]]\nmatch = '^/hc/[a-z-]+/articles/(\\d+)'\npage = 'article-$1'\n"
        "[[rule]]\nmatch = '^/admin'\nexclude = true\n"
    )
    m = TableMapping.parse(maps=["page_id=page", "referrer_page_id=from"], page_rules=rules)
    row = {"page": "https://h/hc/en-us/articles/7-x?a=1", "from": "/hc/en-us/"}
    assert m.map_row(row) == row | {"page_id": "article-7", "referrer_page_id": "/hc/en-us"}
    assert m.map_row({"page": "/admin/users"}) == Skipped("excluded by a page rule")
    marker = m.map_row({"page": "/admin/users", "event_type": "escalation"})
    assert isinstance(marker, dict)
    assert marker["page_id"] == ""


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"maps": ["customer_id"]}, "--map: expected FIELD=COLUMN"),
        ({"maps": ["user=user_id"]}, "--map: unknown field 'user'"),
        ({"maps": ["page_id=a", "page_id=b"]}, "--map: page_id is mapped twice"),
        ({"timezone": "Mars/Olympus"}, "--timezone: unknown time zone 'Mars/Olympus'"),
        ({"resolved_when": ["event"]}, "--resolved-when: expected COLUMN=VALUE"),
        ({"attribute_columns": ["Platform"]}, "--attributes: 'Platform' is not an attribute name"),
        ({"attribute_columns": [",".join(f"c{i}" for i in range(17))]}, "--attributes: at most 16"),
    ],
)
def test_bad_options_say_which(options: dict[str, object], message: str) -> None:
    with pytest.raises(MappingError, match=message.replace("(", r"\(")):
        TableMapping.parse(**options)  # type: ignore[arg-type]
