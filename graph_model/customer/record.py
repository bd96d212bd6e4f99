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


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What forgetting one customer removed (docs/forget.md)."""

    customer_id: str  # as given by the operator; never stored
    paths: int
    clicks: int
    markers: int
    existed: bool  # a (:Customer) node or any event of it was in the graph
