"""The notebooks in notebooks/ run on a real kernel against a small simulated help center, and
what they compute equals an independent reference from the events (funnel_helpers, written
from the definitions, not from the product's code).

Each notebook is saved without outputs; the test runs it as saved, then one probe cell of its
own in the same kernel that prints the notebook's results as JSON.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell
from neo4j import Driver

from tests.conftest import REPO
from tests.integration.analyzed import analyze
from tests.integration.funnel_helpers import (
    RefPath,
    completed_paths,
    reference_funnel,
    with_searches,
)
from tests.integration.ingest_helpers import NOW_MS, wiring

NOTEBOOKS = REPO / "notebooks"


@pytest.fixture(scope="module")
def paths(neo4j_driver: Driver) -> list[RefPath]:
    """A simulated help center with outcome events, attributes and searches, analysed."""
    events, pages = with_searches(5, 3_000)
    w = wiring()
    w.admin(neo4j_driver).ensure_schema()
    w.admin(neo4j_driver).clear()
    w.load(neo4j_driver, events, pages, now_ms=NOW_MS)
    analyze(neo4j_driver)
    return completed_paths(events)


def run(name: str, probe: str) -> Any:
    """Run notebooks/<name>.ipynb as saved, then `probe` (an expression) in its kernel: its
    value, through JSON."""
    path = NOTEBOOKS / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:  # saved without outputs
        assert cell.get("outputs", []) == [], f"{path} cell has outputs"
        assert cell.get("execution_count") is None, f"{path} cell was executed"
    nb.cells.append(new_code_cell(f"import json\nprint(json.dumps({probe}, default=str))"))
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": REPO}}
    ).execute()
    [output] = nb.cells[-1].outputs
    return json.loads(output["text"])


def platform(path: RefPath) -> str | None:
    return next((s.split("=", 1)[1] for s in path.segments if s.startswith("platform=")), None)


def test_why_customers_escalate(paths: list[RefPath]) -> None:
    found = run(
        "why_customers_escalate",
        '{"last": last_pages["escalations"].to_dict(), "rates": escalation_by_platform.to_dict(),'
        ' "top": top, "funnel": funnel.steps[["reached", "converted"]].values.tolist()}',
    )
    escalated = [p for p in paths if p.outcome == "ESCALATED"]
    assert found["last"] == dict(Counter(p.pages[-1] for p in escalated))
    by_platform: dict[str, list[int]] = {}
    for p in paths:
        if (name := platform(p)) is not None:
            by_platform.setdefault(name, []).append(p.outcome == "ESCALATED")
    assert found["rates"] == pytest.approx({k: sum(v) / len(v) for k, v in by_platform.items()})
    assert found["top"] == Counter(p.pages[-1] for p in escalated).most_common(1)[0][0]
    _, steps = reference_funnel(paths, [("page", found["top"]), ("event", "ESCALATION")], 30)
    assert found["funnel"] == [[s.reached, s.converted] for s in steps]
    assert steps[1].reached > 0


def test_articles_that_deflect_tickets(paths: list[RefPath]) -> None:
    found = run(
        "articles_that_deflect_tickets",
        'table[["page_id", "platform", "paths", "escalated"]].values.tolist()',
    )
    expected: Counter[tuple[str, str]] = Counter()
    escalated: Counter[tuple[str, str]] = Counter()
    for p in paths:
        if (name := platform(p)) is not None:
            for page in set(p.pages):
                expected[(page, name)] += 1
                escalated[(page, name)] += p.outcome == "ESCALATED"
    assert {(page, name): (n, e) for page, name, n, e in found} == {
        key: (n, escalated[key]) for key, n in expected.items()
    }


def test_search_to_resolution_funnel(paths: list[RefPath]) -> None:
    found = run(
        "search_to_resolution_funnel",
        '{"all": funnel.steps[["reached", "converted"]].values.tolist(),'
        ' "quick": quick.steps[["reached", "converted"]].values.tolist(),'
        ' "mobile": by_platform["mobile"]["reached"].tolist()}',
    )
    steps = [("event", "SEARCH"), ("pattern", "^(?!search$)"), ("event", "RESOLUTION")]
    _, every = reference_funnel(paths, steps)
    _, quick = reference_funnel(paths, steps, 2)
    _, mobile = reference_funnel(paths, steps, segment="platform=mobile")
    assert found["all"] == [[s.reached, s.converted] for s in every]
    assert found["quick"] == [[s.reached, s.converted] for s in quick]
    assert found["mobile"] == [s.reached for s in mobile]
    assert every[2].reached > quick[2].reached > 0


def test_every_notebook_is_tested() -> None:
    tested = {"why_customers_escalate", "articles_that_deflect_tickets",
              "search_to_resolution_funnel"}  # fmt: skip
    assert {p.stem for p in Path(NOTEBOOKS).glob("*.ipynb")} == tested
