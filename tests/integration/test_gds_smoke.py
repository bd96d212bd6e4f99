"""Neo4j + OpenGDS answer real algorithm calls with the expected results."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import networkx as nx
import pytest
from graphdatascience import GraphDataScience
from neo4j import Driver


@pytest.fixture
def label(neo4j_driver: Driver) -> Iterator[str]:
    """A fresh label per test, removed afterwards, so smoke tests never touch app data."""
    name = f"Smoke_{uuid.uuid4().hex[:10]}"
    yield name
    neo4j_driver.execute_query(f"MATCH (n:`{name}`) DETACH DELETE n")
    neo4j_driver.execute_query(
        "CALL gds.graph.list() YIELD graphName WHERE graphName STARTS WITH $p "
        "CALL gds.graph.drop(graphName, false) YIELD graphName AS dropped RETURN count(*)",
        p=name,
    )


def _create_edges(driver: Driver, label: str, edges: list[tuple[str, str, float]]) -> None:
    driver.execute_query(
        f"UNWIND $edges AS e "
        f"MERGE (a:`{label}` {{name: e[0]}}) MERGE (b:`{label}` {{name: e[1]}}) "
        f"CREATE (a)-[:R {{w: e[2]}}]->(b)",
        edges=[list(e) for e in edges],
    )


def _project(driver: Driver, label: str, orientation: str = "NATURAL") -> str:
    graph = f"{label}_g"
    driver.execute_query(
        "CALL gds.graph.project($g, $label, {R: {orientation: $o, properties: 'w'}})",
        g=graph,
        label=label,
        o=orientation,
    )
    return graph


def test_gds_version(neo4j_driver: Driver, services: dict[str, Any]) -> None:
    records, _, _ = neo4j_driver.execute_query("RETURN gds.version() AS v")
    assert records[0]["v"] == services["neo4j"]["gds_version"] == "2.13.9"


def test_pagerank_matches_networkx(neo4j_driver: Driver, label: str) -> None:
    # Strongly connected, no dangling nodes: GDS and networkx then agree up to scale.
    edges = [
        ("a", "b", 1.0),
        ("b", "c", 1.0),
        ("c", "a", 1.0),
        ("a", "c", 1.0),
        ("d", "a", 1.0),
        ("c", "d", 1.0),
        ("b", "d", 1.0),
        ("e", "b", 1.0),
        ("d", "e", 1.0),
    ]
    _create_edges(neo4j_driver, label, edges)
    graph = _project(neo4j_driver, label)
    records, _, _ = neo4j_driver.execute_query(
        "CALL gds.pageRank.stream($g, {dampingFactor: 0.85, maxIterations: 200, tolerance: 1e-12}) "
        "YIELD nodeId, score RETURN gds.util.asNode(nodeId).name AS name, score",
        g=graph,
    )
    gds_scores = {r["name"]: r["score"] for r in records}
    total = sum(gds_scores.values())
    expected = nx.pagerank(nx.DiGraph([(a, b) for a, b, _ in edges]), alpha=0.85, tol=1e-12)
    for name, score in expected.items():
        assert gds_scores[name] / total == pytest.approx(score, abs=1e-6)
    assert sorted(gds_scores, key=gds_scores.__getitem__) == sorted(
        expected, key=expected.__getitem__
    )


def test_louvain_finds_two_cliques(neo4j_driver: Driver, label: str) -> None:
    left, right = ["a1", "a2", "a3", "a4"], ["b1", "b2", "b3", "b4"]
    edges = [
        (x, y, 1.0) for group in (left, right) for i, x in enumerate(group) for y in group[i + 1 :]
    ]
    edges.append(("a1", "b1", 1.0))
    _create_edges(neo4j_driver, label, edges)
    graph = _project(neo4j_driver, label, "UNDIRECTED")
    records, _, _ = neo4j_driver.execute_query(
        "CALL gds.louvain.stream($g) YIELD nodeId, communityId "
        "RETURN gds.util.asNode(nodeId).name AS name, communityId",
        g=graph,
    )
    community = {r["name"]: r["communityId"] for r in records}
    assert len({community[n] for n in left}) == 1
    assert len({community[n] for n in right}) == 1
    assert community["a1"] != community["b1"]


def test_node_similarity_is_jaccard(neo4j_driver: Driver, label: str) -> None:
    # c1 visits {p1,p2,p3}, c2 visits {p2,p3,p4}: Jaccard = 2/4 = 0.5; c3 {p5} shares nothing.
    visits = {"c1": ["p1", "p2", "p3"], "c2": ["p2", "p3", "p4"], "c3": ["p5"]}
    _create_edges(neo4j_driver, label, [(c, p, 1.0) for c, ps in visits.items() for p in ps])
    graph = _project(neo4j_driver, label)
    records, _, _ = neo4j_driver.execute_query(
        "CALL gds.nodeSimilarity.stream($g) YIELD node1, node2, similarity "
        "RETURN gds.util.asNode(node1).name AS a, gds.util.asNode(node2).name AS b, similarity",
        g=graph,
    )
    pairs = {(r["a"], r["b"]): r["similarity"] for r in records}
    assert pairs == {("c1", "c2"): pytest.approx(0.5), ("c2", "c1"): pytest.approx(0.5)}


def test_dijkstra_shortest_path(neo4j_driver: Driver, label: str) -> None:
    edges = [("s", "a", 1.0), ("a", "t", 5.0), ("s", "b", 2.0), ("b", "c", 1.0), ("c", "t", 1.0)]
    _create_edges(neo4j_driver, label, edges)
    graph = _project(neo4j_driver, label)
    records, _, _ = neo4j_driver.execute_query(
        f"MATCH (s:`{label}` {{name: 's'}}), (t:`{label}` {{name: 't'}}) "
        "CALL gds.shortestPath.dijkstra.stream($g, "
        "{sourceNode: s, targetNode: t, relationshipWeightProperty: 'w'}) "
        "YIELD totalCost, nodeIds "
        "RETURN totalCost, [n IN gds.util.asNodes(nodeIds) | n.name] AS names",
        g=graph,
    )
    assert len(records) == 1
    assert records[0]["totalCost"] == pytest.approx(4.0)
    assert records[0]["names"] == ["s", "b", "c", "t"]
    lengths = nx.single_source_dijkstra_path_length(
        nx.DiGraph([(a, b, {"weight": w}) for a, b, w in edges]), "s"
    )
    assert records[0]["totalCost"] == pytest.approx(lengths["t"])


def test_graphdatascience_client_runs_an_algorithm(
    services: dict[str, Any], label: str, neo4j_driver: Driver
) -> None:
    _create_edges(neo4j_driver, label, [("x", "y", 1.0), ("y", "z", 1.0), ("z", "x", 1.0)])
    n = services["neo4j"]
    gds = GraphDataScience(n["bolt_uri"], auth=(n["user"], n["password"]))
    try:
        assert str(gds.server_version()) == "2.13.9"
        projected = gds.graph.project.native(f"{label}_client", label, "R")
        try:
            assert projected.result.node_count == 3
            scores = gds.page_rank.stream(projected.graph)
            assert len(scores) == 3
            # A directed 3-cycle is symmetric: every node gets the same rank.
            assert scores["score"].max() - scores["score"].min() < 1e-9
        finally:
            gds.graph.drop(projected.graph.name())
    finally:
        gds.close()
