"""Second-order analytics against references written here from the formulas (lifelines as
a second, independent implementation of the cumulative incidence and its interval; pathpy of
the order test's decision)."""

from __future__ import annotations

import itertools
import math
import random
import time
from collections import Counter
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from algorithms.resolution_times import resolution_curves
from algorithms.second_order import (
    MIN_CONTINUATIONS,
    link_success,
    link_tests,
    misleading_into,
    misleading_links,
    order_test,
    pair_success,
    triples,
)
from algorithms.survival import Ending, Incidence, Observation, cumulative_incidence
from graph_model.path.record import Path
from graph_model.resolution.record import Axis
from tests.paths import path_of
from tests.tiers import examples

# ---- misleading links ----------------------------------------------------------------------


def test_u_turns_after_one_link_are_tested_against_the_first_order_chain() -> None:
    paths = (
        [path_of("ABA", "ABANDONED")] * 30  # from A, customers come straight back
        + [path_of("ABC")] * 10
        + [path_of("CBD")] * 40  # from C, nobody goes back to C
    )
    by_link = {(t.from_page_id, t.to_page_id): t for t in link_tests(triples(paths))}
    ab, cb = by_link[("A", "B")], by_link[("C", "B")]
    # Every continuation out of B, whatever came before: 30 to A, 10 to C, 40 to D (of 80).
    assert (ab.continuations, ab.u_turns) == (40, 30)
    assert ab.expected == pytest.approx(40 * 30 / 80)
    assert ab.p_value == pytest.approx(stats.binomtest(30, 40, 30 / 80, "greater").pvalue)
    assert (cb.continuations, cb.u_turns, cb.expected) == (40, 0, pytest.approx(40 * 10 / 80))
    assert ab.misleading
    assert not cb.misleading


def test_links_with_too_few_continuations_are_not_tested_and_open_paths_do_not_count() -> None:
    few = [path_of("ABA", "ABANDONED")] * (MIN_CONTINUATIONS - 1)
    assert link_tests(triples(few)) == []
    open_ones = [path_of("ABA", "OPEN")] * 50
    assert link_tests(triples(open_ones)) == []


def test_a_reload_is_not_a_link() -> None:
    assert link_tests(triples([path_of("AAA", "ABANDONED")] * 50)) == []


# ---- the order test ------------------------------------------------------------------------


def reference_order_test(paths: list[Path]) -> tuple[float, int]:
    """2 (LL2 - LL1) and its degrees of freedom, straight from the definition."""
    abc: Counter[tuple[str, str, str]] = Counter()
    for p in paths:
        if p.outcome.value == "OPEN":
            continue
        for i in range(2, len(p.pages)):
            abc[(p.pages[i - 2], p.pages[i - 1], p.pages[i])] += 1
    bc: Counter[tuple[str, str]] = Counter()
    b_out: Counter[str] = Counter()
    ab_out: Counter[tuple[str, str]] = Counter()
    for (a, b, c), n in abc.items():
        bc[(b, c)] += n
        b_out[b] += n
        ab_out[(a, b)] += n
    ll1 = 0.0
    for (b, _c), n in bc.items():
        ll1 += n * math.log(n / b_out[b])
    ll2 = 0.0
    for (a, b, _c), n in abc.items():
        ll2 += n * math.log(n / ab_out[(a, b)])
    df = 0
    for b in b_out:
        k = len({a for (a, bb, _) in abc if bb == b})
        m = len({c for (_, bb, c) in abc if bb == b})
        df += (k - 1) * (m - 1)
    return 2 * (ll2 - ll1), df


@settings(max_examples=examples(60), deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet="ABCD", min_size=1, max_size=9),
            st.sampled_from(["RESOLVED", "ABANDONED", "OPEN"]),
        ),
        max_size=40,
    )
)
def test_order_test_equals_the_formula(specs: list[tuple[str, str]]) -> None:
    paths = [path_of(pages, outcome) for pages, outcome in specs]
    result = order_test(triples(paths))
    statistic, df = reference_order_test(paths)
    assert result.statistic == pytest.approx(max(statistic, 0.0), abs=1e-9)
    assert result.degrees_of_freedom == df
    if df > 0:
        assert result.p_value == pytest.approx(stats.chi2.sf(max(statistic, 0.0), df))
    else:
        assert result.p_value is None


def test_memoryless_journeys_pass_and_journeys_with_memory_fail_the_order_test() -> None:
    rng = random.Random(4)

    def walk(memory: bool) -> Path:
        pages = [rng.choice("AB")]
        while len(pages) < 12:
            if memory and len(pages) >= 2:  # go back where you came from
                pages.append(pages[-2] if rng.random() < 0.9 else rng.choice("ABC"))
            else:
                pages.append(rng.choice("ABC"))
        return path_of(pages, "ABANDONED")

    memoryless = order_test(triples(walk(False) for _ in range(400)))
    remembering = order_test(triples(walk(True) for _ in range(400)))
    assert memoryless.p_value is not None
    assert memoryless.p_value > 0.001
    assert remembering.p_value is not None
    assert remembering.p_value < 1e-10


def test_pair_success_conditions_on_the_page_before() -> None:
    paths = [path_of("ABR")] * 30 + [path_of("CB", "ABANDONED")] * 30
    by_pair = {(p.from_page_id, p.page_id): p for p in pair_success(paths)}
    assert by_pair[("A", "B")].success_probability == pytest.approx(1.0)
    assert by_pair[("C", "B")].success_probability == pytest.approx(0.0)
    assert by_pair[("A", "B")].observations == 30


# ---- time to resolution --------------------------------------------------------------------


@given(
    st.lists(
        st.tuples(st.integers(0, 20), st.sampled_from([Ending.RESOLVED, Ending.COMPETING])),
        min_size=1,
        max_size=60,
    )
)
def test_without_censoring_incidence_is_the_share_resolved_by_then(
    data: list[tuple[int, Ending]],
) -> None:
    curve = cumulative_incidence(Observation(t, e) for t, e in data)
    for t in range(22):
        share = sum(1 for d, e in data if e is Ending.RESOLVED and d <= t) / len(data)
        assert curve.at(t) == pytest.approx(share)


# t=1 resolved, t=2 censored, t=3 abandoned, t=4 two resolved, t=5 censored (6 paths).
HAND = (
    (1, Ending.RESOLVED),
    (2, Ending.CENSORED),
    (3, Ending.COMPETING),
    (4, Ending.RESOLVED),
    (4, Ending.RESOLVED),
    (5, Ending.CENSORED),
)


def test_a_hand_computed_example_with_censoring() -> None:
    curve = cumulative_incidence(Observation(t, e) for t, e in HAND)
    # At 1: 6 at risk, S(1-) = 1, F = 1/6; S(1) = 5/6.
    # At 3: 4 at risk (one censored at 2), a competing event: F stays; S(3) = 5/6 * 3/4.
    # At 4: 3 at risk, S(4-) = 5/8, two resolutions: F = 1/6 + 5/8 * 2/3 = 7/12.
    assert [(p.at, p.at_risk, p.resolved) for p in curve.points] == [
        (1, 6, 1),
        (3, 4, 0),
        (4, 3, 2),
    ]
    assert [p.incidence for p in curve.points] == pytest.approx([1 / 6, 1 / 6, 7 / 12])
    assert curve.median == 4  # half of 7/12 is first reached at 4 (1/6 < 7/24)
    for p in curve.points:
        assert p.low <= p.incidence <= p.high


def _ours_and_lifelines(seed: int, n: int) -> tuple[Incidence, Any]:
    """`n` random endings at distinct times (lifelines would jitter ties): our curve, and
    lifelines' Aalen-Johansen fit of the same data (resolution the event of interest)."""
    lifelines = pytest.importorskip("lifelines")
    rng = random.Random(seed)
    times = rng.sample(range(1, 100_000), n)
    data = [
        (t / 1000, rng.choice([Ending.RESOLVED, Ending.COMPETING, Ending.CENSORED])) for t in times
    ]
    ours = cumulative_incidence(Observation(t, e) for t, e in data)
    codes = {Ending.CENSORED: 0, Ending.RESOLVED: 1, Ending.COMPETING: 2}
    fitter = lifelines.AalenJohansenFitter(calculate_variance=True)
    fitter.fit([t for t, _ in data], [codes[e] for _, e in data], event_of_interest=1)
    return ours, fitter


def test_incidence_agrees_with_lifelines_aalen_johansen() -> None:
    ours, fitter = _ours_and_lifelines(9, 300)
    theirs = fitter.cumulative_density_.iloc[:, 0]
    for p in ours.points:
        assert theirs.loc[p.at] == pytest.approx(p.incidence, abs=1e-9)


def test_nothing_resolved_has_no_median() -> None:
    curve = cumulative_incidence(
        [Observation(3, Ending.COMPETING), Observation(5, Ending.CENSORED)]
    )
    assert curve.median is None
    assert curve.final == 0.0


# ---- misleading links against the other ways into the page -----------------------------------


def test_a_page_everyone_turns_back_at_has_no_misleading_link() -> None:
    """At a turnaround hotspot customers go back wherever they came from: the first-order test
    rejects for every way in, but no link does worse than the others."""
    paths = (
        [path_of("ABA", "ABANDONED")] * 30
        + [path_of("ABD", "ABANDONED")] * 30
        + [path_of("CBC", "ABANDONED")] * 30
        + [path_of("CBD", "ABANDONED")] * 30
    )
    tests = {(t.from_page_id, t.to_page_id): t for t in link_tests(triples(paths))}
    for link in (("A", "B"), ("C", "B")):
        t = tests[link]
        assert t.q_value <= 0.05  # memory: the first-order chain expects 30 x 1/2 x ... less
        assert (t.elsewhere_continuations, t.elsewhere_u_turns) == (60, 30)
        assert t.elsewhere_q_value is not None
        assert t.elsewhere_q_value > 0.05
        assert not t.misleading


def test_the_misleading_link_against_its_innocent_sibling() -> None:
    paths = (
        [path_of("ABA", "ABANDONED")] * 25  # from A: straight back
        + [path_of("ABR")] * 5
        + [path_of("HBR")] * 57  # from home: on to the answer
        + [path_of("HBH", "ABANDONED")] * 3
    )
    tests = {(t.from_page_id, t.to_page_id): t for t in link_tests(triples(paths))}
    misleading, innocent = tests[("A", "B")], tests[("H", "B")]
    assert (misleading.u_turns, misleading.elsewhere_continuations) == (25, 60)
    assert misleading.elsewhere_u_turns == 3
    expected_p = stats.fisher_exact([[25, 5], [3, 57]], alternative="greater").pvalue
    assert misleading.elsewhere_p_value == pytest.approx(expected_p)
    assert misleading.misleading
    assert not innocent.misleading
    assert [m.from_page_id for m in misleading_links(tests.values())] == ["A"]
    assert misleading_into(misleading_links(tests.values())) == {"B": ("A",)}


def test_a_page_reached_only_by_the_link_is_not_compared() -> None:
    paths = [path_of("ABA", "ABANDONED")] * 30 + [path_of("ABC")] * 10
    [t] = [t for t in link_tests(triples(paths)) if (t.from_page_id, t.to_page_id) == ("A", "B")]
    assert t.elsewhere_p_value is None
    assert not t.misleading


# ---- the pair chain against a dense solve --------------------------------------------------


def reference_pair_success(paths: list[Path]) -> dict[tuple[str, str], float]:
    """P(resolve | at b having come from a), solving (I - Q) h = r densely on pair states."""
    states: list[tuple[str, str]] = []
    index: dict[tuple[str, str], int] = {}

    def state(a: str, b: str) -> int:
        return index.setdefault((a, b), len(index))

    moves: Counter[tuple[int, int]] = Counter()
    ends: Counter[tuple[int, bool]] = Counter()
    for p in paths:
        seq = [state("", p.pages[0])] + [state(a, b) for a, b in itertools.pairwise(p.pages)]
        moves.update(itertools.pairwise(seq))
        ends[(seq[-1], p.outcome.value == "RESOLVED")] += 1
    states = list(index)
    k = len(states)
    q = np.zeros((k, k))
    r = np.zeros(k)
    total = np.zeros(k)
    for (i, j), c in moves.items():
        q[i, j] += c
        total[i] += c
    for (i, ok), c in ends.items():
        total[i] += c
        r[i] += c if ok else 0
    h = np.linalg.solve(np.eye(k) - q / total[:, None], r / total)
    return {s: float(h[i]) for i, s in enumerate(states) if s[0]}


def completed_paths(pages: str, most: int) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Up to `most` (pages, outcome) of completed paths over the letters of `pages`."""
    path = st.tuples(
        st.text(alphabet=pages, min_size=1, max_size=6),
        st.sampled_from(["RESOLVED", "ABANDONED"]),
    )
    return st.lists(path, min_size=1, max_size=most)


@settings(max_examples=examples(40), deadline=None)
@given(completed_paths("ABC", 8))
def test_pair_success_equals_a_dense_solve(specs: list[tuple[str, str]]) -> None:
    paths = [path_of(pages, outcome) for pages, outcome in specs] * MIN_CONTINUATIONS
    expected = reference_pair_success(paths)
    found = {(s.from_page_id, s.to_page_id): s for s in link_success(paths)}
    assert set(found) == set(expected)
    for pair, s in found.items():
        assert s.success_probability == pytest.approx(expected[pair], abs=1e-9)
        arrivals = sum(1 for p in paths for link in itertools.pairwise(p.pages) if link == pair)
        assert s.observations == arrivals


# ---- the order test: pathpy as a second reference ------------------------------------------


def test_pathpy_decides_the_order_test_alike() -> None:
    pathpy = pytest.importorskip("pathpy")
    rng = random.Random(4)

    def walk(memory: bool) -> str:
        pages = [rng.choice("AB")]
        while len(pages) < 8:
            back = memory and len(pages) >= 2 and rng.random() < 0.9
            pages.append(pages[-2] if back else rng.choice("ABC"))
        return "".join(pages)

    for memory in (False, True):
        walks = [walk(memory) for _ in range(300)]
        ours = order_test(triples(path_of(w, "ABANDONED") for w in walks))
        data = pathpy.Paths()
        for w in walks:
            data.add_path(",".join(w))
        model = pathpy.MultiOrderModel(data, max_order=2)
        rejected, p = model.likelihood_ratio_test(data, max_order_null=1, max_order=2)
        assert ours.p_value is not None
        assert (ours.p_value < 0.01) == rejected == memory, (ours.p_value, p)


# ---- Kaplan-Meier and the interval ---------------------------------------------------------


def test_kaplan_meier_survival_by_hand_with_censoring() -> None:
    # S(1) = 5/6; censored at 2; S(3) = 5/6 x 3/4 = 5/8; S(4) = 5/8 x (1 - 2/3) = 5/24 (the
    # one left is censored at 5).
    curve = cumulative_incidence(Observation(t, e) for t, e in HAND)
    assert [p.survival for p in curve.points] == pytest.approx([5 / 6, 5 / 8, 5 / 24])


def test_interval_agrees_with_lifelines() -> None:
    ours, fitter = _ours_and_lifelines(3, 200)
    bounds = fitter.confidence_interval_
    for p in ours.points:
        if 0 < p.incidence < 1:
            a, b = bounds.loc[p.at].tolist()
            assert (p.low, p.high) == pytest.approx((min(a, b), max(a, b)), abs=1e-9)


def test_a_large_curve_is_quick() -> None:
    """Linear in the event times (a quadratic variance sum took hours at this size); the
    bound is loose because the machine is shared."""
    rng = random.Random(5)
    data = [Observation(rng.random() * 60, rng.choice(list(Ending))) for _ in range(100_000)]
    started = time.perf_counter()
    curve = cumulative_incidence(data)
    assert time.perf_counter() - started < 30
    assert len(curve.points) > 50_000


# ---- curves of paths -----------------------------------------------------------------------


@given(completed_paths("ABR", 30))
def test_resolution_by_clicks_is_the_share_resolved_when_nothing_is_open(
    specs: list[tuple[str, str]],
) -> None:
    paths = [path_of(pages, outcome) for pages, outcome in specs]
    curves = resolution_curves(paths)
    site = {c.axis: c for c in curves if c.entry_page_id is None}[Axis.CLICKS]
    by_entry = {c.entry_page_id: c for c in curves if c.axis is Axis.CLICKS}
    for scope, curve in by_entry.items():
        mine = [p for p in paths if scope is None or p.pages[0] == scope]
        assert curve.paths == len(mine)
        value = 0.0
        points = {p.at: p for p in curve.points}
        for k in range(1, 8):
            value = points[k].incidence if k in points else value
            share = sum(p.outcome.value == "RESOLVED" and p.length <= k for p in mine) / len(mine)
            assert value == pytest.approx(share)
    assert site is by_entry[None]


def test_minutes_are_counted_from_the_first_click_and_open_paths_are_censored() -> None:
    # path_of clicks once a second: ABR resolves after 2 s, AB (open) is censored at 1 s.
    paths = [path_of("ABR")] * 3 + [path_of("AB", "OPEN")] + [path_of("C", "ABANDONED")]
    site = {c.axis: c for c in resolution_curves(paths) if c.entry_page_id is None}
    minutes = site[Axis.MINUTES]
    assert (minutes.paths, minutes.resolved, minutes.censored) == (5, 3, 1)
    assert minutes.median == pytest.approx(2 / 60)
    # C ends at 0 (competing): F(0) = 0, S(0) = 4/5. Then AB is censored at 1/60 and ABR x3
    # resolve at 2/60: within the first minute F = 0 + (4/5) x 3/3 = 4/5.
    zero, first = minutes.points
    assert (zero.at, zero.incidence, zero.survival) == (0.0, 0.0, pytest.approx(4 / 5))
    assert (first.at, first.resolved) == (1.0, 3)
    assert first.incidence == pytest.approx(4 / 5)
    assert first.survival == pytest.approx(0.0)
