"""A (:Community): customers who behave alike, with figures over their completed paths."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from graph_model.properties import properties_of


class CommunityOrder(StrEnum):
    ID = "ID"
    SIZE = "SIZE"


@dataclass(frozen=True, slots=True)
class CommunityRecord:
    """Every field is a (:Community) property."""

    id: int
    size: int = 0
    top_pages: tuple[str, ...] = ()  # most visited pages, most first
    completed_paths: int = 0
    resolution_rate: float | None = None  # resolved / completed paths
    mean_path_length: float | None = None  # over completed paths
    turnaround_rate: float | None = None  # completed paths with a turnaround / completed


COMMUNITY: Final = properties_of(CommunityRecord)
