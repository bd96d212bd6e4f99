"""Path resolution (docs/paths.md): the rules, outcome markers, segments."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence

import orjson
import pytest

from graph_model.path.record import (
    Click,
    Path,
    Turnaround,
    path_stats,
    transitions,
)
from ingest.events import parse_event
from ingest.paths import orphan_markers, resolve_paths
from tests.unit.path_cases import (
    MINUTE,
    QUICK,
    TIMEOUT,
    click,
    clicks_of,
    marker,
    resolve,
    summary,
    turnarounds_in,
)

# --- the seed's sample scenario --------------------------------------------------------------

SEED_EVENTS = [
    {"TimeStamp": 1515764691, "CustomerID": 1, "NextPageID": 28, "IsResolved": "False"},
    {"TimeStamp": 1515764752, "CustomerID": 2, "NextPageID": 35, "IsResolved": "False"},
    {"TimeStamp": 1515764876, "CustomerID": 2, "NextPageID": 42, "IsResolved": "True"},
    {"TimeStamp": 1515764997, "CustomerID": 1, "NextPageID": 35, "IsResolved": "False"},
    {"TimeStamp": 1515765000, "CustomerID": 1, "NextPageID": 42, "IsResolved": "True"},
]


def test_seed_check() -> None:
    by_customer: defaultdict[str, list[Click]] = defaultdict(list)
    watermark = 0
    for offset, record in enumerate(SEED_EVENTS):
        event = parse_event(orjson.dumps(record), now_ms=1_515_765_000_000, seq=offset)
        by_customer[event.customer_id].append(event)
        watermark = max(watermark, event.ts_ms)
    paths = [
        path
        for customer, clicks in sorted(by_customer.items())
        for path in resolve_paths(
            customer, clicks, watermark_ms=watermark, timeout_ms=TIMEOUT, quick_ms=QUICK
        )
    ]

    assert [(p.customer_id, p.pages, p.start, p.length, p.outcome) for p in paths] == [
        ("1", ("28", "35", "42"), 1_515_764_691_000, 3, "RESOLVED"),
        ("2", ("35", "42"), 1_515_764_752_000, 2, "RESOLVED"),
    ]


# --- resolution rules ------------------------------------------------------------------------


def test_no_clicks_no_paths() -> None:
    assert resolve_paths("c", [], watermark_ms=0, timeout_ms=TIMEOUT, quick_ms=QUICK) == []


def test_path_ends_at_first_resolved_click_and_next_click_starts_a_new_path() -> None:
    clicks = [
        click("a", 1_000, "A", False, 0),
        click("b", 2_000, "B", True, 1),
        click("c", 3_000, "C", True, 2),
        click("d", 4_000, "D", False, 3),
    ]
    assert summary(resolve(clicks)) == [("AB", "RESOLVED"), ("C", "RESOLVED"), ("D", "OPEN")]


def test_path_fields() -> None:
    clicks = clicks_of("ABA", resolved_last=True)
    [path] = resolve_paths(
        "cust-9", reversed(clicks), watermark_ms=0, timeout_ms=TIMEOUT, quick_ms=QUICK
    )
    assert path.id == "cust-9:k0"
    assert path.customer_id == "cust-9"
    assert path.keys == tuple(c.key for c in clicks)
    assert path.timestamps == tuple(c.ts_ms for c in clicks)
    assert (path.start, path.end, path.length) == (0, 2_000, 3)
    assert (path.pages, path.last_page) == (("A", "B", "A"), "A")
    assert turnarounds_in(path) == (Turnaround(1, "B", "A", True),)
    assert (path.turnarounds, path.quick_turnarounds) == (1, 1)


def test_length_counts_repeats() -> None:
    [path] = resolve(clicks_of("AAAB", resolved_last=True))
    assert path.length == 4


def test_gap_equal_to_timeout_continues_the_path() -> None:
    clicks = [click("a", 0, "A", False, 0), click("b", TIMEOUT, "B", True, 1)]
    assert summary(resolve(clicks)) == [("AB", "RESOLVED")]


def test_gap_one_ms_over_timeout_abandons_the_path() -> None:
    clicks = [click("a", 0, "A", False, 0), click("b", TIMEOUT + 1, "B", True, 1)]
    assert summary(resolve(clicks)) == [("A", "ABANDONED"), ("B", "RESOLVED")]


def test_gap_after_resolution_does_not_matter() -> None:
    clicks = [click("a", 0, "A", True, 0), click("b", 1, "B", False, 1)]
    assert summary(resolve(clicks)) == [("A", "RESOLVED"), ("B", "OPEN")]


@pytest.mark.parametrize(
    ("idle_ms", "outcome"), [(0, "OPEN"), (TIMEOUT, "OPEN"), (TIMEOUT + 1, "ABANDONED")]
)
def test_last_path_open_until_watermark_passes_timeout(idle_ms: int, outcome: str) -> None:
    clicks = clicks_of("AB")
    paths = resolve(clicks, watermark_ms=clicks[-1].ts_ms + idle_ms)
    assert summary(paths) == [("AB", outcome)]


def test_resolved_last_path_stays_resolved_whatever_the_watermark() -> None:
    assert summary(resolve(clicks_of("AB", resolved_last=True), watermark_ms=10**12)) == [
        ("AB", "RESOLVED")
    ]


def test_watermark_behind_the_clicks_keeps_the_path_open() -> None:
    assert summary(resolve(clicks_of("AB"), watermark_ms=0)) == [("AB", "OPEN")]


def test_duplicate_key_keeps_first_arrival() -> None:
    first = click("dup", 5_000, "FIRST", False, 3)
    replay = click("dup", 1_000, "REPLAY", True, 9)
    other = click("x", 2_000, "X", False, 4)
    paths = resolve([replay, other, first])
    assert summary(paths) == [("XFIRST", "OPEN")]


def test_timestamp_ties_are_broken_by_arrival_order() -> None:
    clicks = [click("b", 1_000, "B", False, 8), click("a", 1_000, "A", False, 7)]
    assert resolve(clicks)[0].pages == ("A", "B")


def test_late_click_is_placed_at_its_timestamp() -> None:
    # Delivered last (highest seq) but timestamped between the other two.
    clicks = [
        click("a", 0, "A", False, 0),
        click("c", 2 * TIMEOUT, "C", True, 1),
        click("b", TIMEOUT, "B", False, 2),
    ]
    assert summary(resolve(clicks)) == [("ABC", "RESOLVED")]
    assert summary(resolve(clicks[:2])) == [("A", "ABANDONED"), ("C", "RESOLVED")]


def test_timeout_is_a_parameter() -> None:
    clicks = clicks_of("ABC", step=5_000)
    paths = resolve_paths("c", clicks, watermark_ms=10_000, timeout_ms=4_999, quick_ms=QUICK)
    assert summary(paths) == [("A", "ABANDONED"), ("B", "ABANDONED"), ("C", "OPEN")]


# --- outcome markers (rule 6) ----------------------------------------------------------------


def ends(paths: Sequence[Path]) -> list[tuple[str, str, str | None]]:
    return [("".join(p.pages), p.outcome, p.ended_by) for p in paths]


def test_a_resolution_marker_ends_the_running_path_as_resolved() -> None:
    events = [
        click("a", 0, "A", False, 0),
        click("b", MINUTE, "B", False, 1),
        marker("vote", 2 * MINUTE, "resolution", 2, page="B"),
        click("c", 3 * MINUTE, "C", False, 3),
    ]
    paths = resolve(events)
    assert ends(paths) == [("AB", "RESOLVED", "vote"), ("C", "OPEN", None)]
    # The path's last page is its latest click, and its end that click's time.
    assert (paths[0].last_page, paths[0].end, paths[0].length) == ("B", MINUTE, 2)
    assert orphan_markers(events, paths) == []


def test_an_escalation_marker_ends_the_running_path_as_escalated() -> None:
    events = [
        click("a", 0, "A", False, 0),
        click("b", MINUTE, "B", False, 1),
        click("a2", 2 * MINUTE, "A", False, 2),
        marker("ticket", 2 * MINUTE + 1, "escalation", 3),
    ]
    [path] = resolve(events, watermark_ms=10 * TIMEOUT)
    assert ends([path]) == [("ABA", "ESCALATED", "ticket")]
    assert (path.last_page, path.turnarounds) == ("A", 1)
    stats = path_stats([path])
    assert (stats.completed, stats.escalated, stats.escalation_rate) == (1, 1, 1.0)
    assert (stats.resolved, stats.self_service_rate) == (0, 0.0)


def test_a_marker_up_to_the_timeout_after_the_last_click_ends_the_path() -> None:
    events = [click("a", 0, "A", False, 0), marker("m", TIMEOUT, "escalation", 1)]
    assert ends(resolve(events)) == [("A", "ESCALATED", "m")]


def test_a_marker_after_the_timeout_is_an_orphan_and_the_path_abandoned() -> None:
    events = [click("a", 0, "A", False, 0), marker("late", TIMEOUT + 1, "resolution", 1)]
    paths = resolve(events)
    assert ends(paths) == [("A", "ABANDONED", None)]
    assert [m.key for m in orphan_markers(events, paths)] == ["late"]
    assert path_stats(paths, orphan_markers=1).orphan_markers == 1


def test_a_marker_without_a_running_path_is_an_orphan() -> None:
    events = [
        marker("first", 0, "resolution", 0),  # before any click
        click("a", MINUTE, "A", True, 1),  # the click resolves: its path is over
        marker("again", 2 * MINUTE, "escalation", 2),  # nothing running any more
        click("b", 3 * MINUTE, "B", False, 3),
        marker("ticket", 4 * MINUTE, "escalation", 4),
        marker("twice", 5 * MINUTE, "escalation", 5),  # the path already ended
    ]
    paths = resolve(events)
    assert ends(paths) == [("A", "RESOLVED", None), ("B", "ESCALATED", "ticket")]
    assert [m.key for m in orphan_markers(events, paths)] == ["first", "again", "twice"]


def test_a_marker_never_adds_a_page_or_a_transition() -> None:
    events = [
        click("a", 0, "A", False, 0),
        marker("m1", 1_000, "escalation", 1, page="HELP"),
        click("b", 2_000, "B", False, 2),
        marker("m2", 3_000, "resolution", 3, page="B"),
    ]
    paths = resolve(events)
    assert ends(paths) == [("A", "ESCALATED", "m1"), ("B", "RESOLVED", "m2")]
    assert [transitions(p.pages) for p in paths] == [[], []]
    assert all(key.startswith(("a", "b")) for p in paths for key in p.keys)


def test_a_late_click_before_an_orphan_marker_gets_it() -> None:
    ticket = marker("ticket", TIMEOUT + MINUTE, "escalation", 1)
    first = [click("a", 0, "A", False, 0), ticket]
    assert ends(resolve(first)) == [("A", "ABANDONED", None)]
    # Arrives last, timestamped 2 minutes before the marker: the marker now ends its path.
    late = click("b", TIMEOUT - MINUTE, "B", False, 2)
    assert ends(resolve([*first, late])) == [("AB", "ESCALATED", "ticket")]


@pytest.mark.parametrize(
    ("marker_seq", "expected"),
    [
        # The marker arrived first: it ends A's path, and B starts the next one.
        (1, [("A", "RESOLVED", "m"), ("B", "OPEN", None)]),
        # The click arrived first: it is part of the path the marker ends.
        (3, [("AB", "RESOLVED", "m")]),
    ],
)
def test_a_marker_and_a_click_at_the_same_time_go_in_arrival_order(
    marker_seq: int, expected: list[tuple[str, str, str | None]]
) -> None:
    events = [
        click("a", 0, "A", False, 0),
        click("b", MINUTE, "B", False, 2),
        marker("m", MINUTE, "resolution", marker_seq),
    ]
    assert ends(resolve(events)) == expected


def test_segments_are_the_clicks_attributes_earliest_value_winning() -> None:
    events = [
        # Delivered out of order: the earliest by time wins, not the first to arrive.
        dataclasses.replace(
            click("b", 2_000, "B", False, 0), attributes=(("locale", "de"), ("platform", "web"))
        ),
        dataclasses.replace(click("a", 1_000, "A", False, 1), attributes=(("platform", "ios"),)),
        dataclasses.replace(marker("m", 3_000, "escalation", 2), attributes=(("channel", "chat"),)),
    ]
    [path] = resolve(events)
    # The marker is no click of the path: its attributes are not the path's.
    assert path.segments == ("locale=de", "platform=ios")


def test_a_path_without_attributes_has_no_segments() -> None:
    [path] = resolve(clicks_of("AB"))
    assert path.segments == ()


# --- turnarounds -----------------------------------------------------------------------------
