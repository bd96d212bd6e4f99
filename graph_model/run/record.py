"""An (:AnalysisRun) and the typed contract of everything one analysis writes.

`AnalysisResults` is all an analysis changes in the graph: algorithms (GDS included) compute
it and `graph_model.run.store` writes it, so no property name is chosen outside graph_model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated

from graph_model.community.record import CommunityRecord
from graph_model.page.record import PageFigures
from graph_model.properties import JSON
from graph_model.suggestion.record import LinkSuggestion


@dataclass(frozen=True, slots=True)
class AnalysisRun:
    """Every field is an (:AnalysisRun) property; `steps` is stored as JSON."""

    id: str
    started_at: int  # epoch ms
    duration_ms: int = 0
    steps: Annotated[dict[str, float], JSON] = field(default_factory=dict)  # seconds, in order
    pages: int = 0
    transitions: int = 0
    customers: int = 0
    paths: int = 0
    clicks: int = 0
    hotspots: int = 0
    high_exit_pages: int = 0
    weak_pages: int = 0
    communities: int = 0
    similar_pairs: int = 0
    link_suggestions: int = 0
    leiden_compute_s: float = 0.0  # GDS Leiden's own time, inside the communities step

    @property
    def total_s(self) -> float:
        return sum(self.steps.values())


# (customer node id, customer node id, Jaccard score) as GDS gives them.
SimilarPair = tuple[int, int, float]


@dataclass(frozen=True, slots=True)
class AnalysisResults:
    run: AnalysisRun
    pages: Mapping[str, PageFigures]  # every analysed page
    communities: Sequence[CommunityRecord]
    memberships: Mapping[int, int]  # customer node id -> community id
    similar: Sequence[SimilarPair]
    suggestions: Sequence[LinkSuggestion]  # ranked
