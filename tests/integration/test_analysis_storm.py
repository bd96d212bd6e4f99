"""Analyses back to back while ingest writes at full speed, against the real Neo4j + GDS and
Kafka: every one succeeds, and the figures equal those of one analysis of the same clicks on
a quiet graph."""

from __future__ import annotations

import os
import subprocess
import time
import traceback
from collections.abc import Mapping
from typing import Any

import pytest
from neo4j import Driver

from ingest.produce import produce_events as produce_stream
from ingest.produce import produce_pages
from simulator import SimulationConfig, simulate
from tests.conftest import PATHRANK, REPO
from tests.integration.analysis_run_helpers import cypher, quiet_single_run
from tests.integration.ingest_helpers import NOW_MS, clean_graph, fresh_names, reference, wiring
from tests.tiers import tiered

# (clicks, analyses at most, ingest batch size): the invariant shows at 40,000 clicks in
# `make test`; `make soak` runs it at 200,000. Analyses follow each other until ingest is done
# (at least 3 must run beside it) or the most are done.
STORMS = tiered((40_000, 8, 150), (200_000, 10, 1000), "storm-")


def _figures_and_suggestions(driver: Driver) -> tuple[dict[str, Any], list[Any]]:
    pages = cypher(driver, "MATCH (p:Page) RETURN p.id AS id, properties(p) AS props")
    suggestions = cypher(
        driver,
        "MATCH (m:Meta {id: 'analysis'}) MATCH (a)-[s:SUGGESTED_LINK {run: m.run}]->(b) "
        "RETURN a.id AS a, b.id AS b, s.clicksSaved AS saved, s.rank AS rank ORDER BY rank",
    )
    return {p["id"]: p["props"] for p in pages}, suggestions


# Among equally good routes Dijkstra keeps the first it settles, which depends on node ids:
# another load of the same clicks may pick another one (their clicks and probability agree).
_TIES = frozenset({"successPathFewest", "successPathLikely"})


def _differences(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """Figures that differ, floats up to rounding (the same sums in another order)."""
    return [
        k
        for k in sorted(a.keys() | b.keys())
        if k not in _TIES
        and not (
            a.get(k) == pytest.approx(b.get(k), rel=1e-9)
            if isinstance(b.get(k), float)
            else a.get(k) == b.get(k)
        )
    ]


def _communities(driver: Driver) -> tuple[Any, ...]:
    """The current run's partition and similarity graph."""
    similar = cypher(
        driver,
        "MATCH (m:Meta {id: 'analysis'}) MATCH (a)-[s:SIMILAR {run: m.run}]->(b) "
        "RETURN a.id AS a, b.id AS b, s.score AS s ORDER BY a, b",
    )
    members = cypher(driver, "MATCH (c:Customer) RETURN c.id AS id, c.community AS k ORDER BY id")
    return tuple((r["a"], r["b"], r["s"]) for r in similar), tuple(
        (r["id"], r["k"]) for r in members
    )


@pytest.mark.timeout(3600)
@pytest.mark.parametrize("storm", STORMS)
def test_analyses_back_to_back_while_ingest_writes(
    storm: tuple[int, int, int], neo4j_driver: Driver, kafka_bootstrap: str
) -> None:
    events, storm_runs, batch = storm
    graph = clean_graph(neo4j_driver)
    sim = simulate(SimulationConfig(seed=4, events=events))
    names = fresh_names()
    produce_pages(sim.pages, kafka_bootstrap, names["PATHRANK_PAGES_TOPIC"])
    produce_stream(sim.events, kafka_bootstrap, names["PATHRANK_TOPIC"])
    # Small batches: more, shorter write transactions to meet the analysis's.
    ingest = subprocess.Popen(
        [PATHRANK, "ingest", "--until-idle", "5", "--batch-size", str(batch)],
        env={**os.environ, **names},
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    failures: list[str] = []
    during = 0
    try:
        deadline = time.monotonic() + 120
        while graph.counts().clicks < 2_000:  # analyse a growing graph from the start
            assert time.monotonic() < deadline
            assert ingest.poll() is None
            time.sleep(0.2)
        for _ in range(storm_runs):
            try:
                wiring().analysis(neo4j_driver).run()
            except Exception:  # every failure counts, whatever its kind
                failures.append(traceback.format_exc())
            if ingest.poll() is not None:
                break
            during += 1
    finally:
        _, stderr = ingest.communicate(timeout=900)
    assert ingest.returncode == 0, stderr[-3000:]
    assert failures == [], "\n".join(failures)
    assert during >= 3, "analyses ran while ingest was writing"
    assert graph.counts().clicks == reference(sim.events).clicks
    quiet = wiring().analysis(neo4j_driver).run()
    figures, suggestions = _figures_and_suggestions(neo4j_driver)
    partition = _communities(neo4j_driver)
    quiet_single_run(neo4j_driver, quiet.id)
    again = wiring().analysis(neo4j_driver).run()
    quiet_single_run(neo4j_driver, again.id)  # the first run's results are gone
    assert again.communities == quiet.communities
    assert _communities(neo4j_driver) == partition  # the same graph, the same communities
    assert _figures_and_suggestions(neo4j_driver) == (figures, suggestions)
    # A fresh graph of the same clicks, analysed once on a quiet graph: the same figures.
    graph.clear()
    wiring().load(neo4j_driver, sim.events, sim.pages, now_ms=NOW_MS)
    fresh = wiring().analysis(neo4j_driver).run()
    fresh_figures, fresh_suggestions = _figures_and_suggestions(neo4j_driver)
    assert fresh_suggestions == suggestions
    assert fresh_figures.keys() == figures.keys()
    differing = {page: _differences(fresh_figures[page], props) for page, props in figures.items()}
    assert {page: keys for page, keys in differing.items() if keys} == {}
    for key in ("pages", "transitions", "customers", "paths", "clicks", "hotspots", "weak_pages"):
        assert getattr(fresh, key) == getattr(again, key) == getattr(quiet, key), key
