"""A work item's status on the real servers (docs/api.md, "The work queue"): its id and
status survive another analysis and a crashed one; a dismissed item stays dismissed with the
same evidence and comes back once its tickets per week double.

A tiny help center (work_helpers.help_center): one escalation hotspot, one week."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from neo4j import Driver

from pathrank.faults import InjectedFaultError
from tests.integration.analyzed import analyze
from tests.integration.ingest_helpers import TestGraph, wiring
from tests.integration.time_helpers import InProcessApi
from tests.integration.work_helpers import (
    HOTSPOT,
    ITEM,
    SET_STATUS,
    help_center,
    item_of_page,
    load_events,
    queue,
    work_api,
)


@pytest.fixture
def api(store: TestGraph) -> Iterator[InProcessApi]:
    with work_api() as client:
        yield client


def analysed_hotspot(driver: Driver, api: InProcessApi) -> dict[str, Any]:
    """The help center with 40 journeys ending in a ticket, analysed: its hotspot's item."""
    load_events(driver, help_center(escalating=40))
    analyze(driver)
    return item_of_page(queue(api), HOTSPOT)


def crash_at(driver: Driver, step: str) -> None:
    with pytest.raises(InjectedFaultError):
        wiring(analysis_fault=f"{step}:raise").analysis(driver).run()


def test_id_and_status_survive_analyses_and_crashes(
    neo4j_driver: Driver, api: InProcessApi
) -> None:
    item = analysed_hotspot(neo4j_driver, api)
    assert "ESCALATION_HOTSPOT" in item["reasons"]
    assert item["ticketsPerWeek"] > 30
    marked = api.data(SET_STATUS, {"id": item["id"], "status": "DOING", "note": "Ana"})
    assert marked["setWorkItemStatus"]["status"] == "DOING"

    analyze(neo4j_driver)  # a second analysis: same id, same status
    for step in ("stage work queue", "switch", "publish"):  # crashes before and after switch
        crash_at(neo4j_driver, step)
        again = api.data(ITEM, {"id": item["id"]})["workItem"]
        assert (again["status"], again["note"], again["stale"]) == ("DOING", "Ana", False), step
    # What the failed runs staged is gone (the item stays: it is no run's).
    staged, _, _ = neo4j_driver.execute_query(
        "MATCH (r:AnalysisRun {status: 'FAILED'}) MATCH (x) WHERE x.run = r.id "
        "AND (x:WorkItemFigures OR x:WorkItemVerification OR x:StagedAlert) RETURN count(x) AS n"
    )
    assert staged[0]["n"] == 0
    analyze(neo4j_driver)  # the next run finishes what the crashed publish left
    after = item_of_page(queue(api), HOTSPOT)
    assert (after["id"], after["status"], after["note"]) == (item["id"], "DOING", "Ana")
    assert after["ticketsPerWeek"] == pytest.approx(item["ticketsPerWeek"])


def test_a_dismissed_item_comes_back_only_when_its_tickets_double(
    neo4j_driver: Driver, api: InProcessApi
) -> None:
    item = analysed_hotspot(neo4j_driver, api)
    api.data(SET_STATUS, {"id": item["id"], "status": "DISMISSED", "note": "seasonal"})
    assert HOTSPOT not in {i["page"]["id"] for i in queue(api, ["OPEN", "DOING"]) if i["page"]}

    analyze(neo4j_driver)  # the same evidence
    same = api.data(ITEM, {"id": item["id"]})["workItem"]
    assert same["status"] == "DISMISSED"
    assert same["ticketsPerWeek"] == pytest.approx(item["ticketsPerWeek"])

    load_events(neo4j_driver, help_center(escalating=90, offset=40))  # 130 tickets, not 40
    analyze(neo4j_driver)
    back = api.data(ITEM, {"id": item["id"]})["workItem"]
    assert back["ticketsPerWeek"] >= 2 * item["ticketsPerWeek"]
    assert back["status"] == "OPEN"
    assert "Reopened" in back["note"]
    assert item["id"] in {i["id"] for i in queue(api, ["OPEN"])}


def test_a_waiting_verdict_is_computed_again_by_each_analysis(
    neo4j_driver: Driver, api: InProcessApi
) -> None:
    item = analysed_hotspot(neo4j_driver, api)
    hours_before_the_end = "2026-01-06T00:00:00Z"  # the data ends at 17:20 that day
    marked = api.data(SET_STATUS, {"id": item["id"], "status": "DONE", "at": hours_before_the_end})[
        "setWorkItemStatus"
    ]["verification"]
    assert marked["verdict"] == "WAITING"  # under 200 trials either side, hours after
    analyze(neo4j_driver)
    again = api.data(ITEM, {"id": item["id"]})["workItem"]["verification"]
    assert again["verdict"] == "WAITING"
    assert again["computedAt"] > marked["computedAt"]
    assert again["since"] == marked["since"]


def test_unknown_ids_and_bad_input(api: InProcessApi, neo4j_driver: Driver) -> None:
    load_events(neo4j_driver, help_center(escalating=40))
    analyze(neo4j_driver)
    assert api.data(ITEM, {"id": "no-such-item"})["workItem"] is None
    gone = api.data(SET_STATUS, {"id": "no-such-item", "status": "DONE"})
    assert gone["setWorkItemStatus"] is None
    item = item_of_page(queue(api), HOTSPOT)
    error = api.error(SET_STATUS, {"id": item["id"], "status": "DONE", "note": "x" * 2001})
    assert "note" in error
    error = api.error(SET_STATUS, {"id": item["id"], "status": "SOLVED"})
    assert "SOLVED" in error
    error = api.error(SET_STATUS, {"id": item["id"], "status": "DONE", "at": "2999-01-01T00:00Z"})
    assert "future" in error
