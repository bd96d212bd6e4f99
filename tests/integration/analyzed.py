"""A simulated help center loaded into Neo4j (without Kafka) and analysed once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphdatascience import GraphDataScience
from neo4j import Driver

from algorithms.analyze import Analysis, AnalysisReport
from graph_model.analysis_store import Neo4jAnalysisStore
from graph_model.records import PageCatalogEntry
from graph_model.store import Neo4jPathGraphStore
from ingest.simulator import SimulationConfig, simulate
from tests.integration.ingest_helpers import TIMEOUT_MS, load_events


@dataclass(frozen=True)
class Analyzed:
    truth: dict[str, Any]
    pages: list[dict[str, Any]]
    events: list[dict[str, Any]]


def analyze(driver: Driver) -> AnalysisReport:
    gds = GraphDataScience(driver, show_progress=False)
    return Analysis(Neo4jAnalysisStore(driver, "neo4j"), gds).run()


def load_simulation(driver: Driver, events: int = 30_000, seed: int = 7) -> Analyzed:
    store = Neo4jPathGraphStore(driver, "neo4j", TIMEOUT_MS)
    store.ensure_schema()
    store.clear()
    sim = simulate(SimulationConfig(seed=seed, events=events))
    store.upsert_pages(
        [PageCatalogEntry(p["page_id"], p["title"], p["url"], tuple(p["links"])) for p in sim.pages]
    )
    load_events(store, sim.events)
    return Analyzed(truth=sim.truth, pages=sim.pages, events=sim.events)
