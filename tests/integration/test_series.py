"""Series per page and for the site: what the analysis precomputes for its window, and what
the API computes on demand for any other window, against a recomputation from the stored
paths (tests/integration/time_helpers.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from neo4j import Driver

from simulator import SimulationConfig, simulate
from tests.integration.ingest_helpers import NOW_MS, wiring
from tests.integration.time_helpers import (
    DAY,
    InProcessApi,
    StoredPath,
    in_process_api,
    iso,
    ms_of,
    reference_series,
    stored_paths,
)

START = 1_767_600_000_000  # 2026-01-05T08:00Z, a Monday
SINCE, UNTIL = ms_of("2026-01-07T00:00:00+00:00"), ms_of("2026-01-24T00:00:00+00:00")
LATE = SINCE + 9 * DAY + 5 * 3_600_000  # when the clicks loaded after the analysis start
METRICS = ("RESOLUTION_RATE", "EXIT_RATE", "TURNAROUND_RATE", "ESCALATION_RATE", "VISITS")


class Loaded:
    """The paths the analysis saw, and all of them after more clicks came in."""

    def __init__(self, analysed: list[StoredPath], now: list[StoredPath]) -> None:
        self.analysed = analysed
        self.now = now


@pytest.fixture(scope="module")
def loaded(neo4j_driver: Driver) -> Loaded:
    w = wiring()
    w.admin(neo4j_driver).ensure_schema()
    w.admin(neo4j_driver).clear()
    sim = simulate(SimulationConfig(seed=13, events=9_000, days=21, start_ms=START))
    w.load(neo4j_driver, sim.events, sim.pages, now_ms=NOW_MS)
    w.analysis(neo4j_driver, window=_window()).run()
    analysed = stored_paths(neo4j_driver)
    # New customers' clicks inside the analysed window: counted on demand, not in what the
    # analysis stored.
    late = [
        {"customer_id": f"late-{c}", "page_id": page, "timestamp": LATE + c * 60_000 + i * 5_000}
        for c in range(40)
        for i, page in enumerate(("p000", "p003", "p000"))
    ]
    w.load(neo4j_driver, late, now_ms=NOW_MS)
    return Loaded(analysed, stored_paths(neo4j_driver))


def _window() -> Any:
    from graph_model.timewindow import TimeWindow

    return TimeWindow(SINCE, UNTIL)


@pytest.fixture(scope="module")
def api(loaded: Loaded) -> Iterator[InProcessApi]:
    with in_process_api() as client:
        yield client


PAGE_SERIES = """query($id: ID!, $metric: PageMetric!, $interval: Interval, $from: DateTime,
                       $until: DateTime, $segment: String) {
  page(id: $id) {
    series(metric: $metric, interval: $interval, from: $from, until: $until,
           segment: $segment) {
      start end trials successes rate low high
    }
  }
}"""

SITE_SERIES = """query($metric: PageMetric!, $interval: Interval, $from: DateTime,
                       $until: DateTime, $segment: String) {
  siteSeries(metric: $metric, interval: $interval, from: $from, until: $until,
             segment: $segment) {
    start end trials successes rate low high
  }
}"""


def ask(
    api: InProcessApi,
    page: str | None,
    metric: str,
    interval: str,
    since: int | None = None,
    until: int | None = None,
    segment: str | None = None,
) -> list[dict[str, Any]]:
    variables = {
        "metric": metric,
        "interval": interval,
        "from": since and iso(since),
        "until": until and iso(until),
        "segment": segment,
    }
    if page is None:
        points: list[dict[str, Any]] = api.data(SITE_SERIES, variables)["siteSeries"]
    else:
        points = api.data(PAGE_SERIES, {**variables, "id": page})["page"]["series"]
    for p in points:  # every interval holds its rate
        if p["trials"]:
            assert p["rate"] == pytest.approx(p["successes"] / p["trials"])
            assert p["low"] <= p["rate"] <= p["high"]
            assert p["low"] >= 0
            assert p["high"] <= 1
        else:
            assert p["rate"] is p["low"] is p["high"] is None
        p["start"], p["end"] = iso(ms_of(p["start"])), iso(ms_of(p["end"]))
    return [{k: p[k] for k in ("start", "end", "trials", "successes")} for p in points]


def busy_pages(paths: list[StoredPath], n: int) -> list[str]:
    visits = Counter(page for p in paths if p.completed for page in p.pages)
    return [page for page, _ in visits.most_common(n)]


@pytest.mark.parametrize("interval", ["DAY", "WEEK"])
def test_stored_series_are_those_of_the_analysed_window(
    api: InProcessApi, loaded: Loaded, interval: str
) -> None:
    for page in [None, *busy_pages(loaded.analysed, 4)]:
        for metric in METRICS:
            got = ask(api, page, metric, interval)
            assert got == reference_series(loaded.analysed, page, metric, interval, SINCE, UNTIL), (
                page,
                metric,
            )
    # The late clicks are in the window but came after the analysis: not in what it stored.
    assert reference_series(loaded.now, "p003", "VISITS", interval, SINCE, UNTIL) != ask(
        api, "p003", "VISITS", interval
    )


def test_aligned_windows_inside_the_analysed_one_are_sliced_from_it(
    api: InProcessApi, loaded: Loaded
) -> None:
    since, until = SINCE + 3 * DAY, SINCE + 10 * DAY
    for page in busy_pages(loaded.analysed, 2):
        got = ask(api, page, "EXIT_RATE", "DAY", since, until)
        assert got == reference_series(loaded.analysed, page, "EXIT_RATE", "DAY", since, until)


@pytest.mark.parametrize(
    ("since", "until"),
    [
        (START, START + 21 * DAY),  # beyond the analysed window
        (SINCE + 3_600_000, UNTIL),  # inside it, but not on a period boundary
    ],
)
@pytest.mark.parametrize("interval", ["DAY", "WEEK"])
def test_other_windows_are_computed_on_demand(
    api: InProcessApi, loaded: Loaded, since: int, until: int, interval: str
) -> None:
    for page in [None, "p003", *busy_pages(loaded.now, 3)]:
        for metric in METRICS:
            got = ask(api, page, metric, interval, since, until)
            want = reference_series(loaded.now, page, metric, interval, since, until)
            assert got == want, (page, metric)


def test_an_unknown_page_has_no_series_and_a_long_one_is_refused(api: InProcessApi) -> None:
    assert api.data(PAGE_SERIES, {"id": "nope", "metric": "VISITS"})["page"] is None
    message = api.error(
        SITE_SERIES,
        {"metric": "VISITS", "interval": "DAY", "from": iso(0), "until": iso(START)},
    )
    assert "more than 1000 periods" in message


def test_a_history_longer_than_the_limit_stores_no_series_of_that_interval(
    neo4j_driver: Driver,
) -> None:
    """The series limits hold for precomputed series too: two paths 26 years apart (the
    earliest accepted year, 2000, and 2026) are 9,500 days; the analysis stores no daily and
    no weekly series for them, and the API refuses the long series instead of 9,500 points."""
    w = wiring()
    w.admin(neo4j_driver).clear()
    first, last = ms_of("2000-01-03T10:00:00+00:00"), START
    events = [
        {"customer_id": c, "page_id": p, "timestamp": t + i * 30_000, "is_resolved": i == 1}
        for c, t in (("old", first), ("new", last))
        for i, p in enumerate(("p0", "p1"))
    ]
    w.load(neo4j_driver, events, now_ms=NOW_MS)
    w.analysis(neo4j_driver).run()
    [row] = neo4j_driver.execute_query(
        "MATCH (m:Meta {id: 'analysis'}) "
        "RETURN COUNT { MATCH (s:SiteSeries {run: m.run}) } AS site, "
        "COUNT { MATCH (s:PageSeries {run: m.run}) } AS pages"
    ).records
    assert (row["site"], row["pages"]) == (0, 0)
    with in_process_api() as api:
        for interval in ("DAY", "WEEK"):
            message = api.error(SITE_SERIES, {"metric": "VISITS", "interval": interval})
            assert "more than 1000 periods" in message
