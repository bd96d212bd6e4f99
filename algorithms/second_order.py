"""Second-order figures: what the page before tells about the next click (docs/analytics.md,
section 15).

A turnaround A -> B -> A says as much about the link from A as about page B. For each link
A -> B with at least MIN_CONTINUATIONS continuations out of B after arriving from A, the
U-turns (A -> B -> A) are tested against what a first-order chain expects: continuations x
P(B -> A), with P(B -> A) estimated from every continuation out of B whatever the page before;
one-sided binomial test, Benjamini-Hochberg over every tested link.

That null has no memory at all, so it also rejects wherever customers go back to where they
came from whatever the link: at a turnaround hotspot (every way into B turns back) and with
the back button everywhere. What singles out the link is the comparison with the other ways
into B: the U-turns after A -> B against those after every other X -> B (X != A, X != B)
that went straight back to X, with at least MIN_CONTINUATIONS such continuations: one-sided
Fisher exact test, Benjamini-Hochberg over every link compared. A link is misleading when
both q-values are <= FDR: customers coming from A expected something B does not give, while
customers reaching B otherwise find it.

The order test (Anderson and Goodman) asks whether journeys have memory at all: over the
transitions b -> c that have a predecessor a, LL1 = sum n(b,c) ln(n(b,c) / n(b,.)) and
LL2 = sum n(a,b,c) ln(n(a,b,c) / n(a,b,.)); statistic 2 (LL2 - LL1), degrees of freedom
sum over b of (k_b - 1)(m_b - 1), k_b and m_b the distinct predecessors and successors of b.

Both count completed paths only, like every page figure.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy import stats
from scipy.sparse import linalg as sla

from algorithms.path_arrays import PathArrays, counted
from graph_model.link.record import LinkSuccess, MisleadingLink
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
    # The other ways into B: continuations out of B after any other X -> B, and those that
    # went straight back to X; the test of the link's U-turn share against theirs (None:
    # fewer than MIN_CONTINUATIONS of them, not compared).
    elsewhere_continuations: int = 0
    elsewhere_u_turns: int = 0
    elsewhere_p_value: float | None = None
    elsewhere_q_value: float | None = None

    @property
    def misleading(self) -> bool:
        q_elsewhere = self.elsewhere_q_value
        return self.q_value <= FDR and q_elsewhere is not None and q_elsewhere <= FDR


@dataclass(frozen=True, slots=True)
class OrderTest:
    """First order against second order, over transitions with a predecessor."""

    statistic: float
    degrees_of_freedom: int
    p_value: float | None  # None: no degree of freedom (nothing to test)
    transitions: int  # triples a -> b -> c counted


def triples(paths: Iterable[Path] | PathArrays) -> Counter[Triple]:
    """(a, b, c) at consecutive positions of completed paths."""
    arrays = paths if isinstance(paths, PathArrays) else PathArrays.of(paths)
    n, clicks = arrays.pages, arrays.clicks
    owner = arrays.path_of_click
    j = np.arange(len(clicks) - 2, dtype=np.int64)
    inside = (owner[j] == owner[j + 2]) & arrays.completed[owner[j]]
    j = j[inside]
    # One int64 code per triple: exact up to 2 million pages (n^3 < 2^63).
    codes, counts = counted((clicks[j] * n + clicks[j + 1]) * n + clicks[j + 2])
    ids = arrays.page_ids
    return Counter(
        {
            (ids[code // (n * n)], ids[code // n % n], ids[code % n]): count
            for code, count in zip(codes.tolist(), counts.tolist(), strict=True)
        }
    )


def link_tests(
    counts: Counter[Triple], first_order: Counter[tuple[str, str]] | None = None
) -> list[LinkTest]:
    """Every link with enough continuations, tested; misleading ones first, then by q-value,
    then by U-turns.

    `first_order`: transitions b -> c to estimate P(b -> c) from (default: every
    continuation in `counts`, whatever the page before)."""
    onward = first_order if first_order is not None else _onward(counts)
    out_of: Counter[str] = Counter()
    for (b, _), n in onward.items():
        out_of[b] += n
    continuations: Counter[tuple[str, str]] = Counter()
    u_turns: Counter[tuple[str, str]] = Counter()
    into: Counter[str] = Counter()  # continuations out of b after arriving from another page
    back: Counter[str] = Counter()  # of those, straight back
    for (a, b, c), n in counts.items():
        if a == b:
            continue  # a reload is not a link
        continuations[(a, b)] += n
        into[b] += n
        if c == a:
            u_turns[(a, b)] += n
            back[b] += n
    tested = sorted(
        (link, n) for link, n in continuations.items() if n >= MIN_CONTINUATIONS and out_of[link[1]]
    )
    if not tested:
        return []
    # P(X >= u), X ~ Binomial(n, P(b -> a)): binomtest's "greater", for every link at once.
    n_arr = np.array([n for _, n in tested], dtype=np.int64)
    u_arr = np.array([u_turns[link] for link, _ in tested], dtype=np.int64)
    p_back = np.array([onward[(b, a)] / out_of[b] for (a, b), _ in tested])
    p_values = [float(p) for p in stats.binom.sf(u_arr - 1, n_arr, p_back)]
    q_values = _bh(p_values)
    elsewhere = _elsewhere_tests(tested, u_turns, into, back)
    results = [
        LinkTest(
            a,
            b,
            n,
            u_turns[(a, b)],
            n * onward[(b, a)] / out_of[b],
            p,
            q,
            into[b] - n,
            back[b] - u_turns[(a, b)],
            *elsewhere.get((a, b), (None, None)),
        )
        for ((a, b), n), p, q in zip(tested, p_values, q_values, strict=True)
    ]
    results.sort(
        key=lambda t: (not t.misleading, t.q_value, -t.u_turns, t.from_page_id, t.to_page_id)
    )
    return results


def _elsewhere_tests(
    tested: list[tuple[tuple[str, str], int]],
    u_turns: Counter[tuple[str, str]],
    into: Counter[str],
    back: Counter[str],
) -> dict[tuple[str, str], tuple[float, float]]:
    """(p, q) of each link's U-turn share against the other ways into its page's."""
    compared = []
    rows = []
    for (a, b), n in tested:
        others, others_back = into[b] - n, back[b] - u_turns[(a, b)]
        if others >= MIN_CONTINUATIONS:
            compared.append((a, b))
            rows.append((u_turns[(a, b)], n, others_back, others))
    if not compared:
        return {}
    # Fisher's exact test "greater" on [[u, n - u], [u', n' - u']] for every link at once:
    # P(X >= u), X hypergeometric (n + n' paths, u + u' U-turns, n drawn).
    u, drawn, u_other, n_other = (np.array(c, dtype=np.int64) for c in zip(*rows, strict=True))
    tails = stats.hypergeom.sf(u - 1, drawn + n_other, u + u_other, drawn)
    p_values = [float(min(1.0, p)) for p in tails]
    return dict(zip(compared, zip(p_values, _bh(p_values), strict=True), strict=True))


def _bh(p_values: list[float]) -> list[float]:
    return [float(q) for q in stats.false_discovery_control(p_values, method="bh")]


def misleading_links(tests: Iterable[LinkTest]) -> list[MisleadingLink]:
    """The misleading ones of `tests` (in their order), ranked from 1."""
    found = [t for t in tests if t.misleading]
    return [
        MisleadingLink(
            from_page_id=t.from_page_id,
            to_page_id=t.to_page_id,
            continuations=t.continuations,
            u_turns=t.u_turns,
            expected=t.expected,
            p_value=t.p_value,
            q_value=t.q_value,
            elsewhere_continuations=t.elsewhere_continuations,
            elsewhere_u_turns=t.elsewhere_u_turns,
            elsewhere_q_value=t.elsewhere_q_value if t.elsewhere_q_value is not None else 1.0,
            rank=rank,
        )
        for rank, t in enumerate(found, start=1)
    ]


def misleading_into(links: Iterable[MisleadingLink]) -> dict[str, tuple[str, ...]]:
    """Page B -> the pages A whose link into B misleads, in page id order."""
    into: dict[str, list[str]] = defaultdict(list)
    for link in links:
        into[link.to_page_id].append(link.from_page_id)
    return {page: tuple(sorted(sources)) for page, sources in into.items()}


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


@dataclass(frozen=True, slots=True)
class PairSuccess:
    """P(resolve | the customer is on `page_id`, having come from `from_page_id`)."""

    from_page_id: str
    page_id: str
    observations: int  # arrivals at page from from_page, in completed paths
    success_probability: float | None


def pair_success(paths: Iterable[Path] | PathArrays) -> list[PairSuccess]:
    """The absorbing chain of docs/analytics.md section 3 on states (previous page, page),
    for pairs seen at least MIN_PAIR_OBSERVATIONS times; a path's first click is the state
    (nothing, page). Transitions come from every path, ends from completed paths (resolved,
    or not: every other ending is a failure)."""
    arrays = paths if isinstance(paths, PathArrays) else PathArrays.of(paths)
    n, clicks = arrays.pages, arrays.clicks
    if not len(clicks):
        return []
    owner = arrays.path_of_click
    first = np.zeros(len(clicks), dtype=np.bool_)
    first[arrays.start] = True
    before = np.where(first, n, np.roll(clicks, 1))  # n: nothing before the first click
    # The state (previous page, page) of every click, numbered 0..k-1 (codes stay far from
    # int64's limit whatever the number of pages).
    codes, state = np.unique(before * n + clicks, return_inverse=True)
    state = state.ravel().astype(np.int64)
    k = len(codes)
    j = np.flatnonzero(~first[1:]) + 1  # every click with one before it in its path
    steps, weight = counted(state[j - 1] * k + state[j])
    done = arrays.completed
    end_state = state[arrays.start + arrays.length - 1]
    resolved = np.bincount(end_state[done & arrays.resolved], minlength=k).astype(np.float64)
    failed = np.bincount(end_state[done & ~arrays.resolved], minlength=k).astype(np.float64)
    success = _absorption(steps // k, steps % k, weight.astype(np.float64), resolved, failed)
    seen, observations = counted(state[~first & done[owner]])
    ids = arrays.page_ids
    out = []
    for number, count in zip(seen.tolist(), observations.tolist(), strict=True):
        if count >= MIN_PAIR_OBSERVATIONS:
            code = int(codes[number])
            out.append(PairSuccess(ids[code // n], ids[code % n], count, float(success[number])))
    out.sort(key=lambda p: (p.from_page_id, p.page_id))
    return out


_ITERATIONS: Final = 10_000
_TOLERANCE: Final = 1e-12


def _absorption(
    src: npt.NDArray[np.int64],
    dst: npt.NDArray[np.int64],
    weight: npt.NDArray[np.float64],
    resolved: npt.NDArray[np.float64],
    failed: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """P(absorbed in RESOLVED) of every state: h = Q h + r iterated from 0, which rises to
    the solution (customers leave a page within a few clicks, so about a hundred sparse
    products do at 1M clicks where GMRES took seconds and LU ten). Stops when the remaining
    error, bounded from the contraction seen, is below _TOLERANCE; a chain that mixes too
    slowly for that (long runs of reloads) is solved by sparse LU instead. A state that
    cannot reach an ending keeps 0."""
    k = len(resolved)
    total = np.bincount(src, weights=weight, minlength=k) + resolved + failed
    scale = np.where(total > 0, total, 1.0)
    q = sp.csr_matrix((weight / scale[src], (src, dst)), shape=(k, k))
    r = resolved / scale
    h = np.zeros(k)
    previous = math.inf
    settled = 0  # consecutive iterations whose error bound was met
    for _ in range(_ITERATIONS):
        step = q @ h + r
        change = float(np.abs(step - h).max(initial=0.0))
        h = step
        if change == 0.0:
            break
        rate = change / previous
        previous = change
        settled = settled + 1 if rate < 1 and change * rate / (1 - rate) < _TOLERANCE else 0
        if settled == 2:
            break
    else:
        h = sla.splu((sp.identity(k, format="csc") - q).tocsc()).solve(r)
    return np.asarray(np.clip(h, 0.0, 1.0), dtype=np.float64)


def link_success(paths: Iterable[Path] | PathArrays) -> list[LinkSuccess]:
    """`pair_success` of the pairs that have a page before (a path's first click has none)."""
    return [
        LinkSuccess(p.from_page_id, p.page_id, p.observations, p.success_probability)
        for p in pair_success(paths)
        if p.from_page_id
    ]
