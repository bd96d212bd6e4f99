"""Typed records that cross the graph_model boundary (no driver types leak out)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class StoredClick:
    """A click as stored on a (:Click) node; `seq` is its arrival order (Kafka offset)."""

    key: str
    customer_id: str
    page_id: str
    ts_ms: int
    resolved: bool
    seq: int
    referrer_page_id: str | None = None


@dataclass(frozen=True, slots=True)
class PathWrite:
    """One (:Path) with its clicks in order; `pages` is denormalised for analysts."""

    id: str
    customer_id: str
    click_keys: tuple[str, ...]
    pages: tuple[str, ...]
    start_ms: int
    end_ms: int
    outcome: str
    turnarounds: int
    quick_turnarounds: int

    @property
    def length(self) -> int:
        return len(self.click_keys)


@dataclass(frozen=True, slots=True)
class TransitionDelta:
    """Change of a (:Page)-[:TRANSITION]->(:Page) aggregate; may be negative (recomputed paths)."""

    from_page: str
    to_page: str
    count: int
    turnarounds: int


@dataclass(frozen=True, slots=True)
class BatchWrite:
    """Everything one ingest batch changes, applied in one transaction."""

    new_clicks: list[StoredClick] = field(default_factory=list)
    deleted_paths: list[PathWrite] = field(default_factory=list)
    created_paths: list[PathWrite] = field(default_factory=list)
    transitions: list[TransitionDelta] = field(default_factory=list)
    # (customer, page) -> clicks of that customer on that page, for every affected pair
    visited: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.new_clicks or self.deleted_paths or self.created_paths)


@dataclass(frozen=True, slots=True)
class PageCatalogEntry:
    """The site's declared structure for one page (the `pages` topic)."""

    page_id: str
    title: str | None
    url: str | None
    links: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GraphCounts:
    """Sizes of the graph, for logs, run records and tests."""

    pages: int
    customers: int
    paths: int
    clicks: int
    transitions: int
    open_paths: int
    resolved_paths: int
    abandoned_paths: int
    watermark_ms: int | None
