"""The simulator's planted effects beyond page views: resolution votes, escalations,
attributes, the weekly cycle, misleading links and the time-bounded stories. Every check
recomputes from the events alone (paths split by the rules of docs/paths.md, markers
included), never from the simulator's bookkeeping."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest

from simulator import Simulation, SimulationConfig, simulate

TIMEOUT_MS = 30 * 60 * 1000
DAY_MS = 24 * 3_600_000


@dataclass
class Journey:
    customer: str
    clicks: list[dict[str, Any]] = field(default_factory=list)
    outcome: str = "ABANDONED"  # RESOLVED, ESCALATED, or ABANDONED (none open at the end)

    @property
    def pages(self) -> list[str]:
        return [c["page_id"] for c in self.clicks]

    @property
    def start(self) -> int:
        return int(self.clicks[0]["timestamp"])


def journeys(events: list[dict[str, Any]]) -> list[Journey]:
    """Paths by the rules: a gap over the timeout, a resolving click, or an outcome event
    within the timeout of the last click ends the running path."""
    by_customer: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        by_customer[e["customer_id"]].append(e)
    out: list[Journey] = []
    for customer, mine in by_customer.items():
        run: Journey | None = None
        for e in mine:
            kind = e.get("event_type", "page_view")
            if kind != "page_view":
                if run and e["timestamp"] - run.clicks[-1]["timestamp"] <= TIMEOUT_MS:
                    run.outcome = "RESOLVED" if kind == "resolution" else "ESCALATED"
                    out.append(run)
                    run = None
                continue
            if run and e["timestamp"] - run.clicks[-1]["timestamp"] > TIMEOUT_MS:
                out.append(run)
                run = None
            run = run or Journey(customer)
            run.clicks.append(e)
            if e["is_resolved"]:
                run.outcome = "RESOLVED"
                out.append(run)
                run = None
        if run:
            out.append(run)
    return out


@pytest.fixture(scope="module")
def full() -> Simulation:
    return simulate(SimulationConfig.full(seed=7, events=40_000, days=28))


@pytest.fixture(scope="module")
def paths(full: Simulation) -> list[Journey]:
    return journeys(full.events)


def test_resolution_votes_follow_a_click_and_replace_resolving_clicks(full: Simulation) -> None:
    votes = [e for e in full.events if e.get("event_type") == "resolution"]
    clicks = [e for e in full.events if e["is_resolved"]]
    assert 0.3 < len(votes) / (len(votes) + len(clicks)) < 0.5  # vote_share 0.4
    last: dict[str, dict[str, Any]] = {}
    for e in full.events:
        if e.get("event_type") == "resolution":
            before = last[e["customer_id"]]
            assert 2_000 <= e["timestamp"] - before["timestamp"] <= 20_000
            assert e["page_id"] == before["page_id"]  # informative: the page that helped
        elif "event_type" not in e:
            last[e["customer_id"]] = e


def test_planted_escalation_articles_are_where_customers_give_up(
    full: Simulation, paths: list[Journey]
) -> None:
    visits: Counter[str] = Counter()
    escalations: Counter[str] = Counter()
    for j in paths:
        visits.update(j.pages)
        if j.outcome == "ESCALATED":
            escalations[j.pages[-1]] += 1
    site_rate = sum(escalations.values()) / sum(visits.values())
    assert set(full.truth["escalation_articles"]) < set(full.truth["escalation_hotspots"])
    for page in full.truth["escalation_hotspots"]:
        assert visits[page] >= 100
        assert escalations[page] / visits[page] >= 5 * site_rate
    planted = set(full.truth["escalation_hotspots"])
    ordinary = [p for p in visits if p not in planted and visits[p] >= 100]
    assert max(escalations[p] / visits[p] for p in ordinary) < 2 * site_rate


def test_a_misleading_link_sends_customers_straight_back(
    full: Simulation, paths: list[Journey]
) -> None:
    [[a, b]] = full.truth["misleading_links"]
    [[c, b2]] = full.truth["innocent_links"]
    assert b2 == b

    def u_turn_rate(origin: str) -> tuple[float, int]:
        continuations = u_turns = 0
        for j in paths:
            p = j.pages
            for i in range(1, len(p) - 1):
                if (p[i - 1], p[i]) == (origin, b):
                    continuations += 1
                    u_turns += p[i + 1] == origin
        return u_turns / max(continuations, 1), continuations

    misleading, n_a = u_turn_rate(a)
    innocent, n_c = u_turn_rate(c)
    assert n_a >= 40
    assert n_c >= 20
    assert misleading >= 0.4
    assert innocent < 0.15


def test_every_event_carries_platform_and_locale(full: Simulation) -> None:
    assert all(set(e["attributes"]) == {"platform", "locale"} for e in full.events)
    per_customer = {e["customer_id"]: e["attributes"]["platform"] for e in full.events}
    mobile = sum(p == "mobile" for p in per_customer.values()) / len(per_customer)
    assert 0.3 < mobile < 0.4
    # A customer's attributes do not change between events.
    seen: dict[str, dict[str, str]] = {}
    for e in full.events:
        assert seen.setdefault(e["customer_id"], e["attributes"]) == e["attributes"]


def test_weekends_are_quieter(paths: list[Journey]) -> None:
    starts: Counter[bool] = Counter()
    for j in paths:
        starts[(j.start // DAY_MS) % 7 in (2, 3)] += 1  # day 0 (1970-01-01) was a Thursday
    per_weekend_day = starts[True] / 2
    per_weekday = starts[False] / 5
    assert 0.45 < per_weekend_day / per_weekday < 0.8  # weekend_traffic 0.6


def test_without_effects_the_clicks_of_a_seed_stay_where_they_were() -> None:
    plain = simulate(SimulationConfig(seed=5, events=5_000))
    votes_only = simulate(SimulationConfig(seed=5, events=5_000, vote_share=1.0))
    key = ("customer_id", "page_id", "timestamp")
    clicks = [tuple(e[k] for k in key) for e in votes_only.events if "event_type" not in e]
    assert clicks == [tuple(e[k] for k in key) for e in plain.events]
    assert not any(e["is_resolved"] for e in votes_only.events)  # every resolution is a vote


@pytest.fixture(scope="module")
def long_run() -> Simulation:
    return simulate(SimulationConfig.full(seed=3, events=120_000, days=84))


def _leave_rate(paths: list[Journey], page: str, when: Any) -> tuple[float, int]:
    """Of the paths through `page` that start when `when` says, the share that end there
    without resolving."""
    through = [j for j in paths if page in j.pages and when(j)]
    left = [j for j in through if j.pages[-1] == page and j.outcome != "RESOLVED"]
    return len(left) / max(len(through), 1), len(through)


def test_stories_break_fix_and_segment(long_run: Simulation) -> None:
    stories = {s["kind"]: s for s in long_run.truth["stories"]}
    assert set(stories) == {"break", "fix", "segment_break"}
    paths = journeys(long_run.events)

    broken = stories["break"]
    before, n1 = _leave_rate(paths, broken["page"], lambda j: j.start < broken["from_ms"])
    after, n2 = _leave_rate(paths, broken["page"], lambda j: j.start >= broken["from_ms"])
    assert min(n1, n2) >= 50
    assert after >= before + 0.3

    fixed = stories["fix"]
    before, n1 = _leave_rate(paths, fixed["page"], lambda j: j.start < fixed["from_ms"])
    after, n2 = _leave_rate(paths, fixed["page"], lambda j: j.start >= fixed["from_ms"])
    assert min(n1, n2) >= 50
    assert before >= after + 0.3
    [(when, record)] = long_run.catalog_changes  # the fix is a catalog change
    assert when == fixed["from_ms"]
    assert record["page_id"] == fixed["page"]
    assert record["title"].endswith("(updated)")

    seg = stories["segment_break"]
    assert seg["segment"] == "platform=mobile"
    assert seg["until_ms"] - seg["from_ms"] == 14 * DAY_MS
    platform = {e["customer_id"]: e["attributes"]["platform"] for e in long_run.events}

    def window(j: Journey) -> bool:
        return bool(seg["from_ms"] <= j.start < seg["until_ms"])

    mobile, n1 = _leave_rate(
        paths, seg["page"], lambda j: window(j) and platform[j.customer] == "mobile"
    )
    desktop, n2 = _leave_rate(
        paths, seg["page"], lambda j: window(j) and platform[j.customer] == "desktop"
    )
    assert min(n1, n2) >= 20
    assert mobile >= desktop + 0.3


def test_stories_need_weeks_of_traffic() -> None:
    short = simulate(SimulationConfig.full(seed=3, events=2_000, days=7))
    assert short.truth["stories"] == []
    assert short.catalog_changes == []
