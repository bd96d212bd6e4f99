"""Session fixtures: the real Neo4j and Kafka, started by `pathrank services up`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from neo4j import Driver, GraphDatabase

from tests.tiers import examples

REPO = Path(__file__).resolve().parent.parent
PATHRANK = str(Path(sys.executable).parent / "pathrank")

# Properties without a number of examples of their own: hypothesis' 100 in soak, 20 here.
settings.register_profile("tier", max_examples=examples(100), deadline=None)
settings.load_profile("tier")


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run the real `pathrank` console script, as a user would."""
    return subprocess.run(
        [PATHRANK, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=REPO,
        check=False,
    )


@pytest.fixture(scope="session")
def services() -> dict[str, Any]:
    """`pathrank services up` once per session, then its `status --json`."""
    up = run_cli("services", "up")
    assert up.returncode == 0, f"services up failed: {up.stderr}"
    status = run_cli("services", "status", "--json")
    assert status.returncode == 0, status.stderr
    info: dict[str, Any] = json.loads(status.stdout)
    assert info["neo4j"]["up"], info
    assert info["kafka"]["up"], info
    return info


@pytest.fixture(scope="session")
def neo4j_driver(services: dict[str, Any]) -> Iterator[Driver]:
    n = services["neo4j"]
    with GraphDatabase.driver(
        n["bolt_uri"], auth=(n["user"], n["password"]), notifications_min_severity="OFF"
    ) as driver:
        yield driver


@pytest.fixture(scope="session")
def kafka_bootstrap(services: dict[str, Any]) -> str:
    return str(services["kafka"]["bootstrap"])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Everything under tests/integration talks to the real servers.
    for item in items:
        if "integration" in item.path.parts:
            item.add_marker(pytest.mark.integration)
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.property)
    # Modules that read the same data set run one after another, so that it is built once
    # (tests/integration/datasets.py), those that change it (WRITES_DATASET) last;
    # otherwise the order stays as collected.
    from tests.integration.datasets import of_module

    first: dict[str, int] = {}
    group: list[tuple[int, bool]] = []
    for index, item in enumerate(items):
        module = getattr(item, "module", None)
        dataset = of_module(module) if module is not None else None
        key = dataset.name if dataset is not None else str(item.path)
        group.append((first.setdefault(key, index), bool(getattr(module, "WRITES_DATASET", 0))))
    order = sorted(range(len(items)), key=lambda i: (group[i], i))
    items[:] = [items[i] for i in order]
