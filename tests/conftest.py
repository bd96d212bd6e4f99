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
from neo4j import Driver, GraphDatabase

REPO = Path(__file__).resolve().parent.parent
PATHRANK = str(Path(sys.executable).parent / "pathrank")


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
