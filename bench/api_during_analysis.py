"""The API's reads of analysis results quiet and while analyses run back to back beside it
(BENCHMARKS.md "API", part of `python -m bench --only api`)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
import orjson

from bench.beside import Beside, analyses_beside
from bench.http_load import Server, Stats, check, http_load
from bench.report import ratio, table
from pathrank.settings import Settings

# Everything an analysis writes, in one request: what a dashboard polls while one runs.
ANALYSED = """{ latestAnalysis { id communities linkSuggestions }
  linkSuggestions(limit: 200) { from { id } to { id } clicksSaved }
  communities(first: 20) { totalCount nodes { id size } }
  weakPages(limit: 20) { page { id } impact } }"""


@dataclass(frozen=True, slots=True)
class DuringAnalysis:
    concurrency: int
    quiet: Stats
    busy: Stats
    analyses: Beside


def during_analysis(
    s: Settings, server: Server, concurrency: int, seconds: float
) -> DuringAnalysis:
    """The analysis results read at `concurrency`, quiet, then while analyses run back to
    back in another process (the load starts once the first holds the lock)."""
    bodies = [orjson.dumps({"query": ANALYSED})]
    check(server.url, bodies[0])

    def http() -> Stats:
        return http_load(server.url, bodies, concurrency, seconds, server.pid)

    quiet = http()
    with analyses_beside(s) as analyses:
        deadline = time.monotonic() + 120
        while not _analysis_running(server.url):
            if time.monotonic() > deadline:
                raise RuntimeError("no analysis started beside the API")
            time.sleep(0.2)
        busy = http()
    if analyses.failures:
        raise RuntimeError(f"analyses beside the API failed: {analyses.failures}")
    return DuringAnalysis(concurrency, quiet, busy, analyses)


def _analysis_running(url: str) -> bool:
    query = "{ analysisRuns(limit: 1) { status } }"
    runs = httpx.post(url, json={"query": query}, timeout=30).json()["data"]["analysisRuns"]
    return bool(runs) and runs[0]["status"] == "RUNNING"


def render_during(d: DuringAnalysis) -> str:
    return table(
        [
            "read",
            "conc.",
            "p50 ms quiet",
            "p99 ms quiet",
            "p50 ms during analysis",
            "p99 ms during analysis",
            "p99 during / quiet",
            "req/s quiet",
            "req/s during",
            "analyses done during",
        ],
        [
            (
                "analysis results (latestAnalysis, linkSuggestions, communities, weakPages)",
                d.concurrency,
                d.quiet.p50_ms,
                d.quiet.p99_ms,
                d.busy.p50_ms,
                d.busy.p99_ms,
                f"{ratio(d.busy.p99_ms, d.quiet.p99_ms):.2f}x",
                d.quiet.rps,
                d.busy.rps,
                d.analyses.runs,
            )
        ],
    )
