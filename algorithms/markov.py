"""Success probability and expected clicks to resolution: an absorbing Markov chain.

docs/analytics.md, section 3. A state is "the customer has just clicked page i". Its observed next
events are weighted by counts: a click to page j (TRANSITION count i->j), RESOLVED (paths that
resolved on i), EXIT (paths abandoned on i) or ESCALATED (paths an escalation marker ended on
i: a ticket, chat or call). RESOLVED, EXIT and ESCALATED absorb; the escalation probability
is solved like the success probability, from the direct escalation probabilities.

With Q the page-to-page probabilities, N = (I - Q)^-1 and h the probability of absorption in
RESOLVED (solved from (I - Q) h = r, r the direct resolution probabilities):
- `success_probability` = h_i;
- `expected_clicks_to_resolution` = E[clicks | resolves] = sum_j N_ij h_j / h_i - 1: the
  chain conditioned on resolving (Doob h-transform) visits j N_ij h_j / h_i times, and every
  visit but the first costs one click. The resolving click is the last page visit itself, so
  a page that always resolves costs 0 and a page whose only route is to such a page costs 1.
  None where h_i = 0.

Pages that cannot reach any absorbing state along observed transitions (for instance a page seen
only as the last page of OPEN paths, whose next move is not known yet) are left out of the
chain: their figures are None and transitions into them are dropped from their predecessors'
rows. Those clicks are censored observations, not failures, so counting them as exits would
bias predecessors towards failure.

Site success probability = resolved / completed paths: every completed path ends in exactly
one resolution, exit or escalation, so it is sum(resolutions) / (sum of all three).

Solving: sparse LU for small chains; for large ones restarted GMRES (clickstream graphs fill
in badly under LU: 5,000 pages / 100k transitions take seconds to factorise but milliseconds
to iterate), falling back to LU if GMRES does not reach the residual bound.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from types import MappingProxyType
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse import csgraph
from scipy.sparse import linalg as sla

from algorithms.observed import Observed, Transition

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

DIRECT_MAX_STATES: Final = 1000  # above this, iterate first (see module docstring)
_RESIDUAL_BOUND: Final = 1e-10


@dataclass(frozen=True, slots=True)
class PageSuccess:
    page_id: str
    success_probability: float | None  # None: page not in the chain
    exit_probability: float | None  # absorbed in EXIT, solved independently
    expected_clicks_to_resolution: float | None  # None: not in the chain or never resolves
    # Absorbed in ESCALATED; the three probabilities sum to 1 (up to the solver's precision).
    escalation_probability: float | None = None


@dataclass(frozen=True, slots=True)
class SuccessChain:
    pages: Mapping[str, PageSuccess] = field(repr=False)
    site_success_probability: float | None  # resolved / completed paths


def success_chain(observed: Observed) -> SuccessChain:
    return absorbing_chain(
        observed.transitions,
        {page: o.resolutions for page, o in observed.pages.items()},
        {page: o.exits for page, o in observed.pages.items()},
        escalations={page: o.escalations for page, o in observed.pages.items()},
    )


def absorbing_chain(
    transitions: Mapping[Transition, int],
    resolutions: Mapping[str, int],
    exits: Mapping[str, int],
    *,
    escalations: Mapping[str, int] | None = None,
    direct_max_states: int = DIRECT_MAX_STATES,
) -> SuccessChain:
    """One result for every page named in any of the inputs (counts must be >= 0). Without
    `escalations` the chain has two absorbing states, RESOLVED and EXIT."""
    escalations = escalations or {}
    named = (resolutions, exits, escalations)
    pages = itertools.chain(itertools.chain.from_iterable(transitions), *named)
    ids = list(dict.fromkeys(pages))
    index = dict(zip(ids, range(len(ids)), strict=True))
    m = len(transitions)
    src = np.fromiter(map(index.__getitem__, map(itemgetter(0), transitions)), np.int64, m)
    dst = np.fromiter(map(index.__getitem__, map(itemgetter(1), transitions)), np.int64, m)
    weight = np.fromiter(transitions.values(), np.float64, m)
    res, ext, esc = (_vector(counts, index) for counts in named)
    if (weight < 0).any() or (res < 0).any() or (ext < 0).any() or (esc < 0).any():
        raise ValueError("counts must be non-negative")
    observed = weight > 0
    src, dst, weight = src[observed], dst[observed], weight[observed]

    # Keep the states that can reach an absorbing state; re-index them 0..k-1.
    keep = _can_reach(src, dst, len(ids), res + ext + esc > 0)
    new_id = np.cumsum(keep) - 1
    inside = keep[src] & keep[dst]
    chain = _Chain(
        new_id[src[inside]], new_id[dst[inside]], weight[inside], res[keep], ext[keep], esc[keep]
    )
    success, failure, escalation, clicks = chain.solve(direct=int(keep.sum()) <= direct_max_states)

    results = {page: PageSuccess(page, None, None, None) for page in ids}
    for row, i in enumerate(np.flatnonzero(keep).tolist()):
        results[ids[i]] = PageSuccess(
            ids[i],
            float(success[row]),
            float(failure[row]),
            None if np.isnan(clicks[row]) else float(clicks[row]),
            float(escalation[row]),
        )
    resolved = sum(resolutions.values())
    completed = resolved + sum(exits.values()) + sum(escalations.values())
    return SuccessChain(
        pages=MappingProxyType(results),
        site_success_probability=resolved / completed if completed else None,
    )


@dataclass(frozen=True, slots=True)
class _Chain:
    """Counts on states 0..k-1, each of which can reach RESOLVED, EXIT or ESCALATED."""

    src: IntArray
    dst: IntArray
    weight: FloatArray
    res: FloatArray
    ext: FloatArray
    esc: FloatArray

    def solve(self, *, direct: bool) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """(success, exit, escalation, expected clicks given success, NaN where success is
        0)."""
        src, dst, k = self.src, self.dst, len(self.res)
        ends = self.res + self.ext + self.esc
        total = np.bincount(src, weights=self.weight, minlength=k) + ends  # > 0
        q = sp.csr_matrix((self.weight / total[src], (src, dst)), shape=(k, k))
        solver = _Solver((sp.identity(k, format="csr") - q).tocsr(), direct=direct)

        absorbed = [
            np.clip(solver.solve(counts / total), 0.0, 1.0) if counts.any() else np.zeros(k)
            for counts in (self.res, self.ext, self.esc)
        ]
        # Exact where the graph decides it, so "never" and "always" are not 1e-17 or 0.9999999:
        # 0 for an absorbing state a page cannot reach, 1 for the only one it can.
        reach = [_can_reach(src, dst, k, counts > 0) for counts in (self.res, self.ext, self.esc)]
        only_one = np.sum(reach, axis=0) == 1
        for probability, reachable in zip(absorbed, reach, strict=True):
            probability[~reachable] = 0.0
            probability[only_one & reachable] = 1.0
        success, failure, escalation = absorbed
        can_resolve = reach[0]

        clicks = np.full(k, np.nan)
        visits_given_success = solver.solve(success)  # (N h)_i
        clicks[can_resolve] = np.maximum(
            visits_given_success[can_resolve] / success[can_resolve] - 1.0, 0.0
        )
        return success, failure, escalation, clicks


def _vector(counts: Mapping[str, int], index: Mapping[str, int]) -> FloatArray:
    vector = np.zeros(len(index))
    for page, count in counts.items():
        vector[index[page]] = count
    return vector


def _can_reach(src: IntArray, dst: IntArray, n: int, targets: BoolArray) -> BoolArray:
    """States with a path of edges src->dst to some target (targets included)."""
    # Breadth-first search on the reversed graph from a virtual node n linked to the targets.
    goals = np.flatnonzero(targets)
    rows = np.concatenate([dst, np.full(len(goals), n)])
    cols = np.concatenate([src, goals])
    graph = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n + 1, n + 1))
    found = csgraph.breadth_first_order(graph, n, directed=True, return_predecessors=False)
    reach = np.zeros(n + 1, dtype=np.bool_)
    reach[found] = True
    return reach[:n]


class _Solver:
    """Solves (I - Q) x = b for several b in turn, factorising at most once."""

    def __init__(self, a: Any, *, direct: bool) -> None:
        self._a = a
        self._lu: Any = sla.splu(a.tocsc()) if direct else None

    def solve(self, b: FloatArray) -> FloatArray:
        if self._lu is None:
            x = _iterate(self._a, b)
            if x is not None:
                return x
            self._lu = sla.splu(self._a.tocsc())
        return np.asarray(self._lu.solve(b), dtype=np.float64)


def _iterate(a: Any, b: FloatArray) -> FloatArray | None:
    """GMRES, or None when it misses the residual bound (the caller then factorises)."""
    # Jacobi scaling: rows of pages with heavy self-loops (refreshes) have a small diagonal.
    scale = sp.diags(1.0 / a.diagonal())
    scaled = (scale @ a).tocsr()
    x, _ = sla.gmres(scaled, scale @ b, rtol=1e-13, atol=0.0, restart=60, maxiter=20)
    solution = np.asarray(x, dtype=np.float64)
    residual = np.abs(a @ solution - b).max(initial=0.0)
    return solution if residual <= _RESIDUAL_BOUND * max(1.0, np.abs(b).max(initial=0.0)) else None
