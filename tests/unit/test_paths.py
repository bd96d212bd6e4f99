"""Path resolution and turnarounds (docs/paths.md)."""

from __future__ import annotations

import dataclasses
import itertools
from collections import defaultdict
from collections.abc import Sequence

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph_model.path.record import (
    Click,
    EventType,
    Path,
    Turnaround,
    find_turnarounds,
    path_stats,
    transitions,
)
from ingest.events import parse_event
from ingest.paths import orphan_markers, resolve_paths
from tests.tiers import examples

MINUTE = 60_000
TIMEOUT = 30 * MINUTE
QUICK = 10_000


def click(key: str, ts_ms: int, page: str, resolved: bool, seq: int) -> Click:
    return Click(key, "c", page, ts_ms, resolved, seq)


def marker(key: str, ts_ms: int, kind: str, seq: int, page: str = "") -> Click:
    """An outcome marker ("resolution" or "escalation"); its page is informative."""
    return Click(key, "c", page, ts_ms, False, seq, kind=EventType(kind))


def turnarounds_of(clicks: Sequence[Click], quick_ms: int = QUICK) -> tuple[Turnaround, ...]:
    return find_turnarounds([c.page_id for c in clicks], [c.ts_ms for c in clicks], quick_ms)


def turnarounds_in(path: Path) -> tuple[Turnaround, ...]:
    return find_turnarounds(path.pages, path.timestamps, QUICK)


def clicks_of(pages: str, *, step: int = 1_000, resolved_last: bool = False) -> list[Click]:
    """One click per letter, `step` ms apart, keys k0, k1, ... and seq = index."""
    return [
        click(f"k{i}", i * step, page, resolved_last and i == len(pages) - 1, i)
        for i, page in enumerate(pages)
    ]


def resolve(clicks: Sequence[Click], *, watermark_ms: int | None = None) -> list[Path]:
    watermark = max(c.ts_ms for c in clicks) if watermark_ms is None else watermark_ms
    return resolve_paths("c", clicks, watermark_ms=watermark, timeout_ms=TIMEOUT, quick_ms=QUICK)


def summary(paths: Sequence[Path]) -> list[tuple[str, str]]:
    return [("".join(path.pages), path.outcome) for path in paths]


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


def turns(pages: str) -> list[tuple[int, str, str]]:
    """(position, from page A, page B) of each turnaround."""
    found = turnarounds_of(clicks_of(pages))
    return [(t.position, t.from_page_id, t.page_id) for t in found]


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        ("ABA", [(1, "A", "B")]),
        ("CABAD", [(2, "A", "B")]),
        ("ABABA", [(1, "A", "B"), (2, "B", "A"), (3, "A", "B")]),
        ("AAA", []),  # repeated clicks are not turnarounds
        ("AABAA", [(2, "A", "B")]),
        ("ABBA", []),  # not straight back
        ("ABCA", []),
        ("AB", []),
        ("A", []),
        ("", []),
    ],
)
def test_turnaround_examples(pages: str, expected: list[tuple[int, str, str]]) -> None:
    assert turns(pages) == expected


def test_turnarounds_at_the_ends_are_not_counted() -> None:
    # B->A at the start and A->B at the end would need a click before / after the path.
    assert turns("AB") == []
    assert turns("BAB") == [(1, "B", "A")]


@pytest.mark.parametrize(("time_on_b", "quick"), [(9_999, True), (10_000, False), (60_000, False)])
def test_quick_turnaround_threshold(time_on_b: int, quick: bool) -> None:
    clicks = [
        click("a", 0, "A", False, 0),
        click("b", 100_000, "B", False, 1),
        click("a2", 100_000 + time_on_b, "A", False, 2),
    ]
    assert turnarounds_of(clicks) == (Turnaround(1, "B", "A", quick),)


def test_quick_threshold_is_a_parameter() -> None:
    clicks = clicks_of("ABA", step=3_000)
    assert turnarounds_of(clicks, 3_001)[0].quick is True
    assert turnarounds_of(clicks, 3_000)[0].quick is False


def test_quick_uses_time_on_b_not_time_before_it() -> None:
    clicks = [click("a", 0, "A", False, 0), click("b", 1_000_000, "B", False, 1)]
    clicks.append(click("c", 1_001_000, "A", False, 2))
    assert turnarounds_of(clicks)[0].quick is True


def test_turnarounds_are_within_a_path() -> None:
    # A B | A: the path ends (timeout) before the customer comes back.
    clicks = [
        click("a", 0, "A", False, 0),
        click("b", 1_000, "B", False, 1),
        click("c", 1_000 + TIMEOUT + 1, "A", False, 2),
    ]
    assert [turnarounds_in(p) for p in resolve(clicks)] == [(), ()]


def test_transitions_mark_the_pair_leading_to_a_turnaround() -> None:
    [path] = resolve(clicks_of("AABACC"))
    assert transitions(path.pages) == [
        ("A", "A", False),
        ("A", "B", True),
        ("B", "A", False),
        ("A", "C", False),
        ("C", "C", False),
    ]


def test_transitions_of_a_single_click_path() -> None:
    [path] = resolve(clicks_of("A"))
    assert transitions(path.pages) == []


# --- properties ------------------------------------------------------------------------------

PROP_TIMEOUT = 10


@st.composite
def customer_clicks(draw: st.DrawFn, *, distinct_ts: bool = False) -> list[Click]:
    """Unique keys k0..kn with seq = n; a small time range so gaps, ties and splits happen."""
    size = draw(st.integers(0, 25))
    ts_values = st.integers(0, 60)
    if distinct_ts:
        times = draw(st.lists(st.integers(0, 200), min_size=size, max_size=size, unique=True))
    else:
        times = [draw(ts_values) for _ in range(size)]
    return [
        click(f"k{i}", ts, draw(st.sampled_from("ABC")), draw(st.booleans()), i)
        for i, ts in enumerate(times)
    ]


@st.composite
def customer_events(draw: st.DrawFn, *, distinct_ts: bool = False) -> list[Click]:
    """`customer_clicks` with some of them outcome markers, some with attributes."""
    events = []
    for c in draw(customer_clicks(distinct_ts=distinct_ts)):
        kind = draw(st.sampled_from([EventType.PAGE_VIEW] * 3 + list(EventType)))
        attributes = draw(st.lists(st.sampled_from([("p", "x"), ("p", "y"), ("q", "z")])))
        kept = tuple(sorted(dict(attributes).items()))
        if kind.marker:
            events.append(dataclasses.replace(c, kind=kind, resolved=False, attributes=kept))
        else:
            events.append(dataclasses.replace(c, attributes=kept))
    return events


def resolve_prop(clicks: list[Click], watermark: int) -> list[Path]:
    """The paths of `clicks` with the property tests' short timeout."""
    return resolve_paths(
        "c", clicks, watermark_ms=watermark, timeout_ms=PROP_TIMEOUT, quick_ms=QUICK
    )


def _with_replays(clicks: list[Click], data: st.DataObject) -> list[Click]:
    """A shuffled delivery in which some clicks arrive again later (higher seq)."""
    replays = data.draw(st.lists(st.sampled_from(clicks), max_size=10)) if clicks else []
    late = [dataclasses.replace(c, seq=len(clicks) + j) for j, c in enumerate(replays)]
    return list(data.draw(st.permutations(clicks + late)))


@settings(deadline=None, max_examples=examples(100))
@given(customer_events(), st.data(), st.integers(0, 100))
def test_paths_do_not_depend_on_order_or_duplicates(
    clicks: list[Click], data: st.DataObject, watermark: int
) -> None:
    delivered = _with_replays(clicks, data)
    expected = resolve_prop(clicks, watermark)
    actual = resolve_prop(delivered, watermark)
    assert actual == expected
    assert {m.key for m in orphan_markers(delivered, actual)} == {
        m.key for m in orphan_markers(clicks, expected)
    }


def _content(paths: Sequence[Path]) -> list[tuple[object, ...]]:
    # Everything but seq, which is the arrival order itself.
    return [
        (
            p.id,
            p.outcome,
            p.ended_by,
            p.segments,
            turnarounds_in(p),
            list(zip(p.keys, p.timestamps, p.pages, strict=True)),
        )
        for p in paths
    ]


@settings(deadline=None, max_examples=examples(100))
@given(customer_events(distinct_ts=True), st.data(), st.integers(0, 250))
def test_paths_do_not_depend_on_kafka_arrival_order(
    clicks: list[Click], data: st.DataObject, watermark: int
) -> None:
    # seq is the position in the delivered stream, as a Kafka offset would be.
    shuffled = data.draw(st.permutations(clicks))
    replays = data.draw(st.lists(st.sampled_from(clicks), max_size=5)) if clicks else []
    delivered = [dataclasses.replace(c, seq=seq) for seq, c in enumerate([*shuffled, *replays])]
    expected = resolve_prop(clicks, watermark)
    actual = resolve_prop(delivered, watermark)
    assert _content(actual) == _content(expected)


@settings(deadline=None, max_examples=examples(100))
@given(customer_clicks(), st.data(), st.integers(0, 100))
def test_paths_partition_the_clicks_in_time_order(
    clicks: list[Click], data: st.DataObject, watermark: int
) -> None:
    delivered = _with_replays(clicks, data)
    paths = resolve_prop(delivered, watermark)

    # Every (distinct) click in exactly one path, the paths in time order, none empty.
    by_key = {c.key: c for c in clicks}
    assert all(path.keys for path in paths)
    flat = [by_key[key] for path in paths for key in path.keys]
    assert flat == sorted(clicks, key=lambda c: (c.ts_ms, c.seq))
    _check_boundaries(paths, watermark, by_key)


@settings(deadline=None, max_examples=examples(100))
@given(customer_events(), st.integers(0, 100))
def test_markers_add_no_page_and_each_ends_one_path_or_none(
    events: list[Click], watermark: int
) -> None:
    paths = resolve_prop(events, watermark)
    views = [e for e in events if not e.kind.marker]
    markers = {e.key: e for e in events if e.kind.marker}
    # The paths hold exactly the page views, in time order; no marker is a click of one.
    flat = [key for path in paths for key in path.keys]
    assert flat == [c.key for c in sorted(views, key=lambda c: (c.ts_ms, c.seq))]
    # A marker ends at most one path, as the outcome of its type, after the path's last click
    # and within the timeout; the others are the orphans.
    ending = [p.ended_by for p in paths if p.ended_by is not None]
    assert len(ending) == len(set(ending))
    for path in paths:
        if path.ended_by is not None:
            m = markers[path.ended_by]
            expected = "RESOLVED" if m.kind is EventType.RESOLUTION else "ESCALATED"
            assert path.outcome == expected
            assert 0 <= m.ts_ms - path.end <= PROP_TIMEOUT
    orphans = {m.key for m in orphan_markers(events, paths)}
    assert orphans == markers.keys() - set(ending)


def _check_boundaries(paths: Sequence[Path], watermark: int, by_key: dict[str, Click]) -> None:
    for i, path in enumerate(paths):
        mine = [by_key[key] for key in path.keys]
        gaps = [b.ts_ms - a.ts_ms for a, b in itertools.pairwise(mine)]
        assert all(gap <= PROP_TIMEOUT for gap in gaps)
        assert not any(c.resolved for c in mine[:-1])
        assert (path.outcome == "RESOLVED") == mine[-1].resolved
        if i + 1 < len(paths):
            gap_to_next = paths[i + 1].start - path.end
            assert path.outcome == "RESOLVED" or (
                path.outcome == "ABANDONED" and gap_to_next > PROP_TIMEOUT
            )
        elif path.outcome != "RESOLVED":
            idle_ok = watermark - path.end <= PROP_TIMEOUT
            assert path.outcome == ("OPEN" if idle_ok else "ABANDONED")


@given(st.text(alphabet="ABC", max_size=12), st.integers(1, 20_000))
def test_turnarounds_match_transitions(pages: str, step: int) -> None:
    clicks = clicks_of(pages, step=step)
    found = turnarounds_of(clicks)
    marked = [pair for pair in transitions(pages) if pair[2]]
    assert len(marked) == len(found)
    for turn in found:
        assert 0 < turn.position < len(pages) - 1
        assert pages[turn.position - 1] == pages[turn.position + 1] == turn.from_page_id
        assert pages[turn.position] == turn.page_id != turn.from_page_id
        assert turn.quick == (step < QUICK)


def test_the_documented_marker_example() -> None:
    """docs/paths.md, "Outcome markers": customer c9."""
    lines = [
        '{"customer_id": "c9", "page_id": "home", "timestamp": "2026-12-01T10:00:00Z"}',
        '{"customer_id": "c9", "page_id": "refund-policy", "timestamp": "2026-12-01T10:00:40Z"}',
        '{"customer_id": "c9", "event_type": "escalation", "timestamp": "2026-12-01T10:02:10Z"}',
        '{"customer_id": "c9", "page_id": "home", "timestamp": "2026-12-01T10:30:00Z"}',
        '{"customer_id": "c9", "page_id": "invoice-faq", "timestamp": "2026-12-01T10:31:00Z"}',
        '{"customer_id": "c9", "event_type": "resolution", "page_id": "invoice-faq", '
        '"timestamp": "2026-12-01T10:31:20Z"}',
        '{"customer_id": "c9", "event_type": "escalation", "timestamp": "2026-12-01T10:31:30Z"}',
        '{"customer_id": "c9", "event_type": "resolution", "timestamp": "2026-12-01T12:00:00Z"}',
    ]
    events = [
        parse_event(line.encode(), now_ms=1_900_000_000_000, seq=i) for i, line in enumerate(lines)
    ]
    paths = resolve_paths(
        "c9", events, watermark_ms=events[-1].ts_ms, timeout_ms=TIMEOUT, quick_ms=QUICK
    )
    assert [(p.pages, p.outcome, p.end) for p in paths] == [
        (("home", "refund-policy"), "ESCALATED", events[1].ts_ms),
        (("home", "invoice-faq"), "RESOLVED", events[4].ts_ms),
    ]
    assert [m.ts_ms for m in orphan_markers(events, paths)] == [events[6].ts_ms, events[7].ts_ms]
