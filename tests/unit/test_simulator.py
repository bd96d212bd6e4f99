"""The clickstream simulator: valid click events, determinism, and the planted effects.

Effect checks recompute paths straight from the events (docs/paths.md), independently of
the simulator's own bookkeeping, so they would catch a simulator that plants nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from simulator import Simulation, SimulationConfig, simulate, write_jsonl, write_truth

TIMEOUT_MS = 30 * 60 * 1000
QUICK_MS = 10_000


@dataclass
class Observed:
    """Per-page statistics recomputed from the events alone."""

    paths: list[tuple[list[dict[str, Any]], bool]] = field(default_factory=list)
    visits: Counter[str] = field(default_factory=Counter)
    opportunities: Counter[str] = field(default_factory=Counter)
    turnarounds: Counter[str] = field(default_factory=Counter)
    quick: Counter[str] = field(default_factory=Counter)
    exits: Counter[str] = field(default_factory=Counter)

    @property
    def site_turnaround_rate(self) -> float:
        return sum(self.turnarounds.values()) / sum(self.opportunities.values())

    @property
    def site_exit_rate(self) -> float:
        return sum(self.exits.values()) / sum(self.visits.values())

    def turnaround_rate(self, page: str) -> float:
        return self.turnarounds[page] / self.opportunities[page]

    def exit_rate(self, page: str) -> float:
        return self.exits[page] / self.visits[page]


def split_paths(events: list[dict[str, Any]]) -> list[tuple[list[dict[str, Any]], bool]]:
    """Paths per customer: split after a resolved click or at a gap over the timeout."""
    by_customer: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        by_customer[e["customer_id"]].append(e)
    paths: list[tuple[list[dict[str, Any]], bool]] = []
    for clicks in by_customer.values():
        current: list[dict[str, Any]] = []
        for e in clicks:
            if current and e["timestamp"] - current[-1]["timestamp"] > TIMEOUT_MS:
                paths.append((current, False))
                current = []
            current.append(e)
            if e["is_resolved"]:
                paths.append((current, True))
                current = []
        if current:
            paths.append((current, False))
    return paths


def observe(events: list[dict[str, Any]]) -> Observed:
    obs = Observed(paths=split_paths(events))
    for clicks, resolved in obs.paths:
        pages = [e["page_id"] for e in clicks]
        obs.visits.update(pages)
        for i in range(1, len(pages) - 1):
            obs.opportunities[pages[i]] += 1
            if pages[i + 1] == pages[i - 1] and pages[i] != pages[i - 1]:
                obs.turnarounds[pages[i]] += 1
                if clicks[i + 1]["timestamp"] - clicks[i]["timestamp"] < QUICK_MS:
                    obs.quick[pages[i]] += 1
        if not resolved:
            obs.exits[pages[-1]] += 1
    return obs


@pytest.fixture(scope="module")
def default_sim() -> Simulation:
    return simulate(SimulationConfig(seed=11))


@pytest.fixture(scope="module")
def default_obs(default_sim: Simulation) -> Observed:
    return observe(default_sim.events)


# --- determinism and size -------------------------------------------------------------


def _bytes(sim: Simulation, tmp_path: Path, name: str) -> tuple[bytes, bytes, bytes]:
    write_jsonl(tmp_path / f"{name}.jsonl", sim.events)
    write_truth(tmp_path / f"{name}.json", sim.truth)
    return (
        (tmp_path / f"{name}.jsonl").read_bytes(),
        (tmp_path / f"{name}.json").read_bytes(),
        orjson.dumps(sim.pages),
    )


def test_same_config_gives_byte_identical_output(tmp_path: Path) -> None:
    config = SimulationConfig(seed=5, events=5_000)
    assert _bytes(simulate(config), tmp_path, "a") == _bytes(simulate(config), tmp_path, "b")


def test_different_seed_gives_different_output() -> None:
    a = simulate(SimulationConfig(seed=1, events=2_000))
    b = simulate(SimulationConfig(seed=2, events=2_000))
    assert a.events != b.events
    assert (
        a.truth["hotspots"] != b.truth["hotspots"] or a.truth["dead_ends"] != b.truth["dead_ends"]
    )


def test_site_does_not_depend_on_event_count_at_fixed_page_count() -> None:
    a = simulate(SimulationConfig(seed=3, events=1_000, pages=120))
    b = simulate(SimulationConfig(seed=3, events=3_000, pages=120))
    assert a.pages == b.pages
    assert a.truth["hotspots"] == b.truth["hotspots"]


@pytest.mark.parametrize("target", [1, 500, 20_000])
def test_event_count_reaches_target_and_only_finishes_the_last_session(target: int) -> None:
    sim = simulate(SimulationConfig(seed=4, events=target))
    assert target <= len(sim.events) < target + 40  # 40 = longest session
    assert sim.truth["summary"]["events"] == len(sim.events)


def test_default_site_has_about_120_pages_and_scales_with_events() -> None:
    assert SimulationConfig(seed=0).page_count == 120
    assert SimulationConfig(seed=0, events=1_000_000).page_count > 400
    assert SimulationConfig(seed=0, events=10).page_count == SimulationConfig(seed=0).min_pages


# --- valid events and pages -----------------------------------------------------------


def test_events_have_design_fields_with_our_names(default_sim: Simulation) -> None:
    page_ids = {p["page_id"] for p in default_sim.pages}
    for e in default_sim.events:
        assert list(e) == ["customer_id", "page_id", "timestamp", "is_resolved", "event_id"]
        assert isinstance(e["customer_id"], str)
        assert e["customer_id"].startswith("c")
        assert isinstance(e["page_id"], str)
        assert e["page_id"] in page_ids
        assert type(e["timestamp"]) is int
        assert e["timestamp"] > 10**11
        assert type(e["is_resolved"]) is bool
        assert isinstance(e["event_id"], str)
    assert len({e["event_id"] for e in default_sim.events}) == len(default_sim.events)


def test_events_sorted_and_strictly_increasing_per_customer(default_sim: Simulation) -> None:
    stamps = [e["timestamp"] for e in default_sim.events]
    assert stamps == sorted(stamps)
    assert stamps[0] == SimulationConfig(seed=11).start_ms
    last: dict[str, int] = {}
    for e in default_sim.events:
        assert e["timestamp"] > last.get(e["customer_id"], -1)
        last[e["customer_id"]] = e["timestamp"]


def test_paths_start_in_the_configured_window(
    default_sim: Simulation, default_obs: Observed
) -> None:
    config = SimulationConfig(seed=11)
    end = config.start_ms + config.days * 24 * 3_600_000
    assert all(config.start_ms <= clicks[0]["timestamp"] < end for clicks, _ in default_obs.paths)
    longest_session_ms = 40 * 15 * 60 * 1000
    assert default_sim.events[-1]["timestamp"] < end + longest_session_ms


def test_pages_are_design_records_and_links_reference_existing_pages(
    default_sim: Simulation,
) -> None:
    ids = [p["page_id"] for p in default_sim.pages]
    assert len(set(ids)) == len(ids)
    for page in default_sim.pages:
        assert set(page) == {"page_id", "title", "url", "links", "updated_at"}
        assert page["updated_at"] == default_sim.truth["config"]["start_ms"]
        assert page["title"]
        assert page["url"].startswith("/hc/")
        assert all(link in ids and link != page["page_id"] for link in page["links"])
        assert len(set(page["links"])) == len(page["links"])
    assert default_sim.pages[0]["title"] == "Help Center"


def test_every_page_is_reachable_from_home(default_sim: Simulation) -> None:
    links = {p["page_id"]: p["links"] for p in default_sim.pages}
    seen, todo = {"p000"}, ["p000"]
    while todo:
        for nxt in links[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert seen == set(links)


def test_dead_ends_have_no_useful_links(default_sim: Simulation) -> None:
    links = {p["page_id"]: p["links"] for p in default_sim.pages}
    contact = set(default_sim.truth["contact_pages"])
    for page in default_sim.truth["dead_ends"]:
        assert set(links[page]) <= contact


# --- paths ----------------------------------------------------------------------------


def test_sessions_are_exactly_the_design_paths(
    default_sim: Simulation, default_obs: Observed
) -> None:
    summary = default_sim.truth["summary"]
    assert len(default_obs.paths) == summary["paths"]
    assert sum(resolved for _, resolved in default_obs.paths) == summary["resolved"]
    assert 0.3 < summary["self_service_rate"] < 0.8


def test_some_customers_return_after_the_timeout(default_obs: Observed) -> None:
    per_customer = Counter(clicks[0]["customer_id"] for clicks, _ in default_obs.paths)
    assert sum(1 for n in per_customer.values() if n > 1) > 0.1 * len(per_customer)


def test_path_lengths_vary(default_obs: Observed) -> None:
    lengths = Counter(len(clicks) for clicks, _ in default_obs.paths)
    assert lengths[1] > 0
    assert lengths[2] > 0
    assert max(lengths) >= 10
    assert 2.5 < sum(k * n for k, n in lengths.items()) / lengths.total() < 8


def test_resolutions_happen_on_truth_resolution_pages(
    default_sim: Simulation, default_obs: Observed
) -> None:
    resolved_on = {clicks[-1]["page_id"] for clicks, ok in default_obs.paths if ok}
    assert resolved_on == set(default_sim.truth["resolution_pages"])
    assert not resolved_on & set(default_sim.truth["weak_pages"])
    assert not resolved_on & set(default_sim.truth["hotspots"])


# --- planted effects ------------------------------------------------------------------


def test_hotspots_turn_customers_around_quickly(
    default_sim: Simulation, default_obs: Observed
) -> None:
    hotspots = default_sim.truth["hotspots"]
    assert len(hotspots) == 4
    site = default_obs.site_turnaround_rate
    for page in hotspots:
        assert default_obs.opportunities[page] >= 50
        assert default_obs.turnaround_rate(page) >= 3 * site
        assert default_obs.quick[page] >= 0.8 * default_obs.turnarounds[page]


def test_ordinary_pages_have_a_background_turnaround_and_exit_rate(
    default_sim: Simulation, default_obs: Observed
) -> None:
    planted = {*default_sim.truth["hotspots"], *default_sim.truth["weak_pages"]}
    ordinary = [p for p in default_obs.opportunities if p not in planted]
    turns = sum(default_obs.turnarounds[p] for p in ordinary)
    opportunities = sum(default_obs.opportunities[p] for p in ordinary)
    assert 0.01 < turns / opportunities < 0.08
    assert sum(1 for p in ordinary if default_obs.exits[p] > 0) > 0.9 * len(ordinary)
    # No ordinary page with real traffic turns customers around like a hotspot does.
    busy = [p for p in ordinary if default_obs.opportunities[p] >= 50]
    assert max(default_obs.turnaround_rate(p) for p in busy) < 0.2


def test_dead_ends_are_where_customers_leave(
    default_sim: Simulation, default_obs: Observed
) -> None:
    dead_ends = default_sim.truth["dead_ends"]
    assert len(dead_ends) == 3
    site = default_obs.site_exit_rate
    for page in dead_ends:
        assert default_obs.visits[page] >= 40
        assert default_obs.exit_rate(page) >= max(0.5, 4 * site)


def test_weak_pages_never_resolve_and_mostly_lose_customers(
    default_sim: Simulation, default_obs: Observed
) -> None:
    site = default_obs.site_exit_rate
    for page in default_sim.truth["weak_pages"]:
        assert default_obs.exit_rate(page) >= 3 * site


def test_segments_browse_their_own_part_of_the_site(default_sim: Simulation) -> None:
    truth = default_sim.truth
    region_of = {p: seg for seg, pages in truth["segment_pages"].items() for p in pages}
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for e in default_sim.events:
        region = region_of.get(e["page_id"])  # shared pages (home, contact) belong to no one
        if region is not None:
            segment = truth["segments"][e["customer_id"]]
            total[segment] += 1
            own[segment] += region == segment
    assert set(total) == {"billing", "login", "shipping", "developers"}
    for segment, n in total.items():
        assert own[segment] / n >= 0.75, segment


def test_segment_regions_partition_the_topic_pages(default_sim: Simulation) -> None:
    regions = default_sim.truth["segment_pages"].values()
    pages = [p for region in regions for p in region]
    assert len(pages) == len(set(pages)) == len(default_sim.pages) - 3


def test_effects_follow_their_knobs() -> None:
    """With the hotspot and dead-end behaviour switched off, the detectors above see nothing."""
    sim = simulate(SimulationConfig(seed=11, hotspot_return=0.0, dead_end_exit=0.0))
    obs = observe(sim.events)
    for page in sim.truth["hotspots"]:
        assert obs.turnaround_rate(page) < 2 * obs.site_turnaround_rate
    for page in sim.truth["dead_ends"]:
        assert obs.exit_rate(page) < 2 * obs.site_exit_rate


def test_planted_counts_follow_config() -> None:
    sim = simulate(SimulationConfig(seed=6, events=3_000, hotspots=6, dead_ends=0, segments=6))
    assert len(sim.truth["hotspots"]) == 6
    assert sim.truth["dead_ends"] == []
    assert len(sim.truth["segment_pages"]) == 6


# --- truth and files ------------------------------------------------------------------


def test_truth_is_json_and_complete(default_sim: Simulation, tmp_path: Path) -> None:
    path = tmp_path / "truth.json"
    write_truth(path, default_sim.truth)
    truth = orjson.loads(path.read_bytes())
    for key in (
        "seed",
        "config",
        "hotspots",
        "dead_ends",
        "weak_pages",
        "resolution_pages",
        "segments",
        "segment_pages",
        "summary",
    ):
        assert key in truth
    assert truth["seed"] == 11
    assert truth["config"]["events"] == 50_000
    assert set(truth["segments"]) == {e["customer_id"] for e in default_sim.events}
    assert set(truth["weak_pages"]) >= set(truth["dead_ends"])


def test_write_jsonl_round_trips(tmp_path: Path) -> None:
    sim = simulate(SimulationConfig(seed=8, events=25_000))
    path = tmp_path / "events.jsonl"
    assert write_jsonl(path, sim.events) == len(sim.events)
    lines = path.read_bytes().splitlines()
    assert [orjson.loads(line) for line in lines] == sim.events


def test_config_is_frozen_and_validated() -> None:
    config = SimulationConfig(seed=1)
    with pytest.raises(ValidationError):
        config.seed = 2
    with pytest.raises(ValidationError, match="too small"):
        SimulationConfig(seed=1, pages=10)
    with pytest.raises(ValidationError):
        SimulationConfig(seed=1, segments=99)
    with pytest.raises(ValidationError):
        SimulationConfig(seed=1, unknown_knob=1)  # type: ignore[call-arg]
