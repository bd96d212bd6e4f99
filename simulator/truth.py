"""The planted truth: what the analytics should recover, with the observed magnitudes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator.config import SimulationConfig
from simulator.customers import Customer
from simulator.navigate import Session
from simulator.site import Role, Site

PLANTED = (Role.HOTSPOT, Role.DEAD_END, Role.MISLEADING)


@dataclass(slots=True)
class PageCounts:
    """Per-page counts with the definitions of docs/paths.md, over the generated paths."""

    visits: list[int]
    opportunities: list[int]
    turnarounds: list[int]
    exits: list[int]  # last page of an ABANDONED path
    resolutions: list[int]
    escalations: list[int]  # last page of an ESCALATED path

    @classmethod
    def empty(cls, n: int) -> PageCounts:
        return cls([0] * n, [0] * n, [0] * n, [0] * n, [0] * n, [0] * n)

    def add(self, pages: list[int], outcome: str) -> None:
        for p in pages:
            self.visits[p] += 1
        for i in range(1, len(pages) - 1):
            here = pages[i]
            self.opportunities[here] += 1
            if pages[i + 1] == pages[i - 1] != here:
                self.turnarounds[here] += 1
        if outcome == "RESOLVED":
            self.resolutions[pages[-1]] += 1
        elif outcome == "ABANDONED":
            self.exits[pages[-1]] += 1
        elif outcome == "ESCALATED":
            self.escalations[pages[-1]] += 1

    def row(self, p: int) -> dict[str, Any]:
        return {
            "visits": self.visits[p],
            "opportunities": self.opportunities[p],
            "turnarounds": self.turnarounds[p],
            "turnaround_rate": _rate(self.turnarounds[p], self.opportunities[p]),
            "exits": self.exits[p],
            "exit_rate": _rate(self.exits[p], self.visits[p]),
            "resolutions": self.resolutions[p],
            "escalations": self.escalations[p],
            "escalation_rate": _rate(self.escalations[p], self.visits[p]),
        }


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _outcome(session: Session, watermark: int, timeout_ms: int) -> str:
    if session.resolved:
        return "RESOLVED"
    if session.escalated:
        return "ESCALATED"
    return "ABANDONED" if watermark - session.last_click > timeout_ms else "OPEN"


def build_truth(
    config: SimulationConfig, site: Site, customers: list[Customer], sessions: list[Session]
) -> dict[str, Any]:
    ids = site.page_ids
    planted = {role: sorted(ids[i] for i in site.with_role(role)) for role in PLANTED}
    contact_pages = [ids[site.contact], ids[site.request]]
    counts, summary = _observe(config, len(ids), customers, sessions)
    ids = [*ids, "search"]  # the search page (simulator/search.py): one past the site's
    return {
        "seed": config.seed,
        "config": config.model_dump(mode="json"),
        "hotspots": planted[Role.HOTSPOT],
        "dead_ends": planted[Role.DEAD_END],
        "misleading": planted[Role.MISLEADING],
        "contact_pages": contact_pages,
        # Low success probability: nothing useful follows these pages.
        "weak_pages": sorted(planted[Role.DEAD_END] + planted[Role.MISLEADING] + contact_pages),
        "resolution_pages": sorted({ids[s.steps[-1][0]] for s in sessions if s.resolved}),
        "segments": {c.customer_id: site.regions[c.segment].segment for c in customers},
        "segment_pages": {
            region.segment: [ids[i] for i in site.region_pages(r)]
            for r, region in enumerate(site.regions)
        },
        "summary": summary,
        "planted_stats": {ids[i]: counts.row(i) for role in PLANTED for i in site.with_role(role)},
    }


def _observe(
    config: SimulationConfig, n_pages: int, customers: list[Customer], sessions: list[Session]
) -> tuple[PageCounts, dict[str, Any]]:
    watermark = max(s.last_click for s in sessions)
    counts = PageCounts.empty(n_pages + 1)  # and the search page
    outcomes = {"RESOLVED": 0, "ABANDONED": 0, "ESCALATED": 0, "OPEN": 0}
    lengths: list[int] = []
    paths_per_customer = [0] * len(customers)
    for session in sessions:
        outcome = _outcome(session, watermark, config.inactivity_timeout_ms)
        outcomes[outcome] += 1
        counts.add([page for page, _, _ in session.steps], outcome)
        paths_per_customer[session.customer] += 1
        if outcome != "OPEN":
            lengths.append(len(session.steps))
    mean = sum(lengths) / len(lengths) if lengths else 0.0
    variance = sum((x - mean) ** 2 for x in lengths) / len(lengths) if lengths else 0.0
    completed = outcomes["RESOLVED"] + outcomes["ABANDONED"] + outcomes["ESCALATED"]
    summary = {
        "events": sum(counts.visits),
        "pages": n_pages,
        "customers": len(customers),
        "customers_with_several_paths": sum(1 for n in paths_per_customer if n > 1),
        "paths": len(sessions),
        "resolved": outcomes["RESOLVED"],
        "abandoned": outcomes["ABANDONED"],
        "escalated": outcomes["ESCALATED"],
        "open": outcomes["OPEN"],
        "mean_length": round(mean, 4),
        "variance_length": round(variance, 4),
        "self_service_rate": _rate(outcomes["RESOLVED"], completed),
        "escalation_rate": _rate(outcomes["ESCALATED"], completed),
        "site_turnaround_rate": _rate(sum(counts.turnarounds), sum(counts.opportunities)),
        "site_exit_rate": _rate(sum(counts.exits), sum(counts.visits)),
    }
    return counts, summary
