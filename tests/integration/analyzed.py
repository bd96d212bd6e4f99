"""A simulated help center loaded into Neo4j (without Kafka) and analysed once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from neo4j import Driver

from graph_model.run.record import AnalysisRun
from simulator import SimulationConfig, simulate
from tests.integration.ingest_helpers import NOW_MS, wiring


@dataclass(frozen=True)
class Analyzed:
    truth: dict[str, Any]
    pages: list[dict[str, Any]]
    events: list[dict[str, Any]]


def analyze(driver: Driver) -> AnalysisRun:
    return wiring().analysis(driver).run()


def load_simulation(
    driver: Driver,
    events: int = 30_000,
    seed: int = 7,
    *,
    full: bool = False,
    **overrides: Any,
) -> Analyzed:
    """`full`: every planted effect on (votes, escalations, attributes...), with `overrides`
    of the simulation's settings."""
    w = wiring()
    admin = w.admin(driver)
    admin.ensure_schema()
    admin.clear()
    make = SimulationConfig.full if full else SimulationConfig
    sim = simulate(make(seed=seed, events=events, **overrides))
    w.load(driver, sim.events, sim.pages, now_ms=NOW_MS)
    return Analyzed(truth=sim.truth, pages=sim.pages, events=sim.events)


def analyzed_simulation(
    driver: Driver, events: int = 30_000, seed: int = 7, *, full: bool = False, **overrides: Any
) -> Analyzed:
    """A simulation loaded and analysed once."""
    loaded = load_simulation(driver, events, seed, full=full, **overrides)
    analyze(driver)
    return loaded
