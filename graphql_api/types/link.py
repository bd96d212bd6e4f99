"""Second order: misleading links, and whether journeys have memory at all (the order test
of the run)."""

from __future__ import annotations

import strawberry

from graph_model.link.record import MisleadingLink as MisleadingLinkRecord
from graph_model.run.record import AnalysisRun
from graphql_api.context import Info
from graphql_api.fields import field
from graphql_api.types.common import LIST_LIMIT, Limit, limited, recorded
from graphql_api.types.transition import PageLink

MEMORY_ALPHA = 0.05


@strawberry.type(
    description="A link A -> B after which customers turn straight back to A far more often "
    "than a first-order chain expects, and than customers who reach B any other way: they "
    "expected something B does not give (docs/analytics.md, section 15)."
)
class MisleadingLink(PageLink):
    record: strawberry.Private[MisleadingLinkRecord]

    u_turns: int = recorded("u_turns", "Paths that went A -> B -> A.")
    continuations: int = recorded(
        "continuations", "Paths that went A -> B and clicked on (completed paths)."
    )
    expected: float = recorded(
        "expected", "U-turns a first-order chain expects: continuations x P(B -> A)."
    )
    u_turn_rate: float = recorded("u_turn_rate", "uTurns / continuations.")
    p_value: float = recorded("p_value", "One-sided binomial test of uTurns against expected.")
    q_value: float = recorded("q_value", "Benjamini-Hochberg over every tested link.")
    elsewhere_continuations: int = recorded(
        "elsewhere_continuations", "Continuations out of B after arriving from any other page."
    )
    elsewhere_u_turns: int = recorded(
        "elsewhere_u_turns", "Of those, straight back to the page they came from."
    )
    elsewhere_u_turn_rate: float | None = recorded(
        "elsewhere_u_turn_rate", "elsewhereUTurns / elsewhereContinuations."
    )
    elsewhere_q_value: float = recorded(
        "elsewhere_q_value",
        "One-sided Fisher test of the link's U-turn share against the other ways in, "
        "Benjamini-Hochberg.",
    )
    rank: int = recorded("rank", "1 = the most significant.")


@strawberry.type(
    description="The order test of the run (Anderson-Goodman): does the page before tell "
    "anything about the next click beyond the current page? Over completed paths' "
    "transitions that have a predecessor."
)
class MarkovOrderTest:
    run: strawberry.Private[AnalysisRun]

    @field(description="2 (LL2 - LL1): second-order against first-order log-likelihood.")
    def statistic(self) -> float:
        return self.run.markov_order_statistic or 0.0

    @field(description="Sum over pages b of (predecessors of b - 1) x (successors of b - 1).")
    def degrees_of_freedom(self) -> int:
        return self.run.markov_order_degrees_of_freedom or 0

    @field(description="P(chi-squared >= statistic); null when there is nothing to test.")
    def p_value(self) -> float | None:
        return self.run.markov_order_p_value

    @field(description="Transitions b -> c with a predecessor a that were counted.")
    def transitions(self) -> int:
        return self.run.markov_order_transitions

    @field(description=f"pValue < {MEMORY_ALPHA}: journeys have memory (first order rejected).")
    def has_memory(self) -> bool:
        p = self.run.markov_order_p_value
        return p is not None and p < MEMORY_ALPHA


@strawberry.type
class LinkQuery:
    @field(description="Misleading links of the latest analysis, most significant first.")
    async def misleading_links(self, info: Info, limit: Limit = LIST_LIMIT) -> list[MisleadingLink]:
        records = await info.context.graph.links.misleading(limited(limit, LIST_LIMIT))
        return [MisleadingLink(record=r) for r in records]

    @field(
        description="The order test of the latest analysis; null before the first analysis "
        "that ran it."
    )
    async def markov_order(self, info: Info) -> MarkovOrderTest | None:
        run = await info.context.graph.runs.current()
        if run is None or run.markov_order_degrees_of_freedom is None:
            return None
        return MarkovOrderTest(run=run)
