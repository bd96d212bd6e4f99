"""What one batch writes (ingest.batch.compute_batch) and the rows the write statement gets
(graph_model.path.batch.plan), as pure functions, against hand-computed answers."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from graph_model.path.batch import BatchWrite, TransitionDelta, plan, to_compact
from graph_model.path.record import Click, EventType, Outcome, PathRules
from ingest.batch import REUSED_EVENT_ID, accept_clicks, compute_batch

MIN = 60_000
RULES = PathRules(timeout_ms=30 * MIN, quick_ms=10_000)


def click(key: str, page: str, minute: float, customer: str = "c", resolved: bool = False) -> Click:
    return Click(key, customer, page, round(minute * MIN), resolved, seq=int(key[1:]))


def marker(key: str, kind: str, minute: float, customer: str = "c", page: str = "") -> Click:
    return Click(key, customer, page, round(minute * MIN), seq=int(key[1:]), kind=EventType(kind))


def deltas(batch: BatchWrite) -> set[tuple[str, str, int, int]]:
    return {(d.from_page, d.to_page, d.count, d.turnarounds) for d in batch.transitions}


def test_first_clicks_of_a_customer_make_one_open_path() -> None:
    new = [click("k1", "A", 0), click("k2", "B", 1), click("k3", "A", 1.1)]
    batch = compute_batch({"c": new}, {}, watermark_ms=2 * MIN, rules=RULES)
    assert batch.deleted_paths == []
    [path] = batch.created_paths
    assert (path.id, path.pages, path.outcome) == ("c:k1", ("A", "B", "A"), Outcome.OPEN)
    assert (path.turnarounds, path.quick_turnarounds) == (1, 1)  # 6 s on B
    assert deltas(batch) == {("A", "B", 1, 1), ("B", "A", 1, 0)}
    assert batch.visited == {("c", "A"): 2, ("c", "B"): 1}
    assert [c.key for c in batch.new_clicks] == ["k1", "k2", "k3"]


def test_a_replay_changes_nothing() -> None:
    stored = [click("k1", "A", 0), click("k2", "B", 1)]
    batch = compute_batch({"c": [click("k2", "B", 1)]}, {"c": stored}, 2 * MIN, RULES)
    assert batch.empty
    assert batch.transitions == []


def test_a_late_click_in_the_middle_rewrites_the_path_and_moves_transitions_by_the_difference() -> (
    None
):
    stored = [click("k1", "A", 0), click("k3", "C", 2)]  # A -> C
    late = [click("k2", "B", 1)]  # arrives after C, belongs between A and C
    batch = compute_batch({"c": late}, {"c": stored}, 3 * MIN, RULES)
    assert [p.pages for p in batch.deleted_paths] == [("A", "C")]
    assert [p.pages for p in batch.created_paths] == [("A", "B", "C")]
    assert deltas(batch) == {("A", "C", -1, 0), ("A", "B", 1, 0), ("B", "C", 1, 0)}


def test_a_late_resolved_click_splits_a_path() -> None:
    stored = [click("k1", "A", 0), click("k3", "C", 2)]
    batch = compute_batch(
        {"c": [click("k2", "B", 1, resolved=True)]}, {"c": stored}, 3 * MIN, RULES
    )
    assert sorted((p.pages, p.outcome) for p in batch.created_paths) == [
        (("A", "B"), Outcome.RESOLVED),
        (("C",), Outcome.OPEN),
    ]
    assert deltas(batch) == {("A", "C", -1, 0), ("A", "B", 1, 0)}


def test_only_changed_paths_are_rewritten() -> None:
    # A new path after the timeout leaves the old one alone: both "before" and "after" see it
    # ABANDONED at this watermark (the store's watermark statement closes stored OPEN paths).
    stored = [click("k1", "A", 0), click("k2", "B", 1)]
    batch = compute_batch({"c": [click("k3", "C", 60)]}, {"c": stored}, 61 * MIN, RULES)
    assert batch.deleted_paths == []
    assert [(p.pages, p.outcome) for p in batch.created_paths] == [(("C",), Outcome.OPEN)]
    assert deltas(batch) == set()  # A -> B was counted already; C has no transition


def test_first_arrival_of_a_duplicated_key_wins_within_a_batch() -> None:
    first, again = click("k1", "A", 0), Click("k1", "c", "Z", 5 * MIN, False, seq=9)
    accepted, [rejected] = accept_clicks([again, first], {})
    assert accepted == {"c": [first]}  # arrival order is seq, not list order
    assert rejected.click == again  # same key, other content: a reused event id


# ---- the plan --------------------------------------------------------------------------------


def test_a_path_that_only_grew_keeps_its_node_and_gets_its_new_clicks_appended() -> None:
    stored = [click("k1", "A", 0), click("k2", "B", 1)]
    batch = compute_batch({"c": [click("k3", "C", 2)]}, {"c": stored}, 2 * MIN, RULES)
    p = plan(batch, known_customers={"c"})
    assert p.deleted == []  # extended, not deleted and recreated
    [row] = p.customers
    assert row["paths"] == []
    [extended] = row["extended"]
    assert extended["id"] == "c:k1"
    assert [n[0] for n in extended["new"]] == ["k3"]  # only the appended click
    assert extended["order"] is None
    assert extended["props"]["pages"] == ["A", "B", "C"]
    assert p.pages == ["C"]
    assert (row["visits"], row["newVisits"]) == ([[0, 1]], [])  # C, once; merged


def test_a_rewritten_path_is_deleted_then_created_with_stored_and_new_clicks_interleaved() -> None:
    stored = [click("k1", "A", 0), click("k3", "C", 2)]
    batch = compute_batch({"c": [click("k2", "B", 1)]}, {"c": stored}, 3 * MIN, RULES)
    p = plan(batch, known_customers={"c"})
    assert [d.id for d in p.deleted] == ["c:k1"]
    [created] = p.customers[0]["paths"]
    assert [n[0] for n in created["new"]] == ["k2"]
    assert created["stored"] == ["k1", "k3"]
    # order: stored k1 (-1), new k2 (0), stored k3 (-2)
    assert created["order"] == [-1, 0, -2]


def test_a_new_customer_gets_its_visits_created_not_merged() -> None:
    batch = compute_batch({"n": [click("k1", "A", 0, "n")]}, {}, MIN, RULES)
    [row] = plan(batch, known_customers=set()).customers
    assert (row["newVisits"], row["visits"]) == ([[0, 1]], [])


@given(st.lists(st.sampled_from("ABC"), min_size=1, max_size=8), st.integers(0, 7))
def test_every_new_click_is_placed_exactly_once(pages: list[str], cut: int) -> None:
    clicks = [click(f"k{i}", page, i) for i, page in enumerate(pages)]
    stored, new = clicks[: min(cut, len(clicks) - 1)], clicks[min(cut, len(clicks) - 1) :]
    batch = compute_batch({"c": new}, {"c": stored} if stored else {}, 10 * MIN, RULES)
    p = plan(batch, known_customers={"c"} if stored else set())
    placed = [
        n[0]
        for row in p.customers
        for path in (*row["paths"], *row["extended"])
        for n in path["new"]
    ]
    assert sorted(placed) == sorted(c.key for c in new)
    assert p.unplaced == []


def test_transition_deltas_fold_turnarounds_into_their_edge() -> None:
    batch = compute_batch({"c": [click(f"k{i}", p, i) for i, p in enumerate("ABA")]}, {}, 0, RULES)
    assert sorted(batch.transitions, key=lambda d: (d.from_page, d.to_page)) == [
        TransitionDelta("A", "B", 1, 1),
        TransitionDelta("B", "A", 1, 0),
    ]


# ---- outcome markers and segments ------------------------------------------------------------


def test_a_late_marker_ends_a_stored_path_without_touching_pages_or_transitions() -> None:
    stored = [click("k1", "A", 0), click("k2", "B", 1)]
    vote = marker("k3", "resolution", 2, page="B")
    batch = compute_batch({"c": [vote]}, {"c": stored}, 2 * MIN, RULES)
    assert [(p.pages, p.outcome, p.ended_by) for p in batch.deleted_paths] == [
        (("A", "B"), Outcome.OPEN, None)
    ]
    assert [(p.pages, p.outcome, p.ended_by) for p in batch.created_paths] == [
        (("A", "B"), Outcome.RESOLVED, "k3")
    ]
    assert batch.transitions == []  # the same pages: no transition moves
    assert batch.visited == {}  # the marker is no visit: no VISITED count moves
    p = plan(batch, known_customers={"c"})
    assert p.pages == []  # no page of a marker is merged
    [row] = p.customers
    [created] = row["paths"]
    assert (created["new"], created["stored"]) == ([], ["k1", "k2"])
    assert row["visits"] == []  # no new click: no VISITED count changes
    assert [m["key"] for m in p.markers] == ["k3"]
    assert p.markers[0] | {"ts": None} == {
        "key": "k3",
        "customer": "c",
        "type": "resolution",
        "page": "B",
        "ts": None,
        "seq": 3,
        "attributes": None,
    }
    assert p.endings == [{"path": "c:k1", "customer": "c", "marker": "k3"}]


def test_an_orphan_marker_of_a_new_customer_is_only_stored() -> None:
    batch = compute_batch({"n": [marker("k1", "escalation", 0, "n")]}, {}, MIN, RULES)
    assert (batch.created_paths, batch.deleted_paths, batch.visited) == ([], [], {})
    p = plan(batch, known_customers=set())
    assert (p.customers, p.endings, p.segments) == ([], [], [])
    assert [m["key"] for m in p.markers] == ["k1"]


def test_segments_are_written_when_a_path_gets_new_ones_only() -> None:
    ios = (("platform", "ios"),)
    first = dataclasses.replace(click("k1", "A", 0), attributes=ios)
    batch = compute_batch({"c": [first]}, {}, MIN, RULES)
    assert plan(batch, set()).segments == [{"path": "c:k1", "segments": ["platform=ios"]}]

    # Grows with a click whose platform loses to the earlier one: nothing to relink.
    same = dataclasses.replace(click("k2", "B", 1), attributes=(("platform", "web"),))
    grown = compute_batch({"c": [same]}, {"c": [first]}, 2 * MIN, RULES)
    assert plan(grown, {"c"}).segments == []

    # A new key joins: the path is relinked with both.
    other = dataclasses.replace(click("k2", "B", 1), attributes=(("locale", "de"),))
    relinked = compute_batch({"c": [other]}, {"c": [first]}, 2 * MIN, RULES)
    assert plan(relinked, {"c"}).segments == [
        {"path": "c:k1", "segments": ["locale=de", "platform=ios"]}
    ]


def test_a_page_view_and_a_marker_under_one_event_id_conflict() -> None:
    view = click("k1", "A", 0)
    same_id = dataclasses.replace(marker("k9", "escalation", 0, page="A"), key="k1", seq=2)
    accepted, rejected = accept_clicks([view, same_id], {})
    assert accepted == {"c": [view]}
    assert [(r.click, r.reason) for r in rejected] == [(same_id, REUSED_EVENT_ID)]


# ---- retention -------------------------------------------------------------------------------


def test_a_compaction_step_takes_whole_paths_within_its_budget_and_at_least_one() -> None:
    rows = [("a", 1, 3, True), ("b", 2, 4, True), ("c", 3, 2, True)]
    assert to_compact(rows, 7) == 2  # 3 + 4; c would make 9
    assert to_compact(rows, 9) == 3
    assert to_compact(rows, 2) == 1  # a alone is over the budget: taken all the same
    assert to_compact([], 5) == 0


def test_paths_a_late_event_can_still_reach_cost_no_budget() -> None:
    """They are only passed (labelled), not compacted: their clicks stay."""
    rows = [("a", 1, 3, True), ("b", 2, 40, False), ("c", 3, 4, True), ("d", 4, 1, True)]
    assert to_compact(rows, 7) == 3  # 3 + 0 + 4; d would make 8
