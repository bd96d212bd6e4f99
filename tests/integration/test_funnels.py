"""Funnels and time on page against an independent reference (docs/analytics.md, "Funnels"
and "Time on page"), on a simulated help center with outcome events, attributes and
searches.

The reference takes the paths that tests/integration/ingest_helpers.reference derives from
the events (not the graph) and applies the definitions as written: a path enters step 1 at
its first match; step k+1 is the first match strictly later than step k's and no later than
the window after step 1's; the resolution and escalation come after the last page, at the
time of the resolving click or the marker. Quartiles are numpy's (linear interpolation).
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import numpy as np
import pytest
from neo4j import Driver

from graph_model.funnel.record import Funnel, FunnelEvent, FunnelStepSpec
from graph_model.graph import GraphReads
from graph_model.timewindow import ALL_TIME, TimeWindow
from tests.integration.api_server import serve
from tests.integration.funnel_helpers import (
    RefPath,
    RefStep,
    Step,
    completed_paths,
    reference_dwell,
    reference_funnel,
    with_searches,
)
from tests.integration.ingest_helpers import NOW_MS, TestGraph, load_events, wiring

T = TypeVar("T")
EVENTS = 4_000


@dataclass(frozen=True)
class Loaded:
    events: list[dict[str, Any]]
    paths: list[RefPath]  # completed paths, from the reference


@pytest.fixture(scope="module")
def loaded(neo4j_driver: Driver) -> Loaded:
    events, pages = with_searches(11, EVENTS)
    w = wiring()
    w.admin(neo4j_driver).ensure_schema()
    w.admin(neo4j_driver).clear()
    w.load(neo4j_driver, events, pages, now_ms=NOW_MS)
    paths = completed_paths(events)
    return Loaded(events, paths)


def read(use: Callable[[GraphReads], Coroutine[Any, Any, T]]) -> T:
    async def run() -> T:
        async with wiring().graph_reads()() as reads:
            return await use(reads)

    return asyncio.run(run())


def spec(step: Step) -> FunnelStepSpec:
    kind, value = step
    if kind == "page":
        return FunnelStepSpec(page_id=value)
    if kind == "pattern":
        return FunnelStepSpec(pattern=value)
    return FunnelStepSpec(event=FunnelEvent(value))


def assert_equal(found: Funnel, expected: tuple[int, list[RefStep]]) -> None:
    considered, steps = expected
    assert found.paths == considered
    assert len(found.steps) == len(steps)
    for got, want in zip(found.steps, steps, strict=True):
        assert (got.reached, got.converted) == (want.reached, want.converted), got.step
        assert got.dropped == want.reached - want.converted
        if want.minutes:
            assert got.median_minutes_to_next == pytest.approx(float(np.median(want.minutes)))
        else:
            assert got.median_minutes_to_next is None
        drops: dict[str | None, list[int]] = defaultdict(lambda: [0, 0, 0])
        assert want.drops is not None
        for (page, outcome), n in want.drops.items():
            drops[page][["RESOLVED", "ABANDONED", "ESCALATED"].index(outcome)] += n
        assert {d.page_id: [d.resolved, d.abandoned, d.escalated] for d in got.drop_offs} == drops
        assert all(d.paths == d.resolved + d.abandoned + d.escalated for d in got.drop_offs)
        assert [d.paths for d in got.drop_offs] == sorted(
            (d.paths for d in got.drop_offs), reverse=True
        )


FUNNELS: dict[str, tuple[list[Step], int | None]] = {
    "pages": ([("page", "p000"), ("page", "p003"), ("page", "p006")], None),
    "patterns": ([("pattern", "^p00[0-2]$"), ("pattern", r"p0[1-3]\d"), ("pattern", "8$")], None),
    "events": (
        [("event", "SEARCH"), ("pattern", "p0[2-3]"), ("event", "RESOLUTION")],
        None,
    ),
    "escalation": ([("page", "p000"), ("event", "SEARCH"), ("event", "ESCALATION")], None),
    "repeats": ([("page", "p000"), ("page", "p000"), ("page", "p000")], None),
    "window": ([("page", "p000"), ("pattern", "p0[0-3]"), ("event", "RESOLUTION")], 2),
    "outcome first": ([("event", "RESOLUTION"), ("page", "p000")], None),
}


@pytest.mark.parametrize("name", list(FUNNELS))
def test_funnel_equals_the_reference(loaded: Loaded, name: str) -> None:
    steps, within = FUNNELS[name]
    found = read(lambda g: g.funnels.funnel([spec(s) for s in steps], within))
    expected = reference_funnel(loaded.paths, steps, within)
    assert expected[1][0].reached > 0 or name == "outcome first"
    assert_equal(found, expected)


def test_funnel_in_a_window_and_a_segment(loaded: Loaded) -> None:
    starts = sorted(p.start for p in loaded.paths)
    window = TimeWindow(starts[len(starts) // 4], starts[3 * len(starts) // 4])
    segment = Counter(s for p in loaded.paths for s in p.segments).most_common(1)[0][0]
    steps, within = FUNNELS["events"]
    found = read(lambda g: g.funnels.funnel([spec(s) for s in steps], within, window, segment))
    expected = reference_funnel(loaded.paths, steps, within, window, segment)
    assert 0 < expected[0] < len(loaded.paths) // 2
    assert_equal(found, expected)


@pytest.mark.parametrize("filtered", [False, True], ids=["all", "window and segment"])
def test_time_on_page_equals_numpy_quartiles(loaded: Loaded, filtered: bool) -> None:
    window, segment = ALL_TIME, None
    if filtered:
        starts = sorted(p.start for p in loaded.paths)
        window = TimeWindow(starts[len(starts) // 3], None)
        segment = Counter(s for p in loaded.paths for s in p.segments).most_common(2)[1][0]
    expected = reference_dwell(loaded.paths, window, segment)
    ids = sorted({page for p in loaded.paths for page in p.pages})
    found = read(lambda g: g.dwell.time_on_page(ids, window, segment))
    assert set(found) == set(expected)
    assert len(expected) > 10
    for page, (n, median, p25, p75) in expected.items():
        got = found[page]
        assert got.observations == n, page
        assert (got.median, got.p25, got.p75) == pytest.approx((median, p25, p75)), page


def test_the_api_answers_funnels_and_refuses_what_it_cannot_translate(
    services: dict[str, Any], loaded: Loaded
) -> None:
    query = """
    query($steps: [FunnelStepInput!]!, $within: Int) {
      funnel(steps: $steps, withinMinutes: $within) {
        paths
        steps { index reached converted dropped medianMinutesToNext
                dropOffNext(limit: 3) { pageId paths resolved abandoned escalated page { id } } }
      }
      page(id: "p000") { timeOnPage { observations median p25 p75 } }
    }"""
    steps = [{"pageId": "p000"}, {"event": "SEARCH"}, {"pattern": "p0[2-3]"}]
    with serve(services) as url:

        def ask(variables: dict[str, Any]) -> dict[str, Any]:
            answer = httpx.post(
                f"{url}/graphql", json={"query": query, "variables": variables}, timeout=30
            )
            assert answer.status_code == 200, answer.text
            body: dict[str, Any] = answer.json()
            return body

        body = ask({"steps": steps, "within": 30})
        assert "errors" not in body, body
        funnel = body["data"]["funnel"]
        considered, want = reference_funnel(
            loaded.paths, [("page", "p000"), ("event", "SEARCH"), ("pattern", "p0[2-3]")], 30
        )
        assert funnel["paths"] == considered
        assert [s["reached"] for s in funnel["steps"]] == [w.reached for w in want]
        first = funnel["steps"][0]["dropOffNext"]
        assert len(first) == 3
        assert all(d["page"] is None or d["page"]["id"] == d["pageId"] for d in first)
        n, median, p25, p75 = reference_dwell(loaded.paths)["p000"]
        dwell = body["data"]["page"]["timeOnPage"]
        assert dwell["observations"] == n
        assert (dwell["median"], dwell["p25"], dwell["p75"]) == pytest.approx((median, p25, p75))

        refusals = {
            "possessive": [{"pattern": "p0++"}, {"pageId": "p000"}],
            "named group": [{"pattern": "(?P<n>p0)"}, {"pageId": "p000"}],
            "not a regex": [{"pattern": "p0["}, {"pageId": "p000"}],
            "one step": [{"pageId": "p000"}],
            "eleven steps": [{"pageId": "p000"}] * 11,
        }
        for name, bad in refusals.items():
            body = ask({"steps": bad})
            assert body["data"] is None or body["data"]["funnel"] is None, name
            [error] = body["errors"]
            assert error["extensions"]["code"] == "BAD_USER_INPUT", (name, error)
            assert "funnel" in error["message"], (name, error)
        for bad_step in ({"pageId": "p000", "event": "SEARCH"}, {}):
            body = ask({"steps": [bad_step, {"pageId": "p000"}]})
            assert body.get("data") is None, bad_step
            assert body["errors"], bad_step
        body = ask({"steps": steps, "within": 0})
        assert "positive" in body["errors"][0]["message"]


def test_the_documented_example(store: TestGraph) -> None:
    """docs/analytics.md, "Funnels" and "Time on page": the examples, number for number."""
    t0, minute = 1_767_600_000_000, 60_000

    def click(customer: str, page: str, at: float, **more: Any) -> dict[str, Any]:
        event = {"customer_id": customer, "page_id": page, "timestamp": t0 + round(at), **more}
        if page == "search":  # a search event: a step on the search page
            return {**event, "page_id": None, "event_type": "search", "query": "refund"}
        return event

    events = [
        click("c1", "A", 0), click("c1", "search", 2 * minute),
        click("c1", "B", 3 * minute, is_resolved=True),
        click("c2", "A", 0), click("c2", "B", minute), click("c2", "search", 4 * minute),
        click("c2", "B", 5 * minute),
        click("c3", "search", 0), click("c3", "A", minute), click("c3", "C", 2 * minute),
        click("c3", "", 15 * minute, event_type="escalation"),
        click("c4", "A", 0), click("c4", "search", 12 * minute),
        click("c4", "B", 13 * minute, is_resolved=True),
        click("late", "Z", 600 * minute),  # moves the watermark: path 2 is abandoned
    ]  # fmt: skip
    for k, seconds in enumerate([2, 4, 10, 30]):
        events += [click(f"d{k}", "D", 0), click(f"d{k}", "E", seconds * 1000, is_resolved=True)]
    load_events(store.driver, events)
    steps = [FunnelStepSpec(page_id="A"), FunnelStepSpec(event=FunnelEvent.SEARCH)]
    steps.append(FunnelStepSpec(event=FunnelEvent.RESOLUTION))
    found = read(lambda g: g.funnels.funnel(steps, 10))
    assert [(s.reached, s.converted, s.dropped) for s in found.steps] == [
        (4, 2, 2), (2, 1, 1), (1, 1, 0),
    ]  # fmt: skip
    assert [s.median_minutes_to_next for s in found.steps] == [3, 1, None]
    drops = found.steps[0].drop_offs
    assert {(d.page_id, d.resolved, d.abandoned, d.escalated) for d in drops} == {
        ("C", 0, 0, 1), ("search", 1, 0, 0),
    }  # fmt: skip
    assert [(d.page_id, d.abandoned) for d in found.steps[1].drop_offs] == [("B", 1)]
    unbounded = read(lambda g: g.funnels.funnel(steps))
    assert [s.reached for s in unbounded.steps] == [4, 3, 2]
    dwell = read(lambda g: g.dwell.time_on_page(["D"]))["D"]
    assert (dwell.observations, dwell.p25, dwell.median, dwell.p75) == (4, 3.5, 7, 15)
