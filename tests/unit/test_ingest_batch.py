"""What a batch accepts (reused event ids, keys per customer, lateness) and how poison records
are isolated: pure logic, with oracles written here rather than taken from the code."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st
from neo4j.exceptions import Neo4jError

from graph_model.path.batch import StoredState
from graph_model.path.record import Click, PathRules
from ingest.batch import REUSED_EVENT_ID, TOO_LATE, Rejected, accept_clicks, admit
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


def test_the_same_id_for_two_customers_is_two_events() -> None:
    a, b = click("a", "e1", "p1", seq=1), click("b", "e1", "p2", seq=2)
    assert accept_clicks([b, a], {}) == ({"a": [a], "b": [b]}, [])
    # A stored click of another customer with that id changes nothing for b.
    assert accept_clicks([b], {"a": [a]}) == ({"b": [b]}, [])


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
    # keys are unique per customer
    stored=st.lists(_clicks, max_size=4, unique_by=lambda c: (c.customer_id, c.key)),
)
def test_every_click_is_accepted_rejected_or_a_duplicate(
    batch: list[Click], stored: list[Click]
) -> None:
    by_customer: dict[str, list[Click]] = {}
    for c in stored:
        by_customer.setdefault(c.customer_id, []).append(c)

    # The oracle: walk arrivals in order; a key is the customer's own: its first version is
    # the customer's stored click or first arrival; same page, time and flag is a duplicate,
    # anything else a rejection. Another customer's click with that id is another event.
    accepted, rejected = accept_clicks(list(reversed(batch)), by_customer)
    first: dict[tuple[str, str], Click] = {(c.customer_id, c.key): c for c in stored}
    want_accepted: dict[str, list[Click]] = {}
    want_rejected: list[tuple[Click, str]] = []
    for c in batch:
        known = first.get((c.customer_id, c.key))
        want_accepted.setdefault(c.customer_id, [])
        if known is None:
            first[(c.customer_id, c.key)] = c
            want_accepted[c.customer_id].append(c)
        elif (known.page_id, known.ts_ms, known.resolved) != (c.page_id, c.ts_ms, c.resolved):
            want_rejected.append((c, REUSED_EVENT_ID))
    assert accepted == want_accepted
    assert [(r.click, r.reason) for r in rejected] == want_rejected


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


# --- allowed lateness: per customer only -------------------------------------------------------

DAY = 86_400_000
LATE_RULES = PathRules(timeout_ms=30 * 60_000, quick_ms=10_000, allowed_lateness_ms=3 * DAY)


def test_lateness_is_per_customer_and_exactly_at_the_bound_is_in_time() -> None:
    state = StoredState(T, latest={"a": T})
    at, past = click("a", "e1", ts=T - 3 * DAY, seq=1), click("a", "e2", ts=T - 3 * DAY - 1, seq=2)
    other = click("b", "e3", ts=T - 30 * DAY, seq=3)  # a customer without events: no bound
    accepted, rejected = admit([at, past, other], state, LATE_RULES)
    assert accepted == {"a": [at], "b": [other]}
    assert rejected == [Rejected(past, TOO_LATE)]


def test_the_batch_s_earlier_clicks_move_the_bound() -> None:
    ahead = click("a", "e1", ts=T + 10 * DAY, seq=1)
    behind = click("a", "e2", ts=T, seq=2)  # in time against what is stored, not after `ahead`
    accepted, rejected = admit([behind, ahead], StoredState(T, {"a": T}), LATE_RULES)
    assert (accepted, rejected) == ({"a": [ahead]}, [Rejected(behind, TOO_LATE)])


def test_retention_and_the_watermark_make_no_event_too_late() -> None:
    """An event far behind the watermark (another partition read ahead, a backlog) is placed
    when it is within the lateness of its own customer; retention does not change that."""
    rules = dataclasses.replace(LATE_RULES, retention_ms=4 * DAY)
    old = click("n", "e1", ts=T - 40 * DAY, seq=1)  # n has no stored event
    own = click("m", "e2", ts=T - 40 * DAY, seq=2)  # m's latest is 2 days later
    state = StoredState(T, {"m": T - 38 * DAY})
    assert admit([old, own], state, rules) == ({"n": [old], "m": [own]}, [])


def test_a_replay_of_a_stored_event_is_a_duplicate_however_old() -> None:
    old = click("a", "e1", ts=T - 30 * DAY)
    state = StoredState(T, {"a": T}, by_key={("a", "e1"): old})
    assert admit([old], state, LATE_RULES) == ({"a": []}, [])


@given(
    times=st.lists(st.integers(0, 12), min_size=1, max_size=12),
    customers=st.lists(st.sampled_from("ab"), min_size=12, max_size=12),
    cuts=st.lists(st.integers(0, 12), max_size=4),
)
def test_verdicts_do_not_depend_on_how_arrivals_are_cut_into_batches(
    times: list[int], customers: list[str], cuts: list[int]
) -> None:
    rules = dataclasses.replace(LATE_RULES, retention_ms=5 * DAY)
    clicks = [click(customers[i], f"e{i}", ts=T + t * DAY, seq=i) for i, t in enumerate(times)]

    def run(batches: list[list[Click]]) -> tuple[set[str], set[str]]:
        state = StoredState(None)
        kept: set[str] = set()
        late: set[str] = set()
        for part in batches:
            accepted, rejected = admit(part, state, rules)
            new = [c for cs in accepted.values() for c in cs]
            kept |= {c.key for c in new}
            late |= {r.click.key for r in rejected}
            latest = dict(state.latest)
            for c in new:
                latest[c.customer_id] = max(latest.get(c.customer_id, c.ts_ms), c.ts_ms)
            by_key = {**state.by_key, **{(c.customer_id, c.key): c for c in new}}
            state = StoredState(None, latest, by_key=by_key)
        return kept, late

    bounds = sorted({0, len(clicks), *[min(c, len(clicks)) for c in cuts]})
    batches = [clicks[a:b] for a, b in itertools.pairwise(bounds)]
    assert run(batches) == run([clicks])
    # The oracle, event by event: behind its own customer's latest by more than 3 days;
    # nothing else (the retention of 5 days bounds nothing).
    latest: dict[str, int] = {}
    want: set[str] = set()
    for c in clicks:
        last = latest.get(c.customer_id)
        if last is not None and c.ts_ms < last - 3 * DAY:
            want.add(c.key)
            continue
        latest[c.customer_id] = max(last or c.ts_ms, c.ts_ms)
    assert run([clicks])[1] == want
