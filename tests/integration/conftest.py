"""Fixtures shared by the integration modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from neo4j import Driver
from playwright.sync_api import Playwright, sync_playwright

from tests.integration.analyzed import Analyzed, analyzed_simulation
from tests.integration.ingest_helpers import TestGraph, clean_graph, fresh_names


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def data(request: pytest.FixtureRequest, neo4j_driver: Driver) -> Analyzed:
    """The module's simulated help center (its EVENTS clicks), loaded and analysed once; a
    module with FULL = True gets every planted effect (outcome events, attributes), minus
    its SIMULATION overrides."""
    module = request.module
    return analyzed_simulation(
        neo4j_driver,
        events=module.EVENTS,
        full=getattr(module, "FULL", False),
        **getattr(module, "SIMULATION", {}),
    )


@pytest.fixture
def store(neo4j_driver: Driver) -> TestGraph:
    """An empty graph with its schema, for a test that ingests."""
    return clean_graph(neo4j_driver)


@pytest.fixture
def names() -> dict[str, str]:
    """Fresh topic, catalog topic and group names (PATHRANK_* variables) for one test."""
    return fresh_names()
