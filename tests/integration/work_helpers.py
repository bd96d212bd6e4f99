"""Shared by the work-queue tests: the API in-process with setWorkItemStatus, the queries,
a tiny help center with one escalation hotspot, and an attribution of escalated paths
written from docs/analytics.md without the product's code."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

from neo4j import Driver

from tests.integration.ingest_helpers import NOW_MS, wiring
from tests.integration.time_helpers import InProcessApi, in_process_api

ITEM_FIELDS: Final = """
  id action title reason reasons ticketsPerWeek customersPerWeek escalations confidence
  status note stale rank page { id } query link { from { id } to { id } }
  evidence { figures { name value count outOf baseline qValue } paths { id outcome } }
  verification {
    verdict rate since days pValue ticketsAvoidedPerWeek computedAt
    before { successes trials rate } after { successes trials rate }
  }
"""
QUEUE: Final = f"""query($status: [WorkStatus!]) {{
  workQueue(first: 100, status: $status) {{ {ITEM_FIELDS} }}
}}"""
ITEM: Final = f"query($id: ID!) {{ workItem(id: $id) {{ {ITEM_FIELDS} }} }}"
SET_STATUS: Final = f"""mutation($id: ID!, $status: WorkStatus!, $note: String, $at: DateTime) {{
  setWorkItemStatus(id: $id, status: $status, note: $note, at: $at) {{ {ITEM_FIELDS} }}
}}"""
EVERY_STATUS: Final = ["OPEN", "DOING", "DONE", "DISMISSED"]


@contextmanager
def work_api(**settings: Any) -> Iterator[InProcessApi]:
    """The API in-process, with setWorkItemStatus on the product's wiring."""
    with in_process_api(set_work_status=wiring(**settings).set_work_item_status) as api:
        yield api


def queue(api: InProcessApi, statuses: Sequence[str] = EVERY_STATUS) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.data(QUEUE, {"status": list(statuses)})["workQueue"]
    return items


def item_of_page(items: Sequence[dict[str, Any]], page: str) -> dict[str, Any]:
    return next(i for i in items if i["page"] and i["page"]["id"] == page)


# ---- a tiny help center -----------------------------------------------------------------

T0 = 1_767_600_000  # 2026-01-05T08:00Z, a Monday (epoch seconds)
HOTSPOT: Final = "contact"


def help_center(escalating: int, offset: int = 0) -> list[dict[str, Any]]:
    """200 journeys home -> answer that resolve, and `escalating` journeys home -> billing ->
    contact that end in a ticket (customers from `offset` on): `contact` is an escalation
    hotspot standing for about `escalating` x (1 - the site's rate) tickets, all in one
    week."""
    events: list[dict[str, Any]] = []
    for n in range(200):
        t = T0 + n * 600
        events += [_click(f"r{n}", "home", t), _click(f"r{n}", "answer", t + 20, resolved=True)]
    for n in range(offset, offset + escalating):
        t = T0 + 300 + (n * 600) % (6 * 86_400)
        customer = f"e{n}"
        events += [
            _click(customer, "home", t),
            _click(customer, "billing", t + 20),
            _click(customer, HOTSPOT, t + 40),
            {"customer_id": customer, "timestamp": t + 60, "event_type": "escalation"},
        ]
    return events


def _click(customer: str, page: str, t: int, resolved: bool = False) -> dict[str, Any]:
    return {"customer_id": customer, "page_id": page, "timestamp": t, "is_resolved": resolved}


def load_events(driver: Driver, events: Sequence[dict[str, Any]]) -> None:
    wiring().load(driver, events, now_ms=NOW_MS)


# ---- attribution, from the docs ----------------------------------------------------------


@dataclass(frozen=True)
class Journey:
    """A completed path as the attribution needs it: its pages and, step by step, the query
    searched ("" where the step is no search)."""

    outcome: str
    pages: tuple[str, ...]
    queries: tuple[str, ...]


def journeys(driver: Driver) -> list[Journey]:
    records, _, _ = driver.execute_query(
        "MATCH (p:Path) WHERE p.outcome <> 'OPEN' "
        "RETURN p.outcome AS o, p.pages AS pages, coalesce(p.queries, []) AS queries"
    )
    return [Journey(r["o"], tuple(r["pages"]), tuple(r["queries"])) for r in records]


def attribution(paths: Sequence[Journey], items: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Escalated completed paths per item id: each counts for the item of its last page if
    it has one, else for the item of the last query it searched that has one, else for the
    item of the last link A -> B it made a U-turn on (A -> B -> A) that has one."""
    live = [i for i in items if not i["stale"]]
    pages = {i["page"]["id"]: i["id"] for i in live if i["page"]}
    queries = {i["query"]: i["id"] for i in live if i["query"]}
    links = {
        (i["link"]["from"]["id"], i["link"]["to"]["id"]): i["id"]
        for i in live
        if i["link"] and i["action"] == "FIX_LINK"
    }
    counts: dict[str, int] = {}
    for p in paths:
        if p.outcome != "ESCALATED":
            continue
        owner = pages.get(p.pages[-1])
        if owner is None:
            searched = [queries[q] for q in p.queries if q in queries]
            owner = searched[-1] if searched else None
        if owner is None:
            turns = [
                links[(p.pages[i], p.pages[i + 1])]
                for i in range(len(p.pages) - 2)
                if p.pages[i] == p.pages[i + 2] != p.pages[i + 1]
                and (p.pages[i], p.pages[i + 1]) in links
            ]
            owner = turns[-1] if turns else None
        if owner is not None:
            counts[owner] = counts.get(owner, 0) + 1
    return counts
