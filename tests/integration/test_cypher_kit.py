"""The analyst kit: every saved query in cypher/ runs on analysed demo data and answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from neo4j import Driver

from tests.conftest import REPO
from tests.integration.analyzed import Analyzed, analyze, load_simulation
from tests.integration.funnel_helpers import completed_paths, reference_funnel

KIT = REPO / "cypher"


def _query(name: str) -> str:
    text = (KIT / name).read_text()
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    return body.strip().rstrip(";")


def _run(driver: Driver, name: str, **params: Any) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(_query(name), params)
    return [r.data() for r in records]


@pytest.fixture(scope="module")
def demo(neo4j_driver: Driver) -> Analyzed:
    data = load_simulation(neo4j_driver, events=15_000, seed=21)
    analyze(neo4j_driver)
    return data


def test_every_saved_query_is_tested() -> None:
    assert {p.name for p in KIT.glob("*.cypher")} == {
        "weak_pages.cypher",
        "turnaround_hotspots.cypher",
        "customer_journey.cypher",
        "paths_through_page.cypher",
        "community_profile.cypher",
        "success_path.cypher",
        "funnel.cypher",
        # Searches: tested in tests/integration/test_search_figures.py (data with searches).
        "failing_queries.cypher",
        "after_query.cypher",
        "pogo_sticking.cypher",
    }


def test_weak_pages(demo: Analyzed, neo4j_driver: Driver) -> None:
    rows = _run(neo4j_driver, "weak_pages.cypher")
    assert rows
    impacts = [r["impact"] for r in rows]
    assert impacts == sorted(impacts, reverse=True)
    assert {r["page"] for r in rows if r["reasons"]} >= set(demo.truth["dead_ends"])


def test_turnaround_hotspots(demo: Analyzed, neo4j_driver: Driver) -> None:
    rows = _run(neo4j_driver, "turnaround_hotspots.cypher")
    assert {r["page"] for r in rows} == set(demo.truth["hotspots"])
    assert all(r["qValue"] <= 0.05 and r["opportunities"] >= 20 for r in rows)
    assert all(r["worstEntries"][0]["turnedBack"] > 0 for r in rows)


def test_customer_journey(demo: Analyzed, neo4j_driver: Driver) -> None:
    records, _, _ = neo4j_driver.execute_query(
        "MATCH (c:Customer)-[:TOOK]->(p:Path) WITH c, count(p) AS n WHERE n >= 2 "
        "RETURN c.id AS id ORDER BY id LIMIT 1"
    )
    customer = records[0]["id"]
    rows = _run(neo4j_driver, "customer_journey.cypher", customerId=customer)
    assert len(rows) >= 2
    titles = {p["page_id"]: p["title"] for p in demo.pages}
    expected = [titles[e["page_id"]] for e in demo.events if e["customer_id"] == customer]
    walked = [title for r in rows for title in r["pages"]]
    assert walked == expected  # every click, in time order, across the paths
    assert [r["start"] for r in rows] == sorted(r["start"] for r in rows)


def test_paths_through_page(demo: Analyzed, neo4j_driver: Driver) -> None:
    hotspot = demo.truth["hotspots"][0]
    rows = _run(neo4j_driver, "paths_through_page.cypher", pageId=hotspot)
    assert rows
    counts = [r["visits"] for r in rows]
    assert counts == sorted(counts, reverse=True)
    # How each ended: the outcome of the path, as stored.
    assert {r["outcome"] for r in rows} <= {"RESOLVED", "ABANDONED", "ESCALATED", "OPEN"}
    assert any(r["outcome"] != "OPEN" for r in rows)
    # Every visit of the page in a path is one, wherever it sits in the path.
    records, _, _ = neo4j_driver.execute_query(
        "MATCH (p:Path) WITH p, [x IN p.pages WHERE x = $id] AS hits "
        "RETURN p.outcome AS outcome, sum(size(hits)) AS visits",
        id=hotspot,
    )
    by_outcome = {r["outcome"]: r["visits"] for r in records}
    top = rows[0]
    assert top["visits"] <= by_outcome[top["outcome"]]


def test_community_profile(demo: Analyzed, neo4j_driver: Driver) -> None:
    records, _, _ = neo4j_driver.execute_query("MATCH (c:Community) RETURN min(c.id) AS id")
    rows = _run(neo4j_driver, "community_profile.cypher", community=records[0]["id"])
    assert len(rows) == 1
    assert rows[0]["customers"] > 0
    assert all(title is not None for title in rows[0]["topPages"])
    assert 0 < len(rows[0]["someMembers"]) <= 5


def test_success_path(demo: Analyzed, neo4j_driver: Driver) -> None:
    rows = _run(neo4j_driver, "success_path.cypher", pageId="p000")
    assert len(rows) == 1
    row = rows[0]
    assert row["fewestClicks"] == len(row["fewestClicksRoute"]) - 1 >= 1
    assert 0 < row["routeProbability"] <= 1
    assert row["observedMeanClicks"] > 0


def test_funnel(demo: Analyzed, neo4j_driver: Driver) -> None:
    steps = [{"page": "p000"}, {"pattern": "p0[0-3].*"}, {"outcome": "RESOLVED"}]
    rows = _run(
        neo4j_driver,
        "funnel.cypher",
        steps=steps,
        withinMinutes=30,
        since=datetime(2000, 1, 1, tzinfo=UTC),
        until=datetime(2100, 1, 1, tzinfo=UTC),
    )
    _, expected = reference_funnel(
        completed_paths(demo.events),
        [("page", "p000"), ("pattern", "^p0[0-3]"), ("event", "RESOLUTION")],
        30,
    )
    assert [(r["step"], r["reached"], r["converted"]) for r in rows] == [
        (k + 1, s.reached, s.converted) for k, s in enumerate(expected)
    ]
    assert expected[2].reached > 0
