"""What the analysis-run tests read: the API's answer to one poll of everything an analysis
writes (and whether it is one complete run), and what Cypher sees in the graph."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from neo4j import Driver

from algorithms.analyze import STEPS

# The steps that start once the run is current (switched): a crash there leaves it served.
AFTER_SWITCH = STEPS[STEPS.index("publish") :]

POLL = """{ latestAnalysis { id status communities linkSuggestions weakPages }
  linkSuggestions(limit: 500) { from { id } to { id } rank clicksSaved }
  communities(first: 500) { totalCount nodes { id size } }
  weakPages(limit: 500) { page { id successProbability } impact } }"""

RUNS = "{ analysisRuns(limit: 50) { id status error watermark } }"


# ---- what the API serves ------------------------------------------------------------------


@dataclass(frozen=True)
class Api:
    base: str

    def query(self, query: str) -> dict[str, Any]:
        response = httpx.post(f"{self.base}/graphql", json={"query": query}, timeout=60)
        body = response.json()
        assert response.status_code == 200, body
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def served(self) -> dict[str, Any]:
        # Right after a Neo4j restart the page cache is cold and a read can hit its 10 s
        # transaction timeout on a loaded machine: a TIMEOUT is retried, any other error fails.
        for _ in range(5):
            response = httpx.post(f"{self.base}/graphql", json={"query": POLL}, timeout=60)
            body = response.json()
            codes = {e.get("extensions", {}).get("code") for e in body.get("errors", [])}
            if codes != {"TIMEOUT"}:
                break
            time.sleep(2)
        assert response.status_code == 200, body
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def runs(self) -> dict[str, dict[str, Any]]:
        return {r["id"]: r for r in self.query(RUNS)["analysisRuns"]}

    def wait_healthy(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=3).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        raise AssertionError("the API did not become healthy")


def defect(answer: Mapping[str, Any]) -> str | None:
    """Why `answer` (to POLL) is not one complete run, or None."""
    run = answer["latestAnalysis"]
    if run is None:
        return "no current analysis"
    pairs = [(s["from"]["id"], s["to"]["id"]) for s in answer["linkSuggestions"]]
    if len(pairs) != run["linkSuggestions"]:
        return f"{len(pairs)} link suggestions of {run['linkSuggestions']}"
    if len(set(pairs)) != len(pairs):
        return "a link suggestion twice"
    if [s["rank"] for s in answer["linkSuggestions"]] != list(range(1, len(pairs) + 1)):
        return "link suggestion ranks not 1..n"
    communities = answer["communities"]
    if communities["totalCount"] != run["communities"]:
        return f"communities.totalCount {communities['totalCount']} of {run['communities']}"
    ids = [c["id"] for c in communities["nodes"]]
    if len(ids) != min(run["communities"], 500) or len(set(ids)) != len(ids):
        return f"{len(ids)} community nodes ({len(set(ids))} distinct) of {run['communities']}"
    if len(answer["weakPages"]) != run["weakPages"]:
        return f"{len(answer['weakPages'])} weak pages of {run['weakPages']}"
    return None


def fingerprint(answer: Mapping[str, Any]) -> tuple[Any, ...]:
    """Everything of `answer` that belongs to its run (to tell a mix of two runs)."""
    return (
        tuple(
            (s["from"]["id"], s["to"]["id"], s["clicksSaved"]) for s in answer["linkSuggestions"]
        ),
        tuple((c["id"], c["size"]) for c in answer["communities"]["nodes"]),
        tuple(
            (w["page"]["id"], w["impact"], w["page"]["successProbability"])
            for w in answer["weakPages"]
        ),
    )


# ---- what Cypher sees ----------------------------------------------------------------------


def cypher(driver: Driver, query: str, **params: Any) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(query, params)
    return [r.data() for r in records]


def stored_counts(driver: Driver) -> dict[str, int]:
    """Every derived result in the graph, whatever run wrote it."""
    return cypher(
        driver,
        "CALL () { MATCH (c:Community) RETURN count(c) AS communities } "
        "CALL () { MATCH ()-[s:SUGGESTED_LINK]->() RETURN count(s) AS linkSuggestions } "
        "CALL () { MATCH ()-[s:SIMILAR]->() RETURN count(s) AS similarPairs } "
        "RETURN communities, linkSuggestions, similarPairs",
    )[0]


def run_counts(driver: Driver, run_id: str) -> dict[str, int]:
    """What the run's record says it wrote."""
    return cypher(
        driver,
        "MATCH (r:AnalysisRun {id: $id}) "
        "RETURN r.communities AS communities, r.linkSuggestions AS linkSuggestions, "
        "r.similarPairs AS similarPairs",
        id=run_id,
    )[0]


def page_figures(driver: Driver) -> dict[str, dict[str, Any]]:
    """What a Cypher user reads on the pages."""
    rows = cypher(
        driver,
        "MATCH (p:Page) RETURN p.id AS id, p.pageRank AS pageRank, p.pathRank AS pathRank, "
        "p.visits AS visits, p.successProbability AS successProbability, p.impact AS impact",
    )
    return {r["id"]: r for r in rows}


def memberships(driver: Driver) -> dict[str, int | None]:
    rows = cypher(driver, "MATCH (c:Customer) RETURN c.id AS id, c.community AS k")
    return {r["id"]: r["k"] for r in rows}


def quiet_single_run(driver: Driver, run_id: str) -> None:
    """Outside a run, the graph holds one run's results: nothing doubled."""
    assert stored_counts(driver) == run_counts(driver, run_id)


def current_run(driver: Driver) -> str:
    rows = cypher(driver, "MATCH (m:Meta {id: 'analysis'}) RETURN m.run AS run")
    assert rows, "no current analysis"
    assert rows[0]["run"], "no current analysis"
    return str(rows[0]["run"])


def lock_holder(driver: Driver) -> str | None:
    rows = cypher(driver, "MATCH (l:Meta {id: 'analysis-lock'}) RETURN l.run AS run")
    return rows[0]["run"] if rows else None
