"""The work queue of one analysis (docs/analytics.md, "The work queue"): every finding as at
most one item, each with the tickets and customers per week it stands for, ranked.

- A page's findings (weak-page reasons, a break, no visits) become one item; its action is
  the finding's with the lowest precedence (a dead end, then a break, then a rewrite).
- Attribution: each escalated path counts in at most one item: its last page's item if
  there is one, else the item of the last query it searched that has one, else the item of
  the last link it made a U-turn on (A -> B -> A) that has one.
- ticketsPerWeek, over the analysed window's weeks (days / 7, at least 1), floored at 0:
  a page item, its escalations - visits x the site's escalations per visit; a link or query
  item, its excess (U-turns, failed paths) x the escalated paths attributed to it / the
  paths that made the excess (that made a U-turn on the link; that searched the query and
  failed). ADD_LINK and RETIRE_PAGE items account for no ticket.
- customersPerWeek: distinct customers whose completed paths it touches (through the page;
  along the link A -> B, or through A and later R for a suggestion; searching the query).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Final

from algorithms.work.finding import Finding, FindingSource, WorkFacts, confidence_of, strongest
from graph_model.path.record import Outcome, Path
from graph_model.timewindow import WEEK_MS
from graph_model.work.record import (
    WorkAction,
    WorkFigures,
    WorkSubject,
    work_item_id,
)

EXAMPLE_PATHS: Final = 5
EVIDENCE_FIGURES: Final = 20  # the first (the lead finding's first), of a page with many weeks
EVIDENCE_QUERIES: Final = 10
_FAILED: Final = frozenset({Outcome.ABANDONED, Outcome.ESCALATED})


@dataclass(slots=True)
class _Item:
    """An item being built: its findings, then what the paths say of it."""

    findings: list[Finding]
    customers: set[str] = field(default_factory=set)
    attributed: int = 0  # escalated paths it claims
    made: int = 0  # paths that made its excess (links, queries)
    examples: list[str] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)  # other paths that show it

    @property
    def lead(self) -> Finding:
        return min(self.findings, key=lambda f: f.precedence)

    def example(self, path: Path, attributed: bool) -> None:
        into = self.examples if attributed else self.shown
        if len(into) < EXAMPLE_PATHS:
            into.append(path.id)


def work_queue(facts: WorkFacts, sources: Sequence[FindingSource]) -> list[WorkFigures]:
    """The run's items, ranked (rank 1: the most tickets per week, then customers)."""
    items = _merge(f for source in sources for f in source(facts))
    _count(facts, items)
    weeks = max(1.0, (facts.window.high - facts.window.low) / WEEK_MS)
    site_rate = facts.observed.site_escalation_rate or 0.0
    built = [_figures(item, facts, weeks, site_rate) for item in items.values()]
    built.sort(key=lambda w: (-w.tickets_per_week, -w.customers_per_week, w.item_id))
    return [replace(w, rank=rank) for rank, w in enumerate(built, start=1)]


def _merge(findings: Iterable[Finding]) -> dict[tuple[str, ...], _Item]:
    """One item per page (whatever its findings' actions), per (action, link), per query."""
    items: dict[tuple[str, ...], _Item] = {}
    for finding in findings:
        subject = finding.subject
        if subject.page_id is not None:
            key: tuple[str, ...] = ("page", subject.page_id)
        else:
            key = (finding.action.value, subject.key)
        if key in items:
            items[key].findings.append(finding)
        else:
            items[key] = _Item([finding])
    return items


def _count(facts: WorkFacts, items: dict[tuple[str, ...], _Item]) -> None:
    """One pass over the completed paths, latest first: customers, attribution, examples."""
    pages: dict[str, _Item] = {}
    queries: dict[str, _Item] = {}
    u_turn_links: dict[tuple[str, str], _Item] = {}
    suggested: dict[str, list[tuple[str, _Item]]] = defaultdict(list)
    for item in items.values():
        lead, s = item.lead, item.lead.subject
        if s.page_id is not None:
            pages[s.page_id] = item
        elif s.query is not None:
            queries[s.query] = item
        elif s.from_page_id is not None and s.to_page_id is not None:
            if lead.action is WorkAction.ADD_LINK:
                suggested[s.from_page_id].append((s.to_page_id, item))
            else:
                u_turn_links[(s.from_page_id, s.to_page_id)] = item
    ordered = sorted(
        (p for p in facts.paths if p.completed and facts.window.contains(p.start)),
        key=lambda p: (p.start, p.id),
        reverse=True,
    )
    for path in ordered:
        claimed: _Item | None = None
        escalated = path.outcome is Outcome.ESCALATED
        failed = path.outcome in _FAILED
        touch = _toucher(path)
        for page in set(path.pages).intersection(pages):
            touch(pages[page])
        if path.last_page in pages:
            claimed = pages[path.last_page]
        searched = facts.searches(path)
        for query in set(searched).intersection(queries):
            item = queries[query]
            touch(item)
            if failed:
                item.made += 1
                item.example(path, attributed=False)
        if claimed is None and escalated:
            claimed = next((queries[q] for q in reversed(searched) if q in queries), None)
        links = _links_of(path, u_turn_links, suggested, touch)
        if claimed is None and escalated and links:
            claimed = links[-1]
        if claimed is not None and escalated:
            claimed.attributed += 1
            claimed.example(path, attributed=True)
        elif failed and path.last_page in pages:
            pages[path.last_page].example(path, attributed=False)


def _toucher(path: Path) -> Callable[[_Item], None]:
    """Counts the path's customer once in each item it touches."""

    def touch(item: _Item) -> None:
        item.customers.add(path.customer_id)

    return touch


def _links_of(
    path: Path,
    u_turn_links: dict[tuple[str, str], _Item],
    suggested: dict[str, list[tuple[str, _Item]]],
    touch: Callable[[_Item], None],
) -> list[_Item]:
    """Touch the link items along the path; the items of its U-turns A -> B -> A, in path
    order (each link's `made` counts the path once)."""
    pages = path.pages
    u_turns: list[_Item] = []
    made: set[int] = set()
    for i in range(len(pages) - 1):
        pair = (pages[i], pages[i + 1])
        item = u_turn_links.get(pair)
        if item is None:
            continue
        touch(item)
        if i + 2 < len(pages) and pages[i + 2] == pages[i] and pages[i + 1] != pages[i]:
            u_turns.append(item)
            if id(item) not in made:
                made.add(id(item))
                item.made += 1
                item.example(path, attributed=False)
    for i, page in enumerate(pages):
        for target, item in suggested.get(page, ()):
            if target in pages[i + 1 :]:
                touch(item)
    return u_turns


def _figures(item: _Item, facts: WorkFacts, weeks: float, site_rate: float) -> WorkFigures:
    lead = item.lead
    subject: WorkSubject = lead.subject
    findings = sorted(item.findings, key=lambda f: f.precedence)
    reasons = tuple(dict.fromkeys(r for f in findings for r in f.reasons))
    figures = [f for finding in findings for f in finding.figures]
    tickets = 0.0
    if any(f.counts_tickets for f in findings):
        if subject.page_id is not None:
            seen = facts.observed.pages.get(subject.page_id)
            visits = seen.visits if seen is not None else 0
            tickets = max(0.0, item.attributed - visits * site_rate)
        elif item.made:
            tickets = max(0.0, lead.excess) * item.attributed / item.made
    q_value = strongest(*(f.q_value for f in findings))
    return WorkFigures(
        item_id=work_item_id(lead.action, subject),
        action=lead.action,
        title=lead.title,
        reason=lead.reason,
        confidence=confidence_of(q_value),
        page_id=subject.page_id,
        from_page_id=subject.from_page_id,
        to_page_id=subject.to_page_id,
        query=subject.query,
        reasons=reasons,
        tickets_per_week=tickets / weeks,
        customers_per_week=len(item.customers) / weeks,
        escalations=item.attributed,
        customers=len(item.customers),
        q_value=q_value,
        weeks=weeks,
        evidence_figures=[asdict(f) for f in figures[:EVIDENCE_FIGURES]],
        example_paths=tuple((item.examples + item.shown)[:EXAMPLE_PATHS]),
        queries=tuple(dict.fromkeys(q for f in findings for q in f.queries))[:EVIDENCE_QUERIES],
    )
