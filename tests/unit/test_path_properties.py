"""Path resolution does not depend on arrival order, batching or duplicates (hypothesis)."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from graph_model.path.record import (
    Click,
    EventType,
    Path,
    transitions,
)
from ingest.events import parse_event
from ingest.paths import orphan_markers, resolve_paths
from tests.tiers import examples
from tests.unit.path_cases import (
    QUICK,
    TIMEOUT,
    click,
    clicks_of,
    turnarounds_in,
    turnarounds_of,
)

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
