"""A (:Customer), its (:Customer)-[:SIMILAR]->(:Customer) neighbours and its visits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    id: str
    community: int | None  # None before the first analysis that saw the customer


@dataclass(frozen=True, slots=True)
class SimilarCustomer:
    customer: CustomerRecord
    score: float  # Jaccard similarity of the visited pages


@dataclass(frozen=True, slots=True)
class PageVisit:
    page_id: str
    count: int  # clicks of the customer on the page
