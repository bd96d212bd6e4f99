"""Segments: every windowed figure restricted to key=value, the segments listed, and a page's
breakdown by one key, against a recomputation from the stored paths' `segments`
(tests/integration/time_helpers.py); p- and q-values from scipy's own fisher_exact and
false_discovery_control."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from neo4j import Driver
from scipy import stats

from simulator import SimulationConfig, simulate
from tests.integration.ingest_helpers import NOW_MS, wiring
from tests.integration.test_series import ask, busy_pages
from tests.integration.test_windows import reference_stats
from tests.integration.time_helpers import (
    DAY,
    InProcessApi,
    StoredPath,
    in_process_api,
    in_window,
    iso,
    period_start,
    reference_series,
    stored_paths,
    tally,
)

START = 1_767_600_000_000  # 2026-01-05T08:00Z
SINCE, UNTIL = START + 4 * DAY, START + 15 * DAY
MOBILE = "platform=mobile"


@pytest.fixture(scope="module")
def paths(neo4j_driver: Driver) -> list[StoredPath]:
    w = wiring()
    w.admin(neo4j_driver).ensure_schema()
    w.admin(neo4j_driver).clear()
    # Every effect: attributes on every event, votes, tickets and chats (escalated paths).
    sim = simulate(SimulationConfig.full(seed=9, events=9_000, days=21, start_ms=START))
    w.load(neo4j_driver, sim.events, sim.pages, now_ms=NOW_MS)
    w.analysis(neo4j_driver).run()
    found = stored_paths(neo4j_driver)
    assert any(p.segments for p in found)
    assert any(p.outcome == "ESCALATED" for p in found)
    return found


@pytest.fixture(scope="module")
def api(paths: list[StoredPath]) -> Iterator[InProcessApi]:
    with in_process_api() as client:
        yield client


SEGMENTS = "{ segments { key values { value segment paths } } }"


def test_segments_are_listed_with_their_paths(api: InProcessApi, paths: list[StoredPath]) -> None:
    got = api.data(SEGMENTS)["segments"]
    counts = Counter(s for p in paths for s in p.segments)
    listed = {v["segment"]: v["paths"] for k in got for v in k["values"]}
    assert listed == dict(counts)
    assert [k["key"] for k in got] == sorted({s.split("=")[0] for s in counts})
    for k in got:
        assert [v["paths"] for v in k["values"]] == sorted(
            (v["paths"] for v in k["values"]), reverse=True
        )
        assert all(v["segment"] == f"{k['key']}={v['value']}" for v in k["values"])


STATS = """query($from: DateTime, $until: DateTime, $segment: String) {
  pathStats(from: $from, until: $until, segment: $segment) {
    completed resolved abandoned open meanLength varianceLength turnaroundRate selfServiceRate
    escalated orphanMarkers
  }
}"""

ORPHANS = """
MATCH (m:Marker) WHERE NOT EXISTS { (m)<-[:ENDED_BY]-() }
RETURN m.ts AS ts, coalesce(m.attributes, []) AS attributes
"""


@pytest.mark.parametrize(("since", "until"), [(None, None), (SINCE, UNTIL)])
@pytest.mark.parametrize("segment", [MOBILE, "locale=de-DE"])
def test_path_stats_of_a_segment(
    api: InProcessApi,
    paths: list[StoredPath],
    neo4j_driver: Driver,
    since: int | None,
    until: int | None,
    segment: str,
) -> None:
    variables = {"from": since and iso(since), "until": until and iso(until), "segment": segment}
    got = api.data(STATS, variables)["pathStats"]
    mine = [p for p in paths if segment in p.segments]
    want = reference_stats(mine, since, until)
    escalated = sum(
        p.outcome == "ESCALATED"
        for p in mine
        if (since is None or p.start >= since) and (until is None or p.start < until)
    )
    records, _, _ = neo4j_driver.execute_query(ORPHANS)
    orphans = sum(
        segment in r["attributes"]
        and (since is None or r["ts"] >= since)
        and (until is None or r["ts"] < until)
        for r in records
    )
    assert {k: got[k] for k in want} == pytest.approx(want, rel=1e-9)
    assert (got["escalated"], got["orphanMarkers"]) == (escalated, orphans)
    assert got["completed"] < reference_stats(paths, since, until)["completed"]


RATES = """query($id: ID!, $from: DateTime, $until: DateTime, $segment: String) {
  page(id: $id) {
    rates(from: $from, until: $until, segment: $segment) {
      paths resolved visits exits turnarounds turnaroundOpportunities escalations
    }
  }
}"""


def test_page_rates_of_a_segment(api: InProcessApi, paths: list[StoredPath]) -> None:
    for page in busy_pages(paths, 6):
        variables = {"id": page, "from": iso(SINCE), "until": iso(UNTIL), "segment": MOBILE}
        got = api.data(RATES, variables)["page"]["rates"]
        t = tally(in_window(paths, SINCE, UNTIL, MOBILE), page)
        assert got == {
            "paths": t.paths,
            "resolved": t.resolved,
            "visits": t.visits,
            "exits": t.exits,
            "turnarounds": t.turnarounds,
            "turnaroundOpportunities": t.opportunities,
            "escalations": t.escalations,
        }, page


@pytest.mark.parametrize("interval", ["DAY", "WEEK"])
def test_series_of_a_segment(api: InProcessApi, paths: list[StoredPath], interval: str) -> None:
    # Without a window, periods are whole: from the first path's to the last path's.
    step = DAY if interval == "DAY" else 7 * DAY
    first = period_start(min(p.start for p in paths), interval)
    last = period_start(max(p.start for p in paths), interval) + step
    for page in [None, *busy_pages(paths, 3)]:
        for metric in ("RESOLUTION_RATE", "EXIT_RATE", "ESCALATION_RATE", "VISITS"):
            got = ask(api, page, metric, interval, SINCE, UNTIL, MOBILE)
            want = reference_series(paths, page, metric, interval, SINCE, UNTIL, MOBILE)
            assert got == want, (page, metric)
        # Without a window: every period that holds a path of the segment.
        got = ask(api, page, "TURNAROUND_RATE", interval, None, None, MOBILE)
        want = reference_series(paths, page, "TURNAROUND_RATE", interval, first, last, MOBILE)
        assert [p for p in got if p["trials"]] == [p for p in want if p["trials"]]


BY_SEGMENT = """query($id: ID!, $key: String!, $metric: PageMetric, $from: DateTime,
                      $until: DateTime) {
  page(id: $id) {
    bySegment(key: $key, metric: $metric, from: $from, until: $until) {
      key value segment pValue qValue significant direction
      rate { trials successes rate low high }
      rest { trials successes rate }
    }
  }
}"""


@pytest.mark.parametrize("metric", ["EXIT_RATE", "RESOLUTION_RATE"])
@pytest.mark.parametrize("key", ["platform", "locale"])
def test_a_pages_breakdown_by_one_key(
    api: InProcessApi, paths: list[StoredPath], metric: str, key: str
) -> None:
    for page in busy_pages(paths, 4):
        variables = {"id": page, "key": key, "metric": metric, "from": iso(SINCE), "until": None}
        rows = api.data(BY_SEGMENT, variables)["page"]["bySegment"]
        window = in_window(paths, SINCE, None)
        values = sorted(
            {s for p in window if page in p.pages for s in p.segments if s.startswith(f"{key}=")}
        )
        assert sorted(r["segment"] for r in rows) == values
        everything = tally(window, page).rate(metric)
        tested: list[tuple[str, float]] = []
        for r in rows:
            mine = tally([p for p in window if r["segment"] in p.segments], page).rate(metric)
            rest = (everything[0] - mine[0], everything[1] - mine[1])
            assert (r["rate"]["successes"], r["rate"]["trials"]) == mine
            assert (r["rest"]["successes"], r["rest"]["trials"]) == rest
            assert r["rate"]["low"] <= r["rate"]["rate"] <= r["rate"]["high"]
            if mine[1] and rest[1]:
                table = [[mine[0], mine[1] - mine[0]], [rest[0], rest[1] - rest[0]]]
                p_value = (
                    stats.fisher_exact(table).pvalue
                    if mine[1] + rest[1] <= 10_000
                    else r["pValue"]  # (the z-test beyond 10,000 trials: not at this size)
                )
                assert r["pValue"] == pytest.approx(p_value, rel=1e-6, abs=1e-300)
                tested.append((r["segment"], r["pValue"]))
        q = stats.false_discovery_control([p for _, p in tested], method="bh")
        by_segment = {r["segment"]: r for r in rows}
        for (segment, _), want_q in zip(tested, q, strict=True):
            assert by_segment[segment]["qValue"] == pytest.approx(float(want_q), rel=1e-9)
            assert by_segment[segment]["significant"] == (want_q <= 0.05)
        assert [r["rate"]["trials"] for r in rows] == sorted(
            (r["rate"]["trials"] for r in rows), reverse=True
        )


@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        (STATS, {"segment": "mobile"}, "`segment`: a segment is key=value"),
        (STATS, {"segment": "Platform=x"}, "`segment`: a segment is key=value"),
        (BY_SEGMENT, {"id": "p000", "key": "plat form"}, "`key`: a segment key is"),
    ],
)
def test_bad_segments_are_refused(
    api: InProcessApi, query: str, variables: dict[str, Any], message: str
) -> None:
    assert api.error(query, variables).startswith(message)
