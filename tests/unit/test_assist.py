"""Live assist's rule and its announcements (docs/assist.md): pure logic, with the expected
verdicts and records worked out by hand from the rule as documented."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import orjson
import pytest

from graph_model.assist.record import (
    NEVER_AT_RISK,
    Announcement,
    AssistFigures,
    BadAnnouncementError,
    PairChance,
    RiskReason,
    RiskState,
    announcement_json,
    parse_announcement,
)
from graph_model.assist.store import AssistChanges, EndedAtRisk
from graph_model.path.batch import BatchWrite
from graph_model.path.record import Click, Outcome, Path, PathRules
from ingest.assist import AssistRules, LiveFigures, assess, judge
from ingest.batch import compute_batch

T = 1_767_600_000_000  # 2026-01-05T08:00:00Z
MIN = 60_000
TIMEOUT = 30 * MIN
RULES = AssistRules()
FIGURES = AssistFigures(
    run="run-1",
    success={"home": 0.5, "good": 0.6, "bad": 0.1, "hot": 0.4, "lost": 0.15},
    hotspots=frozenset({"hot"}),
)

LOW, HOT, LINK = RiskReason.LOW_CHANCE, RiskReason.HOTSPOT_TURNAROUND, RiskReason.MISLEADING_LINK


def reasons(pages: Sequence[str], figures: AssistFigures = FIGURES) -> list[tuple[str, ...]]:
    return [
        tuple(r.value for r in judge(pages, i, figures, RULES).reasons) for i in range(len(pages))
    ]


def test_a_low_chance_counts_from_the_third_click_on() -> None:
    assert reasons(["bad", "bad", "bad", "good"]) == [(), (), ("LOW_CHANCE",), ()]
    assert judge(["home", "good", "lost"], 2, FIGURES, RULES).chance == 0.15
    # At the threshold is not below it; an unknown page has no chance at all.
    at = AssistFigures(run="r", success={"p": 0.2})
    assert reasons(["p", "p", "p"], at) == [(), (), ()]
    assert judge(["home", "good", "new-page"], 2, FIGURES, RULES).chance is None
    assert reasons(["home", "good", "new-page"]) == [(), (), ()]


def test_a_turnaround_at_a_hotspot_puts_the_path_at_risk_at_once() -> None:
    # home -> hot -> home: the customer turned back at the hotspot.
    assert reasons(["home", "hot", "home"]) == [(), (), ("HOTSPOT_TURNAROUND",)]
    # Not at a page that is no hotspot, and a repeat of the same page is no turnaround.
    assert reasons(["home", "good", "home"]) == [(), (), ()]
    assert reasons(["hot", "hot", "hot"]) == [(), (), ()]


def test_the_second_order_chance_needs_twenty_observations() -> None:
    pairs = {("home", "good"): PairChance(0.05, 20), ("hot", "good"): PairChance(0.01, 19)}
    figures = AssistFigures(run="r", success=FIGURES.success, pairs=pairs)
    assert judge(["x", "home", "good"], 2, figures, RULES).chance == 0.05
    assert reasons(["x", "home", "good"], figures) == [(), (), ("LOW_CHANCE",)]
    # 19 observations: the page's own 0.6.
    assert judge(["x", "hot", "good"], 2, figures, RULES).chance == 0.6


def test_arriving_by_a_misleading_link() -> None:
    figures = AssistFigures(
        run="r", success={"a": 0.9, "b": 0.9}, misleading=frozenset({("a", "b")})
    )
    assert reasons(["a", "b"], figures) == [(), ("MISLEADING_LINK",)]
    both = AssistFigures(run="r", success={"a": 0.9, "b": 0.1}, misleading=frozenset({("a", "b")}))
    assert reasons(["a", "a", "b"], both) == [(), (), ("LOW_CHANCE", "MISLEADING_LINK")]


# ---- assess: one batch's states and announcements ---------------------------------------


def clicks(customer: str, pages: Sequence[str], start: int = T, step: int = MIN) -> list[Click]:
    return [
        Click(f"{customer}-{i}", customer, page, start + i * step, page == "done", i)
        for i, page in enumerate(pages)
    ]


def batch_of(
    stored: Sequence[Click], new: Sequence[Click], watermark: int | None = None
) -> BatchWrite:
    every = [*stored, *new]
    wm = watermark if watermark is not None else max(c.ts_ms for c in every)
    by = {"c": list(stored)} if stored else {}
    return compute_batch({"c": list(new)}, by, wm, PathRules(TIMEOUT, 10_000))


def run(
    stored_clicks: Sequence[Click],
    new: Sequence[Click],
    stored: Mapping[str, RiskState] | None = None,
    ended: Sequence[EndedAtRisk] = (),
    watermark: int | None = None,
    figures: AssistFigures | None = FIGURES,
) -> AssistChanges:
    batch = batch_of(stored_clicks, new, watermark)
    return assess(batch, stored or {}, ended, figures, RULES, {"c": ("clicks", 2)}, TIMEOUT)


def test_a_new_path_announces_each_change_with_its_number() -> None:
    # bad bad bad (at risk at click 3), good (recovers at click 4), lost (at risk at 5).
    changes = run([], clicks("c", ["bad", "bad", "bad", "good", "lost"]))
    got = [(a.id, a.at_risk, a.page, a.clicks, a.time, a.reasons) for a in changes.announcements]
    assert got == [
        ("c:c-0#1", True, "bad", 3, T + 2 * MIN, (LOW,)),
        ("c:c-0#2", False, "good", 4, T + 3 * MIN, ()),
        ("c:c-0#3", True, "lost", 5, T + 4 * MIN, (LOW,)),
    ]
    first = changes.announcements[0]
    assert (first.customer, first.path, first.previous_page, first.chance) == (
        "c",
        "c:c-0",
        "bad",
        0.1,
    )
    assert (first.run, first.source_topic, first.source_partition, first.outcome) == (
        "run-1",
        "clicks",
        2,
        None,
    )
    ((path_id, state),) = changes.states
    assert path_id == "c:c-0"
    assert state == RiskState(
        at_risk=True,
        risk_changes=3,
        was_at_risk=True,
        risk_chance=0.15,
        risk_reasons=(LOW,),
        risk_page="lost",
        risk_since=T + 4 * MIN,
        risk_topic="clicks",
        risk_partition=2,
    )


def test_a_growing_path_is_judged_at_its_new_clicks_only() -> None:
    old = clicks("c", ["bad", "bad", "bad"])
    at_risk = RiskState(True, 1, True, 0.1, (LOW,), "bad", T + 2 * MIN, "clicks", 2)
    more = clicks("c", ["bad", "bad", "bad", "bad", "good"])[3:]
    changes = run(old, more, {"c:c-0": at_risk})
    # Click 4 keeps it at risk (no announcement); click 5 recovers: change number 2.
    assert [(a.id, a.at_risk, a.clicks) for a in changes.announcements] == [("c:c-0#2", False, 5)]


def test_nothing_changes_nothing_is_written() -> None:
    old = clicks("c", ["home", "good"])
    changes = run(old, clicks("c", ["home", "good", "good"])[2:])
    assert changes.states == []
    assert changes.announcements == []


def test_a_resolving_click_ends_the_risk_and_is_not_judged() -> None:
    old = clicks("c", ["bad", "bad", "bad"])
    at_risk = RiskState(True, 1, True, 0.1, (LOW,), "bad", T + 2 * MIN, "clicks", 2)
    # "done" resolves (see `clicks`): the path ends there.
    changes = run(old, clicks("c", ["bad", "bad", "bad", "done"])[3:], {"c:c-0": at_risk})
    (a,) = changes.announcements
    assert (a.id, a.at_risk, a.outcome, a.page, a.time, a.chance) == (
        "c:c-0#2",
        False,
        Outcome.RESOLVED,
        "done",
        T + 3 * MIN,
        None,
    )
    assert changes.states[0][1].was_at_risk
    assert not changes.states[0][1].at_risk


def test_a_path_the_watermark_closed_ends_its_risk_at_the_timeout() -> None:
    path = Path.of("z", clicks("z", ["bad", "bad", "bad"]), Outcome.ABANDONED, 10_000)
    state = RiskState(True, 1, True, 0.1, (LOW,), "bad", T + 2 * MIN, "clicks", 0)
    late = clicks("c", ["home"], start=T + 40 * MIN)
    changes = run([], late, ended=[EndedAtRisk(path, state)])
    (a,) = changes.announcements
    assert (a.id, a.customer, a.at_risk, a.outcome, a.time) == (
        "z:z-0#2",
        "z",
        False,
        Outcome.ABANDONED,
        T + 2 * MIN + TIMEOUT,
    )
    assert (a.source_topic, a.source_partition) == ("clicks", 0)  # where its clicks came from
    assert changes.states == [
        ("z:z-0", RiskState(False, 2, True, None, (), "bad", a.time, "clicks", 0))
    ]


def test_history_is_recorded_but_only_live_changes_are_announced() -> None:
    # A replayed export: the path is at risk then recovers an hour before the watermark.
    changes = run(
        [], clicks("c", ["bad", "bad", "bad", "good"]), watermark=T + 3 * MIN + 2 * TIMEOUT
    )
    assert changes.announcements == []
    (_, state) = changes.states[0]
    assert (state.risk_changes, state.was_at_risk, state.at_risk) == (2, True, False)


def test_before_any_analysis_nothing_is_judged() -> None:
    changes = run([], clicks("c", ["bad", "bad", "bad"]), figures=None)
    assert changes.states == []
    assert changes.announcements == []


# ---- the record -------------------------------------------------------------------------


def test_the_json_of_an_announcement() -> None:
    a = Announcement(
        id="c:e1#1",
        customer="c",
        path="c:e1",
        at_risk=True,
        page="p3",
        clicks=3,
        time=T + 1234,
        chance=0.125,
        reasons=(LOW, HOT),
        previous_page="p2",
        run="run-1",
        source_topic="clicks",
        source_partition=1,
    )
    assert orjson.loads(announcement_json(a)) == {
        "id": "c:e1#1",
        "customer": "c",
        "path": "c:e1",
        "atRisk": True,
        "page": "p3",
        "previousPage": "p2",
        "chance": 0.125,
        "reasons": ["LOW_CHANCE", "HOTSPOT_TURNAROUND"],
        "clicks": 3,
        "outcome": None,
        "time": "2026-01-05T08:00:01.234Z",
        "run": "run-1",
    }
    # What travels comes back; the outbox bookkeeping does not travel.
    assert parse_announcement(announcement_json(a)) == replace(
        a, source_topic="", source_partition=-1
    )


@pytest.mark.parametrize("raw", [b"", b"[1]", b'{"id": 1}', b"not json", b'{"id": "x"}'])
def test_what_is_no_announcement_is_one_clear_error(raw: bytes) -> None:
    with pytest.raises(BadAnnouncementError):
        parse_announcement(raw)


# ---- figures in memory --------------------------------------------------------------------


class Source:
    def __init__(self) -> None:
        self.run: str | None = None
        self.checks = 0
        self.loads: list[str] = []

    def current_run(self) -> str | None:
        self.checks += 1
        return self.run

    def figures(self, run: str) -> AssistFigures | None:
        self.loads.append(run)
        return AssistFigures(run=run, success={})


def test_the_current_run_is_checked_at_most_every_refresh_and_loaded_once() -> None:
    now = [0.0]
    source = Source()
    live = LiveFigures(source, refresh_s=5, clock=lambda: now[0])
    assert live.current() is None  # no analysis yet
    source.run = "r1"
    now[0] = 4.9
    assert live.current() is None
    assert source.checks == 1
    now[0] = 5.0
    figures = live.current()
    assert figures is not None
    assert figures.run == "r1"
    for t in (10.0, 15.0, 20.0):
        now[0] = t
        live.current()
    assert source.checks == 5
    assert source.loads == ["r1"]
    source.run = "r2"
    now[0] = 25.0
    figures = live.current()
    assert figures is not None
    assert figures.run == "r2"
    assert source.loads == ["r1", "r2"]


def test_the_never_at_risk_state_is_the_default() -> None:
    assert RiskState() == NEVER_AT_RISK
    assert not NEVER_AT_RISK.at_risk
