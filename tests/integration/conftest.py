"""Fixtures shared by the integration modules."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from neo4j import Driver
from playwright.sync_api import BrowserContext, Playwright, sync_playwright

from tests.integration import datasets
from tests.integration.analyzed import Analyzed
from tests.integration.api_server import serve
from tests.integration.browser import DASHBOARD_VIEWPORT, chromium_context
from tests.integration.collector_helpers import MAX_BODY, collector_settings
from tests.integration.graphql_http import API_KEY, Api
from tests.integration.ingest_helpers import TestGraph, clean_graph, fresh_names


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture
def dashboard_browser(playwright: Playwright) -> Iterator[BrowserContext]:
    """Headless Chromium at the dashboard's size (1280x800), accepting downloads (CSV)."""
    viewport = DASHBOARD_VIEWPORT
    with chromium_context(playwright, accept_downloads=True, viewport=viewport) as context:
        yield context


@pytest.fixture(scope="module")
def data(request: pytest.FixtureRequest, neo4j_driver: Driver) -> Analyzed:
    """The module's simulated help center (tests/integration/datasets.py: its DATASET, or
    the simulation its EVENTS, FULL, SIMULATION and MISLEADING_LINKS describe), loaded and
    analysed once for every module that reads the same one."""
    dataset = datasets.of_module(request.module)
    assert dataset is not None, f"{request.module.__name__} names no data set"
    loaded = datasets.use(neo4j_driver, dataset)
    return Analyzed(truth=loaded.truth, pages=loaded.pages, events=loaded.events)


@pytest.fixture(scope="module")
def api(services: dict[str, Any], data: Analyzed) -> Iterator[Api]:
    """`pathrank serve` on the module's data set, with the API key and without the response
    cache (these tests measure execution: answers, query counts; the cache is
    test_response_cache.py's). Modules with an API client of their own define `api` too."""
    with serve(services, PATHRANK_API_KEY=API_KEY, PATHRANK_API_CACHE="0") as base:
        yield Api(base)


@pytest.fixture(scope="module")
def server(services: dict[str, Any], data: Analyzed) -> Iterator[str]:
    """`pathrank serve` with its default settings on the module's data set, for the pages a
    browser opens; its base URL. Modules that need other settings define `server` too."""
    with serve(services) as base:
        yield base


@pytest.fixture
def browser(playwright: Playwright) -> Iterator[BrowserContext]:
    """Debian's Chromium, headless, with a fresh profile for each test."""
    with chromium_context(playwright) as context:
        yield context


@pytest.fixture(scope="module")
def collector_topic() -> str:
    """A fresh topic for the module's collector."""
    return f"collected-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def collector(
    services: dict[str, Any], collector_topic: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """`pathrank serve` with the collector on (collector_helpers.collector_settings, bodies up
    to MAX_BODY) producing to `collector_topic`; its base URL."""
    settings = collector_settings(tmp_path_factory.mktemp("rules"))
    limit = str(MAX_BODY)
    with serve(
        services,
        PATHRANK_TOPIC=collector_topic,
        PATHRANK_COLLECTOR_MAX_BODY_BYTES=limit,
        **settings,
    ) as url:
        yield url


@pytest.fixture
def store(neo4j_driver: Driver) -> TestGraph:
    """An empty graph with its schema, for a test that ingests."""
    return clean_graph(neo4j_driver)


@pytest.fixture
def names() -> dict[str, str]:
    """Fresh topic, catalog topic and group names (PATHRANK_* variables) for one test."""
    return fresh_names()
