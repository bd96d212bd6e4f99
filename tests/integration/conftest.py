"""Fixtures shared by the integration modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from neo4j import Driver
from playwright.sync_api import Playwright, sync_playwright

from tests.integration.analyzed import Analyzed, analyzed_simulation


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def data(request: pytest.FixtureRequest, neo4j_driver: Driver) -> Analyzed:
    """The module's simulated help center (its EVENTS clicks), loaded and analysed once."""
    return analyzed_simulation(neo4j_driver, events=request.module.EVENTS)
