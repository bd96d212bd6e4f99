"""Absorbing Markov chain: success probability and expected clicks (algorithms.markov)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, NamedTuple

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms import markov
from algorithms.markov import SuccessChain, absorbing_chain, success_chain
from algorithms.observed import Transition, observe
from tests.paths import path_of
from tests.tiers import examples

Counts = Mapping[str, int]


def success(chain: SuccessChain) -> dict[str, float | None]:
    return {page: r.success_probability for page, r in chain.pages.items()}


def clicks(chain: SuccessChain) -> dict[str, float | None]:
    return {page: r.expected_clicks_to_resolution for page, r in chain.pages.items()}


# --- hand-computed chains --------------------------------------------------------------------


def test_branching_chain_by_hand() -> None:
    # A->B twice, A->C once; B resolved twice; C exited once.
    # P(A) = 2/3 * P(B) + 1/3 * P(C) = 2/3 * 1 + 1/3 * 0 = 2/3.
    # Given resolution, A always goes via B: 1 click; B resolves at once: 0 clicks.
    chain = absorbing_chain({("A", "B"): 2, ("A", "C"): 1}, {"B": 2}, {"C": 1})
    assert success(chain) == pytest.approx({"A": 2 / 3, "B": 1.0, "C": 0.0})
    a, b, c = (chain.pages[p] for p in "ABC")
    assert (a.exit_probability, b.exit_probability, c.exit_probability) == pytest.approx(
        (1 / 3, 0.0, 1.0)
    )
    assert a.expected_clicks_to_resolution == pytest.approx(1.0)
    assert b.expected_clicks_to_resolution == 0.0
    assert c.expected_clicks_to_resolution is None  # never resolves
    # 2 resolved paths, 1 abandoned
    assert chain.site_success_probability == pytest.approx(2 / 3)


def test_escalated_is_a_third_absorbing_state() -> None:
    # A->B 2, A->C 2; B resolves 1 and escalates 1; C exits 1 and escalates 1; D escalates 3.
    # P_res(B) = 1/2, P_esc(B) = 1/2; P_exit(C) = 1/2, P_esc(C) = 1/2.
    # From A: P_res = 1/2 * 1/2 = 1/4, P_exit = 1/4, P_esc = 1/2 * 1/2 + 1/2 * 1/2 = 1/2.
    chain = absorbing_chain(
        {("A", "B"): 2, ("A", "C"): 2},
        {"B": 1},
        {"C": 1},
        escalations={"B": 1, "C": 1, "D": 3},
    )
    got = {
        page: (r.success_probability, r.exit_probability, r.escalation_probability)
        for page, r in chain.pages.items()
    }
    assert got == {
        "A": pytest.approx((0.25, 0.25, 0.5)),
        "B": pytest.approx((0.5, 0.0, 0.5)),
        "C": pytest.approx((0.0, 0.5, 0.5)),
        # exact where the graph decides: D can only escalate
        "D": (0.0, 0.0, 1.0),
    }
    assert chain.pages["B"].exit_probability == 0.0  # exact: B reaches no exit
    # given resolution, A always goes via B: 1 click
    assert chain.pages["A"].expected_clicks_to_resolution == pytest.approx(1.0)
    assert chain.pages["D"].expected_clicks_to_resolution is None
    # 1 resolved of 1 + 1 + 5 completed paths
    assert chain.site_success_probability == pytest.approx(1 / 7)


def test_escalations_do_not_change_success_when_counted_as_exits() -> None:
    # What second-order's pair chain relies on: P(RESOLVED) is the same either way.
    transitions = {("A", "B"): 3, ("B", "A"): 1, ("A", "C"): 2}
    apart = absorbing_chain(transitions, {"B": 2}, {"C": 1}, escalations={"C": 1, "B": 1})
    lumped = absorbing_chain(transitions, {"B": 2}, {"C": 2, "B": 1})
    assert success(apart) == pytest.approx(success(lumped))
    assert clicks(apart) == pytest.approx(clicks(lumped))


def test_success_chain_reads_escalations_from_the_paths() -> None:
    chain = success_chain(observe([path_of("AB"), path_of("AC", "ESCALATED")]))
    a = chain.pages["A"]
    assert (a.success_probability, a.escalation_probability) == pytest.approx((0.5, 0.5))
    assert a.exit_probability == 0.0
    assert chain.site_success_probability == 0.5


def test_expected_clicks_are_conditioned_on_resolving() -> None:
    # A->B 1, A->C 1; B resolves 1; C->D 1; D resolves 1 and exits 1.
    # P(D) = 1/2, P(C) = 1/2, P(B) = 1, P(A) = (1 + 1/2) / 2 = 3/4.
    # From A: resolves via B (prob 1/2, 1 click) or via C, D (prob 1/4, 2 clicks), so
    # E[clicks | resolves] = (1/2 * 1 + 1/4 * 2) / (3/4) = 4/3 (unconditioned mixing would differ).
    chain = absorbing_chain(
        {("A", "B"): 1, ("A", "C"): 1, ("C", "D"): 1}, {"B": 1, "D": 1}, {"D": 1}
    )
    assert success(chain) == pytest.approx({"A": 0.75, "B": 1.0, "C": 0.5, "D": 0.5})
    assert clicks(chain) == pytest.approx({"A": 4 / 3, "B": 0.0, "C": 1.0, "D": 0.0})


def test_expected_clicks_with_a_loop() -> None:
    # A resolves half the time, else goes to B, which always comes back to A. No exits.
    # T(A) = 1/2 * 0 + 1/2 * (1 + T(B)) and T(B) = 1 + T(A), so T(A) = 2 and T(B) = 3.
    chain = absorbing_chain({("A", "B"): 1, ("B", "A"): 1}, {"A": 1}, {})
    assert success(chain) == {"A": 1.0, "B": 1.0}  # exact: no exit is reachable
    assert clicks(chain) == pytest.approx({"A": 2.0, "B": 3.0})


def test_self_loops_are_clicks() -> None:
    # A refreshes itself once for every time it resolves: T(A) = 1/2 * (1 + T(A)), so T(A) = 1.
    chain = absorbing_chain({("A", "A"): 1}, {"A": 1}, {})
    assert clicks(chain) == pytest.approx({"A": 1.0})


def test_always_resolving_page_costs_zero_clicks_and_one_hop_costs_one() -> None:
    chain = absorbing_chain({("A", "R"): 5}, {"R": 5}, {})
    assert chain.pages["R"].expected_clicks_to_resolution == 0.0
    assert chain.pages["A"].expected_clicks_to_resolution == pytest.approx(1.0)
    assert success(chain) == {"A": 1.0, "R": 1.0}


def test_pages_that_cannot_be_absorbed_are_left_out() -> None:
    # X is only ever the last page of an OPEN path (A->X seen, nothing after X), Y only
    # refreshes itself in an OPEN path. Both are censored: no figures, and A's click to X is
    # not counted as a failure, so A (which resolved its one completed path) stays at 1.
    chain = absorbing_chain({("A", "X"): 3, ("A", "Y"): 1, ("Y", "Y"): 2}, {"A": 1}, {})
    for page in "XY":
        assert chain.pages[page].success_probability is None
        assert chain.pages[page].exit_probability is None
        assert chain.pages[page].expected_clicks_to_resolution is None
    assert chain.pages["A"].success_probability == 1.0
    assert chain.pages["A"].expected_clicks_to_resolution == 0.0


def test_every_named_page_gets_a_result() -> None:
    chain = absorbing_chain({}, {"R": 1, "Z": 0}, {"E": 2})
    assert set(chain.pages) == {"R", "Z", "E"}
    assert success(chain) == {"R": 1.0, "Z": None, "E": 0.0}
    assert chain.site_success_probability == pytest.approx(1 / 3)


def test_empty_input() -> None:
    chain = absorbing_chain({}, {}, {})
    assert dict(chain.pages) == {}
    assert chain.site_success_probability is None


def test_negative_counts_are_rejected() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        absorbing_chain({("A", "B"): -1}, {"B": 1}, {})
    with pytest.raises(ValueError, match="non-negative"):
        absorbing_chain({}, {"B": 1}, {"B": -1})


def test_chain_from_observed_paths() -> None:
    # Same chain as the branching example, from paths: A B (resolved) twice, A C abandoned.
    ab, ac = path_of("AB", "RESOLVED"), path_of("AC", "ABANDONED")
    paths = [ab, ab, ac]
    chain = success_chain(observe(paths))
    assert success(chain) == pytest.approx({"A": 2 / 3, "B": 1.0, "C": 0.0})
    assert chain.site_success_probability == pytest.approx(2 / 3)


# --- against an independent dense solve ------------------------------------------------------


class Dense(NamedTuple):
    success: dict[str, float]
    exit: dict[str, float]
    clicks: dict[str, float | None]
    never: set[str]  # in the chain, but no resolution ahead
    always: set[str]  # in the chain, but no exit ahead


def dense_oracle(transitions: Mapping[Transition, int], res: Counts, ext: Counts) -> Dense:
    """networkx for which pages can be absorbed, numpy inverses for N = (I - Q)^-1."""
    graph: Any = nx.DiGraph()
    graph.add_nodes_from([*res, *ext, *(p for pair in transitions for p in pair)])
    graph.add_edges_from(pair for pair, count in transitions.items() if count > 0)
    absorbing = {p for p in graph if res.get(p, 0) + ext.get(p, 0) > 0}
    states = sorted(p for p in graph if absorbing & (nx.descendants(graph, p) | {p}))
    at = {p: i for i, p in enumerate(states)}
    q = np.zeros((len(states), len(states)))
    for (a, b), count in transitions.items():
        if a in at and b in at:
            q[at[a], at[b]] += count
    r = np.array([res.get(p, 0) for p in states], dtype=float)
    e = np.array([ext.get(p, 0) for p in states], dtype=float)
    total = q.sum(axis=1) + r + e
    q, r, e = q / total[:, None], r / total, e / total
    n = np.linalg.inv(np.eye(len(states)) - q)
    h, x = n @ r, n @ e
    visits = n @ h
    ahead = {p: nx.descendants(graph.subgraph(states), p) | {p} for p in states}
    return Dense(
        dict(zip(states, h.tolist(), strict=True)),
        dict(zip(states, x.tolist(), strict=True)),
        {p: visits[i] / h[i] - 1 if h[i] > 1e-12 else None for p, i in at.items()},
        {p for p in states if not any(res.get(a, 0) for a in ahead[p])},
        {p for p in states if not any(ext.get(a, 0) for a in ahead[p])},
    )


def assert_matches_dense(
    chain: SuccessChain, transitions: Mapping[Transition, int], res: Counts, ext: Counts
) -> None:
    dense = dense_oracle(transitions, res, ext)
    in_chain = {p for p, r in chain.pages.items() if r.success_probability is not None}
    assert in_chain == set(dense.success)
    for page in in_chain:
        result = chain.pages[page]
        assert result.success_probability == pytest.approx(dense.success[page], abs=1e-9)
        assert result.exit_probability == pytest.approx(dense.exit[page], abs=1e-9)
        # Exact where the graph decides it, whatever the solver's rounding.
        if page in dense.never:
            assert (result.success_probability, result.exit_probability) == (0.0, 1.0)
        if page in dense.always:
            assert (result.success_probability, result.exit_probability) == (1.0, 0.0)
        expected = dense.clicks[page]
        if expected is None:
            assert result.expected_clicks_to_resolution is None
        else:
            assert result.expected_clicks_to_resolution == pytest.approx(expected, rel=1e-7)


def random_chain(
    seed: int, n: int = 40
) -> tuple[dict[Transition, int], dict[str, int], dict[str, int]]:
    """Sparse random counts; about a third of the pages neither resolve nor exit."""
    rng = np.random.default_rng(seed)
    pages = [f"p{i}" for i in range(n)]
    transitions: dict[Transition, int] = {}
    for a in pages:
        for b in rng.choice(pages, size=int(rng.integers(0, 5)), replace=False).tolist():
            transitions[a, b] = int(rng.integers(1, 30))
    res = {p: int(rng.integers(0, 4)) * int(rng.random() < 0.4) for p in pages}
    ext = {p: int(rng.integers(0, 4)) * int(rng.random() < 0.5) for p in pages}
    return transitions, res, ext


@pytest.mark.parametrize("seed", range(5))
def test_direct_solve_matches_dense(seed: int) -> None:
    transitions, res, ext = random_chain(seed)
    chain = absorbing_chain(transitions, res, ext)  # 40 states: sparse LU
    assert_matches_dense(chain, transitions, res, ext)


@pytest.mark.parametrize("seed", range(5))
def test_iterative_solve_matches_dense(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_factorising(*_: object, **__: object) -> None:
        raise AssertionError("the iterative solver should have converged")

    monkeypatch.setattr("scipy.sparse.linalg.splu", no_factorising)
    transitions, res, ext = random_chain(seed)
    chain = absorbing_chain(transitions, res, ext, direct_max_states=0)
    assert_matches_dense(chain, transitions, res, ext)


def test_factorises_when_iterating_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(markov, "_iterate", lambda a, b: None)
    transitions, res, ext = random_chain(7)
    chain = absorbing_chain(transitions, res, ext, direct_max_states=0)
    assert_matches_dense(chain, transitions, res, ext)


# --- properties ------------------------------------------------------------------------------

PAGES = "ABCDEF"


@st.composite
def chains(draw: st.DrawFn) -> tuple[dict[Transition, int], dict[str, int], dict[str, int]]:
    pages = PAGES[: draw(st.integers(1, len(PAGES)))]
    page = st.sampled_from(pages)
    transitions = draw(st.dictionaries(st.tuples(page, page), st.integers(0, 6), max_size=15))
    res = draw(st.dictionaries(page, st.integers(0, 3)))
    ext = draw(st.dictionaries(page, st.integers(0, 3)))
    return transitions, res, ext


@settings(max_examples=examples(300), deadline=None)
@given(chains())
def test_chain_properties(
    chain_counts: tuple[dict[Transition, int], dict[str, int], dict[str, int]],
) -> None:
    transitions, res, ext = chain_counts
    chain = absorbing_chain(transitions, res, ext)
    assert_matches_dense(chain, transitions, res, ext)

    graph: Any = nx.DiGraph()
    graph.add_nodes_from(chain.pages)
    graph.add_edges_from(pair for pair, count in transitions.items() if count > 0)
    in_chain = {p for p, r in chain.pages.items() if r.success_probability is not None}
    inside = graph.subgraph(in_chain)
    for page in in_chain:
        result = chain.pages[page]
        assert result.success_probability is not None
        assert result.exit_probability is not None
        assert 0.0 <= result.success_probability <= 1.0
        assert result.success_probability + result.exit_probability == pytest.approx(1.0)
        ahead = nx.descendants(inside, page) | {page}
        if not any(ext.get(p, 0) for p in ahead):  # only leads to resolution
            assert result.success_probability == 1.0
        if not any(res.get(p, 0) for p in ahead):  # can never resolve
            assert result.success_probability == 0.0
            assert result.expected_clicks_to_resolution is None
        else:
            assert result.expected_clicks_to_resolution is not None
            assert result.expected_clicks_to_resolution >= 0.0


# --- scale -----------------------------------------------------------------------------------


def test_five_thousand_pages_and_a_hundred_thousand_transitions_are_fast() -> None:
    rng = np.random.default_rng(1)
    n, m = 5_000, 100_000
    popularity = 1 / np.arange(1, n + 1) ** 0.8  # a few hub pages, a long tail
    codes = np.unique(
        rng.integers(0, n, 3 * m) * n + rng.choice(n, 3 * m, p=popularity / popularity.sum())
    )
    codes = rng.permutation(codes)[:m]
    counts = rng.integers(1, 50, m).tolist()
    transitions = {
        (f"p{c // n}", f"p{c % n}"): k for c, k in zip(codes.tolist(), counts, strict=True)
    }
    assert len(transitions) == m
    res = {f"p{i}": int(k) for i, k in enumerate(rng.integers(0, 20, n))}
    ext = {f"p{i}": int(k) for i, k in enumerate(rng.integers(0, 20, n))}

    start = time.perf_counter()
    chain = absorbing_chain(transitions, res, ext)
    elapsed = time.perf_counter() - start

    assert len(chain.pages) == n
    # Generous for a loaded machine; a sparse LU of this graph alone takes several seconds.
    assert elapsed < 3.0, f"{elapsed:.2f} s"
    probabilities = [r.success_probability for r in chain.pages.values()]
    assert all(p is not None and 0.0 <= p <= 1.0 for p in probabilities)
