"""Changes, catalog versions and comparisons on the real servers: versions from the `pages`
topic through `pathrank ingest`, and what an analysis reports, checked against counts
recomputed from the stored paths and p-values from scipy's own fisher_exact."""

from __future__ import annotations

import time
from pathlib import Path as FilePath
from typing import Any

import orjson
from neo4j import Driver

from tests.conftest import run_cli
from tests.integration.ingest_helpers import (
    fresh_names,
    ingest_until_idle,
    produce_raw,
)
from tests.integration.time_helpers import (
    in_process_api,
    iso,
    ms_of,
)

START = 1_767_600_000_000  # 2026-01-05T08:00Z


VERSIONS = """query($id: ID!) {
  page(id: $id) { title versions { since title linkIds } }
}"""


def test_catalog_versions_come_from_the_pages_topic(
    services: dict[str, Any], neo4j_driver: Driver
) -> None:
    names = fresh_names()
    env = {**names}
    page = f"v-{names['PATHRANK_GROUP']}"
    first = {"page_id": page, "title": "Reset", "links": ["a"], "updated_at": "2026-01-05T00:00Z"}
    second = {"page_id": page, "title": "Reset (new)", "links": ["a", "b"]}  # its Kafka time
    before = int(time.time() * 1000)
    records = [first, first, second, second | {"updated_at": ms_of("2026-01-01T00:00:00Z")}]
    produce_raw(
        services["kafka"]["bootstrap"],
        names["PATHRANK_PAGES_TOPIC"],
        ((page.encode(), orjson.dumps(r)) for r in records),
    )
    ingest_until_idle(env)
    after = int(time.time() * 1000)
    with in_process_api() as api:
        got = api.data(VERSIONS, {"id": page})["page"]
    since = [ms_of(v["since"]) for v in got["versions"]]
    # The replayed first record adds nothing; a late record (dated before the first) adds
    # its version but does not become the page's form.
    assert [v["title"] for v in got["versions"]] == ["Reset (new)", "Reset", "Reset (new)"]
    assert since[0] == ms_of("2026-01-01T00:00:00Z")
    assert since[1] == ms_of("2026-01-05T00:00:00Z")
    assert before - 60_000 <= since[2] <= after
    assert got["title"] == "Reset (new)"
    assert got["versions"][2]["linkIds"] == ["a", "b"]
    records, _, _ = neo4j_driver.execute_query(
        "MATCH (:Page {id: $id})-[:VERSION]->(v:PageVersion) RETURN count(v) AS n", id=page
    )
    assert records[0]["n"] == 3


def test_compare_refuses_bad_input_and_knows_no_unknown_page() -> None:
    with in_process_api() as api:
        variables = {"id": "p000", "at": iso(START), "metric": "EXIT_RATE", "days": 0}
        assert api.error(COMPARE, variables) == "`days` must be from 1 to 366, got 0"
        assert api.data(COMPARE, {**variables, "id": "nope", "days": 3})["compare"] is None


COMPARE = """query($id: ID!, $at: DateTime!, $metric: PageMetric!, $days: Int) {
  compare(pageId: $id, at: $at, metric: $metric, days: $days) { pValue }
}"""


def test_simulated_stories_reach_the_graph_through_kafka(
    tmp_path: FilePath, neo4j_driver: Driver
) -> None:
    names = fresh_names()
    truth_file = tmp_path / "truth.json"
    result = run_cli(
        "simulate",
        "--seed",
        "2",
        "--events",
        "3000",
        "--days",
        "56",
        "--stories",
        "--produce",
        "--truth",
        str(truth_file),
        env=names,
    )
    assert result.returncode == 0, result.stderr
    truth = orjson.loads(truth_file.read_bytes())
    stories = {s["kind"]: s for s in truth["stories"]}
    assert set(stories) == {"break", "fix", "segment_break"}
    assert stories["segment_break"]["segment"] == "platform=mobile"
    assert stories["break"]["page"] in stories["break"]["affected"]
    ingest_until_idle(names)
    fix = stories["fix"]
    records, _, _ = neo4j_driver.execute_query(
        "MATCH (:Page {id: $id})-[:VERSION]->(v:PageVersion) "
        "RETURN v.since AS since, v.title AS title ORDER BY since",
        id=fix["page"],
    )
    assert [r["since"] for r in records][-1] == fix["from_ms"]
    assert records[-1]["title"].endswith("(updated)")


def test_stories_need_weeks() -> None:
    result = run_cli("simulate", "--stories", "--days", "20", "--truth", "/dev/null")
    assert result.returncode == 2
    assert "stories need at least 42 days" in result.stderr
