"""Second-order figures: what the page before tells about the next click (docs/analytics.md,
section 15).

A turnaround A -> B -> A says as much about the link from A as about page B. For each link
A -> B with at least MIN_CONTINUATIONS continuations out of B after arriving from A, the
U-turns (A -> B -> A) are tested against what a first-order chain expects: continuations x
P(B -> A), with P(B -> A) estimated from every continuation out of B whatever the page before;
one-sided binomial test, Benjamini-Hochberg over every tested link. A link with q <= FDR is
misleading: customers coming from A expected something B does not give.

The order test (Anderson and Goodman) asks whether journeys have memory at all: over the
transitions b -> c that have a predecessor a, LL1 = sum n(b,c) ln(n(b,c) / n(b,.)) and
LL2 = sum n(a,b,c) ln(n(a,b,c) / n(a,b,.)); statistic 2 (LL2 - LL1), degrees of freedom
sum over b of (k_b - 1)(m_b - 1), k_b and m_b the distinct predecessors and successors of b.

Both count completed paths only, like every page figure.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from scipy import stats

from graph_model.path.record import Path

MIN_CONTINUATIONS: Final = 20
FDR: Final = 0.05

Triple = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class LinkTest:
    """The U-turn test of one link A -> B."""

    from_page_id: str  # A
    to_page_id: str  # B
    continuations: int  # A -> B -> anything
    u_turns: int  # A -> B -> A
    expected: float  # continuations x P(B -> A)
    p_value: float
    q_value: float

    @property
    def misleading(self) -> bool:
        return self.q_value <= FDR


@dataclass(frozen=True, slots=True)
class OrderTest:
    """First order against second order, over transitions with a predecessor."""

    statistic: float
    degrees_of_freedom: int
    p_value: float | None  # None: no degree of freedom (nothing to test)
    transitions: int  # triples a -> b -> c counted


def triples(paths: Iterable[Path]) -> Counter[Triple]:
    """(a, b, c) at consecutive positions of completed paths."""
    counts: Counter[Triple] = Counter()
    for path in paths:
        if path.completed:
            p = path.pages
            counts.update(zip(p, p[1:], p[2:], strict=False))
    return counts


def link_tests(
    counts: Counter[Triple], first_order: Counter[tuple[str, str]] | None = None
) -> list[LinkTest]:
    """Every link with enough continuations, tested; sorted by q-value, then by U-turns.

    `first_order`: transitions b -> c to estimate P(b -> c) from (default: every
    continuation in `counts`, whatever the page before)."""
    onward = first_order if first_order is not None else _onward(counts)
    out_of: Counter[str] = Counter()
    for (b, _), n in onward.items():
        out_of[b] += n
    continuations: Counter[tuple[str, str]] = Counter()
    u_turns: Counter[tuple[str, str]] = Counter()
    for (a, b, c), n in counts.items():
        if a == b:
            continue  # a reload is not a link
        continuations[(a, b)] += n
        if c == a:
            u_turns[(a, b)] += n
    tested = [
        (link, n) for link, n in continuations.items() if n >= MIN_CONTINUATIONS and out_of[link[1]]
    ]
    if not tested:
        return []
    p_values = []
    for (a, b), n in tested:
        p_back = onward[(b, a)] / out_of[b]
        p_values.append(float(stats.binomtest(u_turns[(a, b)], n, p_back, "greater").pvalue))
    q_values = [float(q) for q in stats.false_discovery_control(p_values, method="bh")]
    results = [
        LinkTest(a, b, n, u_turns[(a, b)], n * onward[(b, a)] / out_of[b], p, q)
        for ((a, b), n), p, q in zip(tested, p_values, q_values, strict=True)
    ]
    results.sort(key=lambda t: (t.q_value, -t.u_turns, t.from_page_id, t.to_page_id))
    return results


def order_test(counts: Counter[Triple]) -> OrderTest:
    pairs: Counter[tuple[str, str]] = Counter()  # n(a, b, .) by (a, b)
    onward = _onward(counts)  # n(b, c) over transitions with a predecessor
    out_of: Counter[str] = Counter()
    predecessors: dict[str, set[str]] = defaultdict(set)
    successors: dict[str, set[str]] = defaultdict(set)
    for (a, b, c), n in counts.items():
        pairs[(a, b)] += n
        predecessors[b].add(a)
        successors[b].add(c)
    for (b, _), n in onward.items():
        out_of[b] += n
    ll1 = sum(n * math.log(n / out_of[b]) for (b, _), n in onward.items())
    ll2 = sum(n * math.log(n / pairs[(a, b)]) for (a, b, _), n in counts.items())
    statistic = max(0.0, 2 * (ll2 - ll1))
    df = sum((len(predecessors[b]) - 1) * (len(successors[b]) - 1) for b in predecessors)
    p_value = float(stats.chi2.sf(statistic, df)) if df > 0 else None
    return OrderTest(statistic, df, p_value, sum(counts.values()))


def _onward(counts: Counter[Triple]) -> Counter[tuple[str, str]]:
    onward: Counter[tuple[str, str]] = Counter()
    for (_, b, c), n in counts.items():
        onward[(b, c)] += n
    return onward


# ---- the chain on page pairs ------------------------------------------------------------------

MIN_PAIR_OBSERVATIONS: Final = 20
_SEP: Final = "\x1f"  # between the two page ids of a pair state (never inside an id)


@dataclass(frozen=True, slots=True)
class PairSuccess:
    """P(resolve | the customer is on `page_id`, having come from `from_page_id`)."""

    from_page_id: str
    page_id: str
    observations: int  # arrivals at page from from_page, in completed paths
    success_probability: float | None


def pair_success(paths: Iterable[Path]) -> list[PairSuccess]:
    """The absorbing chain of docs/analytics.md section 3 on states (previous page, page),
    for pairs seen at least MIN_PAIR_OBSERVATIONS times; a path's first click is the state
    (nothing, page). Transitions come from every path, ends from completed paths."""
    from algorithms.markov import absorbing_chain

    transitions: Counter[tuple[str, str]] = Counter()
    resolutions: Counter[str] = Counter()
    exits: Counter[str] = Counter()
    observations: Counter[str] = Counter()
    for path in paths:
        states = [_SEP + path.pages[0]]
        states += [a + _SEP + b for a, b in itertools.pairwise(path.pages)]
        transitions.update(itertools.pairwise(states))
        if not path.completed:
            continue
        observations.update(states[1:])
        # ESCALATED counts as an exit: both are failures, and the probability of RESOLVED
        # is the same whether the chain tells them apart or not.
        (resolutions if path.outcome.value == "RESOLVED" else exits)[states[-1]] += 1
    chain = absorbing_chain(transitions, resolutions, exits)
    out = []
    for state, seen in observations.items():
        if seen >= MIN_PAIR_OBSERVATIONS:
            a, b = state.split(_SEP)
            found = chain.pages.get(state)
            out.append(PairSuccess(a, b, seen, found.success_probability if found else None))
    out.sort(key=lambda p: (p.from_page_id, p.page_id))
    return out
