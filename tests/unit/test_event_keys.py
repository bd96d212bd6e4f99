"""A click's key (docs/events.md, "Event keys and duplicates") and its canonical JSON, which
reads back as the same click."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from graph_model.path.record import Click
from ingest.events import (
    DEFAULT_MIN_TIMESTAMP_MS,
    MAX_ID_BYTES,
    Limits,
    event_key,
    event_to_json,
    parse_event,
)
from tests.unit.event_helpers import (
    ALIASES,
    ID_CHARACTERS,
    NOW,
    SEED_TS,
    SKEW_MS,
    base,
    click,
    parse,
)

# --- keys ------------------------------------------------------------------------------------


def test_key_is_stable_across_aliases_and_units() -> None:
    ours = parse(
        {"customer_id": "1", "page_id": "28", "timestamp": 1_515_764_691_000, "is_resolved": False}
    )
    seed = parse(
        {"TimeStamp": "1515764691", "CustomerID": 1, "NextPageID": 28, "IsResolved": "False"}
    )
    iso = parse({"userid": 1, "pageid_target": "28", "epochtime": "2018-01-12T13:44:51Z"})
    assert ours.key == seed.key == iso.key
    assert len(ours.key) >= 16


@pytest.mark.parametrize(
    "change",
    [
        {"customer_id": "2"},
        {"page_id": "29"},
        {"timestamp": 1_515_764_691_001},
        {"is_resolved": True},
    ],
)
def test_key_depends_on_every_identifying_field(change: dict[str, Any]) -> None:
    record = {"customer_id": "1", "page_id": "28", "timestamp": 1_515_764_691_000}
    assert parse(record).key != parse({**record, **change}).key


def test_key_does_not_depend_on_referrer() -> None:
    assert parse(base(referrer_page_id="p0")).key == parse(base()).key


def test_key_is_unambiguous_about_separators() -> None:
    # Joined with "|" these two would both read "a|1|2|p|False".
    assert event_key("a|1", 2, "p", False) != event_key("a", 1, "2|p", False)


@st.composite
def same_click_spellings(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """One click written twice with independently chosen aliases and value forms."""
    customer = draw(st.integers(0, 10**6))
    page = draw(st.integers(0, 10**6))
    seconds = draw(st.integers(DEFAULT_MIN_TIMESTAMP_MS // 1000, (NOW + SKEW_MS) // 1000))
    resolved = draw(st.booleans())

    def spelling() -> dict[str, Any]:
        ts_forms = [seconds, str(seconds)]
        if seconds * 1000 > 10**11:
            ts_forms += [seconds * 1000, str(seconds * 1000)]
        resolved_forms = [resolved, str(resolved), str(resolved).lower(), int(resolved)]
        return {
            draw(st.sampled_from(ALIASES["customer"])): draw(
                st.sampled_from([customer, str(customer)])
            ),
            draw(st.sampled_from(ALIASES["page"])): draw(st.sampled_from([page, str(page)])),
            draw(st.sampled_from(ALIASES["timestamp"])): draw(st.sampled_from(ts_forms)),
            draw(st.sampled_from(ALIASES["resolved"])): draw(st.sampled_from(resolved_forms)),
        }

    return spelling(), spelling()


@given(same_click_spellings())
def test_key_stability_property(spellings: tuple[dict[str, Any], dict[str, Any]]) -> None:
    first, second = (parse(record) for record in spellings)
    assert first == second


# --- canonical JSON --------------------------------------------------------------------------

_ids = st.one_of(
    st.text(ID_CHARACTERS, min_size=1, max_size=MAX_ID_BYTES // 4).filter(str.strip),
    st.integers(-(2**63), 2**64 - 1).map(str),
)
_events = st.builds(
    Click,
    customer_id=_ids,
    page_id=_ids,
    ts_ms=st.integers(0, NOW + SKEW_MS),
    resolved=st.booleans(),
    key=_ids,
    referrer_page_id=st.none() | _ids,
)


@given(_events)
@example(click("c", "p", 1_001, False, "k", None))  # written as 1.001 s
@example(click("c", "p", 10**11 + 1, True, "k", "r"))
def test_event_to_json_round_trips(event: Click) -> None:
    # With the timestamp floor lowered to 1970 (PATHRANK_MIN_TIMESTAMP), so that times below
    # 10^11 ms, written in seconds, are read back too.
    assert parse_event(event_to_json(event), now_ms=NOW, limits=Limits(min_ms=0)) == event


def test_event_to_json_uses_our_names() -> None:
    event = parse({"TimeStamp": SEED_TS, "CustomerID": 1, "NextPageID": 28, "IsResolved": "True"})
    assert orjson.loads(event_to_json(event)) == {
        "customer_id": "1",
        "page_id": "28",
        "timestamp": SEED_TS * 1000,
        "is_resolved": True,
        "event_id": event.key,
    }


def test_event_to_json_keeps_early_millisecond_timestamps_unambiguous() -> None:
    # 1970-era ms values are <= 10^11 and would be read back as seconds if written as ms.
    early = click("c", "p", 12_345, False, "k", None)
    assert orjson.loads(event_to_json(early))["timestamp"] == 12.345
    anytime = Limits(min_ms=0)  # PATHRANK_MIN_TIMESTAMP at 1970
    assert parse_event(event_to_json(early), now_ms=NOW, limits=anytime).ts_ms == 12_345
