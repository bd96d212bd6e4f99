"""What a batch accepts (reused event ids, key clashes, the watermark) and how poison records
are isolated: pure logic, with oracles written here rather than taken from the code."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st
from neo4j.exceptions import Neo4jError

from graph_model.path.record import Click
from ingest.batch import (
    KEY_CLASH,
    REUSED_EVENT_ID,
    Rejected,
    accept_clicks,
    key_clashes,
    next_watermark,
)
from ingest.poison import isolate, refused_reason

T = 1_700_000_000_000


def click(
    customer: str, key: str, page: str = "p1", ts: int = T, seq: int = 0, resolved: bool = False
) -> Click:
    return Click(key, customer, page, ts, resolved, seq, None)


# --- reused event ids -------------------------------------------------------------------------


def test_the_first_arrival_is_kept_and_other_content_under_its_id_is_rejected() -> None:
    first = click("a", "e1", "p1", seq=1)
    other_page = click("a", "e1", "p2", seq=2)
    other_time = click("a", "e1", "p1", ts=T + 1, seq=3)
    other_flag = click("a", "e1", "p1", seq=4, resolved=True)
    duplicate = click("a", "e1", "p1", seq=5)
    accepted, rejected = accept_clicks([duplicate, other_flag, first, other_time, other_page], {})
    assert accepted == {"a": [first]}
    assert rejected == [
        Rejected(other_page, REUSED_EVENT_ID),
        Rejected(other_time, REUSED_EVENT_ID),
        Rejected(other_flag, REUSED_EVENT_ID),
    ]


def test_the_stored_version_wins_over_the_batch() -> None:
    stored = click("a", "e1", "p1", seq=0)
    conflicting = click("a", "e1", "p2", seq=7)
    replay = click("a", "e1", "p1", seq=8)  # after the conflict in the batch: still no letter
    fresh = click("a", "e2", "p3", seq=9)
    accepted, rejected = accept_clicks([conflicting, replay, fresh], {"a": [stored]})
    assert accepted == {"a": [fresh]}
    assert rejected == [Rejected(conflicting, REUSED_EVENT_ID)]


def test_the_referrer_is_not_part_of_the_content() -> None:
    first = Click("e1", "a", "p1", T, False, 1, "r1")
    later = Click("e1", "a", "p1", T, False, 2, "r2")
    assert accept_clicks([first, later], {}) == ({"a": [first]}, [])


def test_the_same_id_for_two_customers_is_no_content_conflict() -> None:
    # That is a key clash, which the unique key constraint finds (key_clashes).
    a, b = click("a", "e1", "p1", seq=1), click("b", "e1", "p2", seq=2)
    assert accept_clicks([a, b], {}) == ({"a": [a], "b": [b]}, [])


_keys = st.sampled_from(["e1", "e2", "e3"])
_clicks = st.builds(
    click,
    customer=st.sampled_from(["a", "b"]),
    key=_keys,
    page=st.sampled_from(["p1", "p2"]),
    ts=st.integers(T, T + 2),
    resolved=st.booleans(),
)


@given(
    batch=st.lists(_clicks, max_size=12).map(
        lambda cs: [
            Click(c.key, c.customer_id, c.page_id, c.ts_ms, c.resolved, i, None)
            for i, c in enumerate(cs)
        ]
    ),
    stored=st.lists(_clicks, max_size=4, unique_by=lambda c: (c.customer_id, c.key)),
)
def test_every_click_is_accepted_rejected_or_a_duplicate(
    batch: list[Click], stored: list[Click]
) -> None:
    by_customer: dict[str, list[Click]] = {}
    for c in stored:
        by_customer.setdefault(c.customer_id, []).append(c)
    accepted, rejected = accept_clicks(list(reversed(batch)), by_customer)

    # The oracle: walk arrivals in order; a key's first version is the stored click or the
    # first arrival; same page, time and flag is a duplicate, anything else a rejection.
    first: dict[tuple[str, str], Click] = {(c.customer_id, c.key): c for c in stored}
    want_accepted: dict[str, list[Click]] = {}
    want_rejected: list[Click] = []
    for c in batch:
        known = first.get((c.customer_id, c.key))
        want_accepted.setdefault(c.customer_id, [])
        if known is None:
            first[(c.customer_id, c.key)] = c
            want_accepted[c.customer_id].append(c)
        elif (known.page_id, known.ts_ms, known.resolved) != (c.page_id, c.ts_ms, c.resolved):
            want_rejected.append(c)
    assert accepted == want_accepted
    assert [r.click for r in rejected] == want_rejected
    assert all(r.reason == REUSED_EVENT_ID for r in rejected)


def test_the_watermark_follows_accepted_clicks_only_and_never_goes_back() -> None:
    accepted = {"a": [click("a", "e1", ts=T + 5)], "b": [click("b", "e2", ts=T + 9)]}
    assert next_watermark(None, accepted) == T + 9
    assert next_watermark(T + 20, accepted) == T + 20
    assert next_watermark(T, accepted) == T + 9
    assert next_watermark(T, {"a": []}) == T
    assert next_watermark(None, {"a": []}) is None


# --- key clashes ------------------------------------------------------------------------------


def test_a_key_another_customer_holds_is_a_clash() -> None:
    clicks = [
        click("b", "e1"),  # a stored click of a has e1
        click("b", "e3"),
        click("c", "e4"),  # c uses e4 first in the batch...
        click("d", "e4"),  # ...so d's e4 clashes
        click("a", "e1"),  # a's own key: a replay, not a clash
    ]
    assert key_clashes(clicks, {"e1": "a"}) == {0: KEY_CLASH, 3: KEY_CLASH}


# --- isolating records the graph refuses --------------------------------------------------------


class RefusedError(Exception):
    pass


def _writer(poison: set[int]) -> tuple[list[list[int]], Callable[[Sequence[int]], None]]:
    """A transactional write that fails whenever the part holds a poison item."""
    written: list[list[int]] = []

    def write(part: Sequence[int]) -> None:
        if poison & set(part):
            raise RefusedError
        written.append(list(part))

    return written, write


def _reason(error: Exception) -> str | None:
    return "refused" if isinstance(error, RefusedError) else None


@given(
    n=st.integers(0, 200),
    data=st.data(),
)
def test_isolation_writes_every_other_item_exactly_once_in_order(
    n: int, data: st.DataObject
) -> None:
    poison = data.draw(st.sets(st.integers(0, max(n - 1, 0)), max_size=min(n, 6)))
    written, write = _writer(poison)
    calls: list[int] = []

    def counted(part: Sequence[int]) -> None:
        calls.append(len(part))
        write(part)

    rejected = isolate(list(range(n)), counted, _reason)
    assert [i for part in written for i in part] == [i for i in range(n) if i not in poison]
    assert sorted(i for i, _ in rejected) == sorted(poison)
    assert all(reason == "refused" for _, reason in rejected)
    # Halving: each poison item costs at most two writes per level of the split.
    levels = max(n, 1).bit_length()
    assert len(calls) <= 1 + 2 * len(poison) * levels


def test_triage_names_culprits_without_splitting() -> None:
    written, write = _writer({3, 5})
    parts: list[int] = []

    def counted(part: Sequence[int]) -> None:
        parts.append(len(part))
        write(part)

    def triage(part: Sequence[int], _error: Exception) -> dict[int, str]:
        return {i: "clash" for i, item in enumerate(part) if item in (3, 5)}

    rejected = isolate(list(range(10)), counted, _reason, triage)
    assert rejected == [(3, "clash"), (5, "clash")]
    assert parts == [10, 8]  # one failure, one write of the rest
    assert written == [[0, 1, 2, 4, 6, 7, 8, 9]]


def test_an_error_that_is_no_record_s_fault_propagates() -> None:
    def write(_part: Sequence[int]) -> None:
        raise RuntimeError("the server is gone")

    with pytest.raises(RuntimeError):
        isolate([1, 2, 3], write, _reason)


def _neo4j(code: str) -> Neo4jError:
    # How the driver turns a server failure into its typed exception.
    return Neo4jError._hydrate_neo4j(code=code, message="Node(7) already has value 'secret'")


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (
            "Neo.ClientError.Schema.ConstraintValidationFailed",
            "graph write refused (Neo.ClientError.Schema.ConstraintValidationFailed)",
        ),
        (
            "Neo.ClientError.Statement.ArgumentError",
            "graph write refused (Neo.ClientError.Statement.ArgumentError)",
        ),
        ("Neo.ClientError.Security.Unauthorized", None),  # no record's fault
        ("Neo.ClientError.Statement.SyntaxError", None),  # ours
        ("Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration", None),
        ("Neo.TransientError.Transaction.DeadlockDetected", None),  # retried instead
        ("Neo.DatabaseError.Statement.ExecutionFailed", None),  # the server's fault: stop
    ],
)
def test_which_neo4j_errors_a_record_causes(code: str, reason: str | None) -> None:
    assert refused_reason(_neo4j(code)) == reason


def test_the_refusal_reason_never_quotes_the_message() -> None:
    reason = refused_reason(_neo4j("Neo.ClientError.Schema.ConstraintValidationFailed"))
    assert reason is not None
    assert "secret" not in reason
