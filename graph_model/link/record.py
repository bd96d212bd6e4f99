"""Second-order figures of a link A -> B (docs/analytics.md, "15. Second order").

Both are written by analysis as relationships tagged with the run, like SUGGESTED_LINK: the
link's own TRANSITION belongs to ingest, which updates it with every batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from graph_model.properties import properties_of


@dataclass(frozen=True, slots=True)
class MisleadingLink:
    """(:Page A)-[:MISLEADING_LINK]->(:Page B): customers arriving from A turn straight back
    at B far more often than a first-order chain expects, and than customers arriving at B
    from anywhere else."""

    from_page_id: str  # A
    to_page_id: str  # B
    continuations: int  # A -> B -> anything, in completed paths
    u_turns: int  # A -> B -> A
    expected: float  # continuations x P(B -> A) under the first-order chain
    p_value: float  # one-sided binomial test of u_turns against expected
    q_value: float  # Benjamini-Hochberg over every tested link
    elsewhere_continuations: int  # X -> B -> anything, X neither A nor B
    elsewhere_u_turns: int  # X -> B -> X
    elsewhere_q_value: float  # one-sided Fisher test against the other ways in, BH
    rank: int = 0  # 1 = the most significant

    @property
    def u_turn_rate(self) -> float:
        return self.u_turns / self.continuations if self.continuations else 0.0

    @property
    def elsewhere_u_turn_rate(self) -> float | None:
        n = self.elsewhere_continuations
        return self.elsewhere_u_turns / n if n else None


@dataclass(frozen=True, slots=True)
class LinkSuccess:
    """(:Page A)-[:LINK_SUCCESS]->(:Page B): the chance a customer on B who came from A goes
    on to resolve (the absorbing chain on page pairs), where the pair was seen at least 20
    times in completed paths."""

    from_page_id: str  # A
    to_page_id: str  # B
    observations: int  # arrivals at B from A in completed paths
    success_probability: float | None  # None: the pair state cannot reach an ending


ENDS: Final = frozenset({"from_page_id", "to_page_id"})  # the relationship's end nodes
MISLEADING: Final = properties_of(MisleadingLink)
SUCCESS: Final = properties_of(LinkSuccess)
