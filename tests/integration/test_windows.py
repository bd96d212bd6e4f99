"""Windows: `pathrank analyze --since/--until` and the API's windowed figures, against a
recomputation from the stored paths (tests/integration/time_helpers.py)."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from neo4j import Driver

from simulator import SimulationConfig, simulate
from tests.conftest import run_cli
from tests.integration.ingest_helpers import NOW_MS, wiring
from tests.integration.time_helpers import (
    DAY,
    InProcessApi,
    StoredPath,
    in_process_api,
    in_window,
    iso,
    outcome_counts,
    stored_paths,
    tally,
)

START = 1_767_600_000_000  # 2026-01-05T08:00Z, a Monday
SINCE, UNTIL = START + 5 * DAY + 3_600_000, START + 12 * DAY


@pytest.fixture(scope="module")
def paths(neo4j_driver: Driver) -> list[StoredPath]:
    w = wiring()
    w.admin(neo4j_driver).ensure_schema()
    w.admin(neo4j_driver).clear()
    sim = simulate(SimulationConfig(seed=11, events=8_000, days=21, start_ms=START))
    w.load(neo4j_driver, sim.events, sim.pages, now_ms=NOW_MS)
    return stored_paths(neo4j_driver)


@pytest.fixture(scope="module")
def api(paths: list[StoredPath]) -> Iterator[InProcessApi]:
    with in_process_api() as client:
        yield client


STATS = """query($from: DateTime, $until: DateTime) {
  pathStats(from: $from, until: $until) {
    completed resolved abandoned open meanLength varianceLength turnaroundRate selfServiceRate
  }
}"""


def reference_stats(
    paths: list[StoredPath], since: int | None, until: int | None
) -> dict[str, Any]:
    started = [
        p
        for p in paths
        if (since is None or p.start >= since) and (until is None or p.start < until)
    ]
    completed = [p for p in started if p.completed]
    lengths = [len(p.pages) for p in completed]
    outcomes = outcome_counts(started)
    turned = sum(
        any(p.pages[i - 1] == p.pages[i + 1] != p.pages[i] for i in range(1, len(p.pages) - 1))
        for p in completed
    )
    return {
        "completed": len(completed),
        "resolved": outcomes["RESOLVED"],
        "abandoned": outcomes["ABANDONED"],
        "open": outcomes["OPEN"],
        "meanLength": statistics.fmean(lengths),
        "varianceLength": statistics.pvariance(lengths),
        "turnaroundRate": turned / len(completed),
        "selfServiceRate": outcomes["RESOLVED"] / len(completed),
    }


@pytest.mark.parametrize(
    ("since", "until"),
    [(None, None), (SINCE, UNTIL), (SINCE, None), (None, START + 2 * DAY)],
)
def test_path_stats_over_a_window(
    api: InProcessApi, paths: list[StoredPath], since: int | None, until: int | None
) -> None:
    variables = {"from": since and iso(since), "until": until and iso(until)}
    got = api.data(STATS, variables)["pathStats"]
    want = reference_stats(paths, since, until)
    assert got == pytest.approx(want, rel=1e-9)
    if since is not None or until is not None:
        assert got["completed"] < reference_stats(paths, None, None)["completed"]


def test_a_window_that_ends_before_it_starts_is_refused(api: InProcessApi) -> None:
    message = api.error(STATS, {"from": iso(UNTIL), "until": iso(SINCE)})
    assert message == "`until` must be after `from`"


PAGE_RATES = """query($id: ID!, $from: DateTime, $until: DateTime) {
  page(id: $id) {
    rates(from: $from, until: $until) {
      paths resolved visits exits turnarounds turnaroundOpportunities escalations
      resolutionRate { trials successes rate low high }
      exitRate { trials successes rate low high }
      turnaroundRate { trials successes rate low high }
    }
  }
}"""


def test_page_rates_over_a_window(api: InProcessApi, paths: list[StoredPath]) -> None:
    window = in_window(paths, SINCE, UNTIL)
    busiest = [page for page, _ in tally_pages(window).most_common(6)]
    for page in [*busiest, "p001"]:
        got = api.data(PAGE_RATES, {"id": page, "from": iso(SINCE), "until": iso(UNTIL)})
        rates = got["page"]["rates"]
        want = tally(window, page)
        assert (
            rates["paths"],
            rates["resolved"],
            rates["visits"],
            rates["exits"],
            rates["turnarounds"],
            rates["turnaroundOpportunities"],
        ) == (
            want.paths,
            want.resolved,
            want.visits,
            want.exits,
            want.turnarounds,
            want.opportunities,
        ), page
        for name, metric in (
            ("resolutionRate", "RESOLUTION_RATE"),
            ("exitRate", "EXIT_RATE"),
            ("turnaroundRate", "TURNAROUND_RATE"),
        ):
            r = rates[name]
            successes, trials = want.rate(metric)
            assert (r["successes"], r["trials"]) == (successes, trials)
            if trials:
                assert r["rate"] == pytest.approx(successes / trials)
                assert r["low"] <= r["rate"] <= r["high"]
            else:
                assert r["rate"] is r["low"] is r["high"] is None


def tally_pages(paths: list[StoredPath]) -> Counter[str]:
    return Counter(page for p in paths for page in p.pages)


RUN = "{ latestAnalysis { since until paths } }"
FIGURES = """
MATCH (m:Meta {id: 'analysis'}) MATCH (f:PageFigures {run: m.run})
RETURN f.pageId AS page, f.visits AS visits, f.exits AS exits, f.turnarounds AS turnarounds,
       f.turnaroundOpportunities AS opportunities, f.resolutions AS resolutions
"""


def test_analyze_over_a_window_writes_the_windows_figures(
    api: InProcessApi, paths: list[StoredPath], neo4j_driver: Driver
) -> None:
    result = run_cli("analyze", "--since", iso(SINCE), "--until", iso(UNTIL)[:10])
    assert result.returncode == 0, result.stderr
    assert "started in [" in result.stdout
    run = api.data(RUN)["latestAnalysis"]
    until = UNTIL - UNTIL % DAY  # the date alone: midnight UTC
    assert (run["since"], run["until"]) == (iso(SINCE), iso(until))
    started = [p for p in paths if SINCE <= p.start < until]
    assert run["paths"] == len(started)
    window = [p for p in started if p.completed]
    records, _, _ = neo4j_driver.execute_query(FIGURES)
    assert records
    for r in records:
        want = tally(window, r["page"])
        resolutions = sum(p.outcome == "RESOLVED" and p.pages[-1] == r["page"] for p in window)
        got = (r["visits"], r["exits"], r["turnarounds"], r["opportunities"], r["resolutions"])
        assert got == (want.visits, want.exits, want.turnarounds, want.opportunities, resolutions)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "last tuesday"], "is not an ISO-8601 date or time"),
        (["--since", "2026-02-01", "--until", "2026-01-01"], "must be after --since"),
    ],
)
def test_analyze_refuses_a_bad_window(args: list[str], message: str) -> None:
    result = run_cli("analyze", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
