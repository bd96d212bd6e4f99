"""Second-order analytics against references written here from the formulas (and lifelines
as a second, independent implementation of the cumulative incidence)."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from algorithms.second_order import (
    MIN_CONTINUATIONS,
    link_tests,
    order_test,
    pair_success,
    triples,
)
from algorithms.survival import Ending, Observation, cumulative_incidence
from graph_model.path.record import Path
from tests.paths import path_of

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


@settings(max_examples=60, deadline=None)
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


def test_a_hand_computed_example_with_censoring() -> None:
    # t=1 resolved, t=2 censored, t=3 abandoned, t=4 two resolved, t=5 censored (6 paths).
    data = [
        (1, Ending.RESOLVED),
        (2, Ending.CENSORED),
        (3, Ending.COMPETING),
        (4, Ending.RESOLVED),
        (4, Ending.RESOLVED),
        (5, Ending.CENSORED),
    ]
    curve = cumulative_incidence(Observation(t, e) for t, e in data)
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


def test_incidence_agrees_with_lifelines_aalen_johansen() -> None:
    lifelines = pytest.importorskip("lifelines")
    rng = random.Random(9)
    times = rng.sample(range(1, 100_000), 300)  # distinct: lifelines would jitter ties
    data = [
        (t / 1000, rng.choice([Ending.RESOLVED, Ending.COMPETING, Ending.CENSORED])) for t in times
    ]
    ours = cumulative_incidence(Observation(t, e) for t, e in data)
    codes = {Ending.CENSORED: 0, Ending.RESOLVED: 1, Ending.COMPETING: 2}
    fitter = lifelines.AalenJohansenFitter(calculate_variance=True)
    fitter.fit([t for t, _ in data], [codes[e] for _, e in data], event_of_interest=1)
    theirs = fitter.cumulative_density_.iloc[:, 0]
    for p in ours.points:
        assert theirs.loc[p.at] == pytest.approx(p.incidence, abs=1e-9)


def test_nothing_resolved_has_no_median() -> None:
    curve = cumulative_incidence(
        [Observation(3, Ending.COMPETING), Observation(5, Ending.CENSORED)]
    )
    assert curve.median is None
    assert curve.final == 0.0
