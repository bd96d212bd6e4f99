"""The work queue's items (algorithms.work): merging, attribution of escalated paths, the
ticket formulas of docs/analytics.md, and what the search page never is. Expected values are
worked out by hand from the docs, or by an independent attribution in the test."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms.hotspots import RateTest
from algorithms.markov import success_chain
from algorithms.observed import observe
from algorithms.weak_pages import WeakPage
from algorithms.work import SOURCES
from algorithms.work.finding import Finding, WorkFacts, confidence_of, of, per_hundred
from algorithms.work.queue import work_queue
from graph_model.change.record import ChangeKind, ChangeRecord
from graph_model.link.record import MisleadingLink
from graph_model.page.record import WeakReason
from graph_model.path.record import Path
from graph_model.series.record import PageMetric
from graph_model.timewindow import DAY_MS, TimeWindow
from graph_model.work.record import (
    Confidence,
    WorkAction,
    WorkFigures,
    WorkItemState,
    WorkStatus,
    WorkSubject,
    reopens,
    work_item_id,
)
from tests.paths import T0, path_of
from tests.tiers import examples

WEEK = TimeWindow(T0 - DAY_MS, T0 + 6 * DAY_MS)


def facts(
    paths: Sequence[Path],
    searched: dict[str, tuple[str, ...]] | None = None,
    **more: object,
) -> WorkFacts:
    observed = observe(paths)
    searches = searched or {}
    base = WorkFacts(
        paths=paths,
        window=WEEK,
        observed=observed,
        chain=success_chain(observed),
        weak=(),
        hotspots=(),
        exits=(),
        escalations=(),
        searches=lambda p: searches.get(p.id, ()),
    )
    return replace(base, **more)  # type: ignore[arg-type]


def finding(
    action: WorkAction, subject: WorkSubject, excess: float = 0.0, precedence: int = 2
) -> Finding:
    return Finding(action, subject, "t", "r", (action.value,), excess=excess, precedence=precedence)


def source(*found: Finding) -> Callable[[WorkFacts], Iterable[Finding]]:
    return lambda _facts: found


PAGE_X = WorkSubject(page_id="X")
LINK_AB = WorkSubject(from_page_id="A", to_page_id="B")
QUERY = WorkSubject(query="refund")


def by_subject(items: Sequence[WorkFigures]) -> dict[str, WorkFigures]:
    return {w.subject.key: w for w in items}


def test_each_escalated_path_counts_once_page_then_query_then_link() -> None:
    paths = [
        path_of("ABAX", "ESCALATED", "c1"),  # ends on X: the page item's
        path_of("ABAC", "ESCALATED", "c2"),  # searched "refund": the query item's
        path_of("ABAC", "ESCALATED", "c3"),  # only the U-turn: the link item's
        path_of("ABAC", "RESOLVED", "c4"),  # a U-turn, not escalated
        path_of("SC", "ESCALATED", "c5"),  # searched "refund": the query item's
        path_of("SC", "ABANDONED", "c6"),  # searched "refund", failed
    ]
    searched = {paths[1].id: ("refund",), paths[4].id: ("refund",), paths[5].id: ("refund",)}
    queue = work_queue(
        facts(paths, searched),
        [
            source(
                finding(WorkAction.REWRITE_PAGE, PAGE_X),
                finding(WorkAction.FIX_LINK, LINK_AB, excess=4.0),
                finding(WorkAction.WRITE_ARTICLE, QUERY, excess=3.0),
            )
        ],
    )
    items = by_subject(queue)
    page, link, query = items[PAGE_X.key], items[LINK_AB.key], items[QUERY.key]
    assert (page.escalations, query.escalations, link.escalations) == (1, 2, 1)
    # Site: 4 escalations in 20 visits. X: 1 escalation - 1 visit x 0.2 = 0.8 (one week).
    assert page.tickets_per_week == 0.8
    # Query: excess 3 failed paths x 2 escalated (attributed) of its 3 failed paths.
    assert query.tickets_per_week == 2.0
    # Link: excess 4 U-turns x 1 escalated (attributed) of the 4 paths that U-turned.
    assert link.tickets_per_week == 1.0
    # Customers: X by c1; the link A -> B by c1..c4; the query by c2, c5, c6.
    assert (page.customers, link.customers, query.customers) == (1, 4, 3)
    assert [w.rank for w in queue] == [1, 2, 3]
    assert [w.subject.key for w in queue] == [QUERY.key, LINK_AB.key, PAGE_X.key]


def test_the_last_u_turn_takes_the_ticket_and_the_last_query_before_it() -> None:
    link_bc = WorkSubject(from_page_id="B", to_page_id="C")
    paths = [
        path_of("ABABCBD", "ESCALATED", "c1"),  # U-turns on A -> B, then on B -> C
        path_of("ABAD", "ESCALATED", "c2"),  # searched "refund" and then "other"
    ]
    searched = {paths[1].id: ("refund", "other")}
    queue = work_queue(
        facts(paths, searched),
        [
            source(
                finding(WorkAction.FIX_LINK, LINK_AB, excess=1.0),
                finding(WorkAction.FIX_LINK, link_bc, excess=1.0),
                finding(WorkAction.WRITE_ARTICLE, QUERY, excess=1.0),
            )
        ],
    )
    items = by_subject(queue)
    # c1 counts for B -> C (its last U-turn with an item); c2 for "refund" (its last query
    # with an item), not for the link it also U-turned on.
    assert items[link_bc.key].escalations == 1
    assert items[LINK_AB.key].escalations == 0
    assert items[QUERY.key].escalations == 1


def test_a_page_gets_one_item_for_all_its_findings() -> None:
    paths = [path_of("AX", "ABANDONED", "c1")]
    subject = WorkSubject(page_id="X")
    rewrite = finding(WorkAction.REWRITE_PAGE, subject, precedence=2)
    change = finding(WorkAction.INVESTIGATE_CHANGE, subject, precedence=1)
    dead_end = finding(WorkAction.FIX_DEAD_END, subject, precedence=0)
    [item] = work_queue(facts(paths), [source(rewrite, change)])
    assert item.action is WorkAction.INVESTIGATE_CHANGE
    assert item.reasons == ("INVESTIGATE_CHANGE", "REWRITE_PAGE")
    assert item.item_id == work_item_id(WorkAction.INVESTIGATE_CHANGE, subject)
    [item] = work_queue(facts(paths), [source(rewrite, dead_end, change)])
    assert item.action is WorkAction.FIX_DEAD_END


def test_the_search_page_is_never_a_page_item_nor_a_link_source() -> None:
    paths = [path_of(["search", "A"], "ABANDONED", f"c{i}") for i in range(3)]
    weak = [
        WeakPage("search", 3.0, (WeakReason.HIGH_EXIT,), 3, 0.0, 0.5),
        WeakPage("A", 3.0, (WeakReason.HIGH_EXIT,), 3, 0.0, 0.5),
    ]
    exits = [RateTest(p, 3, 3, 1.0, 0.1, 1e-4, 1e-3, True) for p in ("search", "A")]
    misleading = [
        MisleadingLink("search", "A", 30, 20, 3.0, 1e-6, 1e-5, 40, 2, 1e-4),
        MisleadingLink("B", "A", 30, 20, 3.0, 1e-6, 1e-5, 40, 2, 1e-4),
    ]
    queue = work_queue(facts(paths, weak=weak, exits=exits, misleading=misleading), SOURCES)
    subjects = {w.subject.key for w in queue}
    assert subjects == {
        WorkSubject(page_id="A").key,
        WorkSubject(from_page_id="B", to_page_id="A").key,
    }


def test_breaks_but_not_improvements_are_work() -> None:
    def change(metric: PageMetric, successes: int) -> ChangeRecord:
        return ChangeRecord(
            "X", metric, ChangeKind.PERIOD, T0, T0 + 1, T0 - 4, T0, successes, 100, 50, 100,
            1e-3, 1e-3,
        )  # fmt: skip

    paths = [path_of("AX", "ABANDONED", "c1")]
    for metric, successes, is_work in (
        (PageMetric.EXIT_RATE, 80, True),  # more customers leave: a break
        (PageMetric.EXIT_RATE, 20, False),
        (PageMetric.RESOLUTION_RATE, 20, True),  # fewer resolve: a break
        (PageMetric.RESOLUTION_RATE, 80, False),
    ):
        queue = work_queue(facts(paths, changes=[change(metric, successes)]), SOURCES)
        assert bool(queue) is is_work, (metric, successes)
        if is_work:
            assert queue[0].action is WorkAction.INVESTIGATE_CHANGE
            assert "in the week of" in queue[0].reason.lower()


def test_ids_are_stable_and_distinct() -> None:
    a = work_item_id(WorkAction.REWRITE_PAGE, WorkSubject(page_id="p1"))
    assert a == work_item_id(WorkAction.REWRITE_PAGE, WorkSubject(page_id="p1"))
    assert a != work_item_id(WorkAction.FIX_DEAD_END, WorkSubject(page_id="p1"))
    assert a != work_item_id(WorkAction.REWRITE_PAGE, WorkSubject(page_id="p2"))
    # A link's ends are not ambiguous with a page id holding the separator's neighbours.
    assert work_item_id(WorkAction.FIX_LINK, WorkSubject(from_page_id="a", to_page_id="b")) != (
        work_item_id(WorkAction.FIX_LINK, WorkSubject(from_page_id="b", to_page_id="a"))
    )


def test_plain_words() -> None:
    assert of(57, 100) == "57 of 100"
    assert of(1044, 12345) == "1,044 of 12,345"
    assert per_hundred(0.0523) == "5 in 100"
    assert per_hundred(0.004) == "0.4 in 100"
    assert (confidence_of(0.001), confidence_of(0.03), confidence_of(0.2), confidence_of(None)) == (
        Confidence.HIGH,
        Confidence.MEDIUM,
        Confidence.LOW,
        Confidence.LOW,
    )


def _state(tickets: float | None, customers: float | None) -> WorkItemState:
    return WorkItemState(
        "i", WorkAction.REWRITE_PAGE, page_id="p", status=WorkStatus.DISMISSED,
        dismissed_tickets_per_week=tickets, dismissed_customers_per_week=customers,
    )  # fmt: skip


def _figures(tickets: float, customers: float) -> WorkFigures:
    return WorkFigures(
        "i", WorkAction.REWRITE_PAGE, "t", "r", Confidence.LOW, page_id="p",
        tickets_per_week=tickets, customers_per_week=customers,
    )  # fmt: skip


def test_a_dismissed_item_comes_back_when_its_figures_double() -> None:
    assert not reopens(_state(3.0, 50.0), _figures(3.0, 500.0))  # same tickets
    assert not reopens(_state(3.0, 50.0), _figures(5.9, 50.0))
    assert reopens(_state(3.0, 50.0), _figures(6.0, 50.0))
    assert not reopens(_state(0.0, 50.0), _figures(0.0, 99.0))  # customers, then
    assert reopens(_state(0.0, 50.0), _figures(0.0, 100.0))
    assert reopens(_state(0.0, 50.0), _figures(0.5, 10.0))  # tickets where none were
    open_item = replace(_state(3.0, 50.0), status=WorkStatus.OPEN)
    assert not reopens(open_item, _figures(60.0, 500.0))


# ---- properties -----------------------------------------------------------------------

PAGES = "ABCX"
OUTCOMES = ("RESOLVED", "ABANDONED", "ESCALATED")


@st.composite
def journeys(draw: st.DrawFn) -> tuple[list[Path], dict[str, tuple[str, ...]]]:
    specs = draw(
        st.lists(
            st.tuples(
                st.lists(st.sampled_from(PAGES), min_size=1, max_size=6),
                st.sampled_from(OUTCOMES),
                st.lists(st.sampled_from(("q1", "q2")), max_size=2),
            ),
            min_size=1,
            max_size=25,
        )
    )
    paths, searched = [], {}
    for i, (pages, outcome, queries) in enumerate(specs):
        path = path_of(pages, outcome, f"c{i % 7}")
        path = replace(path, id=f"path{i}")
        paths.append(path)
        searched[path.id] = tuple(queries)
    return paths, searched


ITEMS = (
    finding(WorkAction.REWRITE_PAGE, WorkSubject(page_id="X")),
    finding(WorkAction.REWRITE_PAGE, WorkSubject(page_id="C")),
    finding(WorkAction.WRITE_ARTICLE, WorkSubject(query="q1"), excess=2.0),
    finding(WorkAction.FIX_LINK, WorkSubject(from_page_id="A", to_page_id="B"), excess=2.0),
    finding(WorkAction.FIX_LINK, WorkSubject(from_page_id="B", to_page_id="C"), excess=1.0),
)


def reference_attribution(
    paths: Sequence[Path], searched: dict[str, tuple[str, ...]]
) -> dict[str, int]:
    """Written from docs/analytics.md: an escalated path counts for its last page's item,
    else for the item of the last query it searched that has one, else for the item of the
    last link it made a U-turn on (A -> B -> A) that has one."""
    pages = {"X", "C"}
    queries = {"q1"}
    links = {("A", "B"), ("B", "C")}
    counts: dict[str, int] = {}
    for p in paths:
        if p.outcome.value != "ESCALATED":
            continue
        owner = None
        if p.pages[-1] in pages:
            owner = WorkSubject(page_id=p.pages[-1]).key
        else:
            hits = [q for q in searched[p.id] if q in queries]
            if hits:
                owner = WorkSubject(query=hits[-1]).key
            else:
                turns = [
                    (p.pages[i], p.pages[i + 1])
                    for i in range(len(p.pages) - 2)
                    if p.pages[i + 2] == p.pages[i] != p.pages[i + 1]
                    and (p.pages[i], p.pages[i + 1]) in links
                ]
                if turns:
                    a, b = turns[-1]
                    owner = WorkSubject(from_page_id=a, to_page_id=b).key
        if owner is not None:
            counts[owner] = counts.get(owner, 0) + 1
    return counts


@settings(max_examples=examples(200), deadline=None)
@given(journeys(), st.randoms(use_true_random=False))
def test_attribution_matches_the_reference_and_ignores_order(
    drawn: tuple[list[Path], dict[str, tuple[str, ...]]], rng: object
) -> None:
    paths, searched = drawn
    queue = work_queue(facts(paths, searched), [source(*ITEMS)])
    got = {w.subject.key: w.escalations for w in queue if w.escalations}
    assert got == reference_attribution(paths, searched)
    escalated = sum(p.outcome.value == "ESCALATED" for p in paths)
    assert sum(w.escalations for w in queue) <= escalated
    shuffled = list(paths)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    again = work_queue(facts(shuffled, searched), [source(*ITEMS)])
    assert [(w.item_id, w.tickets_per_week, w.customers) for w in again] == [
        (w.item_id, w.tickets_per_week, w.customers) for w in queue
    ]
