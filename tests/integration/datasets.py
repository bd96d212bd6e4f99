"""The simulated help centers the integration tests share, each built once per test run.

The tests share one Neo4j database, so a data set is "built" when the graph holds it: a
module names its data set (`DATASET = ...`), the collection puts modules of one data set
next to each other (tests/conftest.py), and `use` loads and analyses it only when the graph
does not hold it unchanged: the graph version (graph_model/version.py) that the load left is
recorded beside its name, and any write since (ingest, an analysis, a clear) changes it.
The simulations themselves are computed once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from neo4j import Driver

from graph_model.version import READ_VERSION
from simulator import Simulation, SimulationConfig, simulate
from tests.integration.ingest_helpers import NOW_MS, wiring

_MARK = "MATCH (m:Meta {id: 'test-dataset'}) RETURN m.name AS name, m.version AS version"
_SET_MARK = "MERGE (m:Meta {id: 'test-dataset'}) SET m.name = $name, m.version = $version"


@dataclass(frozen=True)
class DataSet:
    """A simulation loaded as `Wiring.load` writes it (no Kafka) and, if `analysed`, analysed.
    `catalog_changes`: the simulator's later catalog versions are loaded too (stories).
    Two modules that ask for equal data sets share one build."""

    config: SimulationConfig
    catalog_changes: bool = False
    analysed: bool = True

    @property
    def name(self) -> str:
        flags = f"catalog={self.catalog_changes},analysed={self.analysed}"
        return f"{self.config.model_dump_json()}/{flags}"


@dataclass(frozen=True)
class Loaded:
    """What the tests compare the graph with: the simulation's truth, pages and events."""

    truth: dict[str, Any]
    pages: list[dict[str, Any]]
    events: list[dict[str, Any]]
    simulation: Simulation


@cache
def simulation(config: SimulationConfig) -> Simulation:
    return simulate(config)


def use(driver: Driver, dataset: DataSet) -> Loaded:
    """The graph holding `dataset` (loaded and analysed unless it holds it unchanged)."""
    sim = simulation(dataset.config)
    loaded = Loaded(sim.truth, sim.pages, sim.events, sim)
    if _holds(driver, dataset.name):
        return loaded
    w = wiring()
    admin = w.admin(driver)
    admin.ensure_schema()
    admin.clear()
    pages = list(sim.pages)
    if dataset.catalog_changes:
        pages += [record for _, record in sim.catalog_changes]
    w.load(driver, sim.events, pages, now_ms=NOW_MS)
    if dataset.analysed:
        w.analysis(driver).run()
    version = driver.execute_query(READ_VERSION).records[0]["version"]
    driver.execute_query(_SET_MARK, name=dataset.name, version=version)
    return loaded


def _holds(driver: Driver, name: str) -> bool:
    marks = driver.execute_query(_MARK).records
    versions = driver.execute_query(READ_VERSION).records
    return bool(
        marks
        and versions
        and marks[0]["name"] == name
        and marks[0]["version"] == versions[0]["version"]
    )


# ---- the data sets -----------------------------------------------------------------------

STORIES_START = 1_767_600_000_000  # 2026-01-05T08:00Z, a Monday


def stories(seed: int, events: int = 40_000) -> DataSet:
    """63 days with the three planted stories (a break, a fix, a segment's break)."""
    config = SimulationConfig(
        seed=seed,
        events=events,
        days=63,
        start_ms=STORIES_START,
        stories=True,
        attributes=True,
        weekend_traffic=0.6,
    )
    return DataSet(config, catalog_changes=True)


def demo(seed: int, events: int) -> DataSet:
    """The demo's simulation (every planted effect, 63 days with its stories, a third of
    the sessions searching, four planted content gaps) at a size (pathrank/cli/demo.py)."""
    config = SimulationConfig.full(
        seed=seed, events=events, days=63, stories=True, search_share=0.3, content_gaps=4
    )
    return DataSet(config, catalog_changes=True)


# The API and the dashboard: every planted effect, two misleading links.
HELP_CENTER = DataSet(SimulationConfig.full(seed=7, events=15_000, misleading_links=2))


def of_module(module: object) -> DataSet | None:
    """The data set a test module reads through the `data` fixture: its DATASET, else the
    simulation its EVENTS (FULL, SIMULATION, MISLEADING_LINKS) describe."""
    dataset = getattr(module, "DATASET", None)
    if isinstance(dataset, DataSet):
        return dataset
    events = getattr(module, "EVENTS", None)
    if not isinstance(events, int):
        return None
    overrides: dict[str, Any] = dict(getattr(module, "SIMULATION", {}))
    if hasattr(module, "MISLEADING_LINKS"):
        overrides["misleading_links"] = module.MISLEADING_LINKS
    seed = overrides.pop("seed", 7)
    make = SimulationConfig.full if getattr(module, "FULL", False) else SimulationConfig
    return DataSet(make(seed=seed, events=events, **overrides))
