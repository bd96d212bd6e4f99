"""DataLoaders, made fresh for every request (so nothing is cached across requests).

Each loader collects the keys its fields ask for in one event-loop tick and answers them
with one read call. Fields with arguments (a page's `outgoing(limit: 5)`) key on (parent id,
arguments); a batch is split by arguments, so 50 pages asking for `outgoing(limit: 5)` are
still one query. Loaders are made on first use: most requests touch one or two of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from functools import cached_property
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from graph_model.change.record import ChangeRecord
from graph_model.community.record import CommunityRecord
from graph_model.customer.record import CustomerRecord, PageVisit, SimilarCustomer
from graph_model.dwell.record import Dwell
from graph_model.graph import GraphReads
from graph_model.keyset import Window
from graph_model.link.record import LinkSuccess
from graph_model.page.record import Direction, PageRecord, PageVersion, TransitionRecord
from graph_model.path.record import Outcome, Path
from graph_model.series.record import Bucket, Bucketing, Counts, StoredSeries
from graph_model.suggestion.record import LinkSuggestion
from graph_model.timewindow import Interval, TimeWindow
from graph_model.work.record import WorkItem

K = TypeVar("K", bound=Hashable)
P = TypeVar("P", bound=Hashable)
V = TypeVar("V")

# Arguments of a paginated child list: (first, after, outcome)
PathArgs = tuple[int, str | None, Outcome | None]
MemberArgs = tuple[int, str | None]


def by_key(fetch: Callable[[list[K]], Awaitable[Mapping[K, V]]], missing: V) -> DataLoader[K, V]:
    async def load(keys: list[K]) -> list[V]:
        found = await fetch(keys)
        return [found.get(k, missing) for k in keys]

    return DataLoader(load)


def by_id(fetch: Callable[[list[K]], Awaitable[Mapping[K, V]]]) -> DataLoader[K, V | None]:
    """Records by id; an unknown id loads as None."""
    missing: V | None = None
    return by_key(fetch, missing)


def grouped(
    fetch: Callable[[list[K], P], Awaitable[Mapping[K, V]]], missing: V
) -> DataLoader[tuple[K, P], V]:
    """Keys are (parent, arguments): one fetch per distinct arguments, run concurrently."""

    async def load(keys: list[tuple[K, P]]) -> list[V]:
        groups: dict[P, list[K]] = {}
        for parent, args in keys:
            groups.setdefault(args, []).append(parent)
        results = await asyncio.gather(*(fetch(parents, args) for args, parents in groups.items()))
        answers = dict(zip(groups, results, strict=True))
        return [answers[args].get(parent, missing) for parent, args in keys]

    return DataLoader(load)


def windows(
    fetch: Callable[..., Awaitable[Mapping[K, Window[V]]]],
) -> DataLoader[tuple[K, tuple[Any, ...]], Window[V]]:
    """Keys are (parent, (first, after, ...)): one keyset window per parent."""
    empty: Window[V] = Window.empty()
    return grouped(lambda parents, args: fetch(parents, *args), empty)


def sequence(fetch: Callable[[list[K]], Awaitable[Sequence[V]]]) -> DataLoader[K, V]:
    """For fetches that answer positionally (one value per key, in order)."""

    async def load(keys: list[K]) -> list[V]:
        return list(await fetch(keys))

    return DataLoader(load)


class Loaders:
    """One request's loaders."""

    def __init__(self, graph: GraphReads) -> None:
        self.graph = graph

    # pages

    @cached_property
    def page(self) -> DataLoader[str, PageRecord | None]:
        return by_id(self.graph.pages.by_ids)

    @cached_property
    def transitions(
        self,
    ) -> DataLoader[tuple[str, tuple[Direction, int]], tuple[TransitionRecord, ...]]:
        pages = self.graph.pages
        return grouped(lambda ids, a: pages.transitions(ids, a[0], a[1]), ())

    @cached_property
    def route_probability(self) -> DataLoader[tuple[str, ...], float | None]:
        return sequence(self.graph.pages.route_probabilities)

    @cached_property
    def link_success(self) -> DataLoader[tuple[str, str], LinkSuccess | None]:
        return by_id(self.graph.links.success_of)

    @cached_property
    def suggestions_from(self) -> DataLoader[tuple[str, int], tuple[LinkSuggestion, ...]]:
        return grouped(self.graph.suggestions.from_pages, ())

    # series and windows: (page, (bucketing, with the site's clicks)), (page, interval)

    @cached_property
    def page_buckets(self) -> DataLoader[tuple[str, tuple[Bucketing, bool]], list[Bucket]]:
        series = self.graph.series
        return grouped(lambda ids, a: series.page_buckets(ids, a[0], a[1]), [])

    @cached_property
    def page_by_value(
        self,
    ) -> DataLoader[tuple[str, tuple[str, Bucketing]], dict[str, Counts]]:
        series = self.graph.series
        return grouped(lambda ids, a: series.page_by_value(ids, a[0], a[1]), {})

    @cached_property
    def stored_series(self) -> DataLoader[tuple[str, Interval], StoredSeries | None]:
        return grouped(self.graph.series.stored, None)

    @cached_property
    def time_on_page(self) -> DataLoader[tuple[str, tuple[TimeWindow, str | None]], Dwell | None]:
        dwell = self.graph.dwell
        return grouped(lambda ids, a: dwell.time_on_page(ids, a[0], a[1]), None)

    @cached_property
    def versions(self) -> DataLoader[str, tuple[PageVersion, ...]]:
        return by_key(self.graph.pages.versions, ())

    @cached_property
    def page_changes(self) -> DataLoader[tuple[str, tuple[int, bool]], tuple[ChangeRecord, ...]]:
        changes = self.graph.changes
        return grouped(lambda ids, a: changes.of_pages(ids, a[0], a[1]), ())

    # paths

    @cached_property
    def path(self) -> DataLoader[str, Path | None]:
        return by_id(self.graph.paths.by_ids)

    @cached_property
    def work_item(self) -> DataLoader[str, WorkItem | None]:
        return by_id(self.graph.work.items)

    @cached_property
    def paths_through(self) -> DataLoader[tuple[str, PathArgs], Window[Path]]:
        return windows(self.graph.paths.through)

    @cached_property
    def customer_paths(self) -> DataLoader[tuple[str, PathArgs], Window[Path]]:
        return windows(self.graph.paths.of_customers)

    @cached_property
    def paths_through_count(self) -> DataLoader[tuple[str, Outcome | None], int]:
        return grouped(self.graph.paths.count_through, 0)

    @cached_property
    def customer_path_count(self) -> DataLoader[tuple[str, Outcome | None], int]:
        return grouped(self.graph.paths.count_of_customers, 0)

    # customers

    @cached_property
    def customer(self) -> DataLoader[str, CustomerRecord | None]:
        return by_id(self.graph.customers.by_ids)

    @cached_property
    def similar(self) -> DataLoader[tuple[str, int], tuple[SimilarCustomer, ...]]:
        return grouped(self.graph.customers.similar, ())

    @cached_property
    def visited(self) -> DataLoader[tuple[str, int], tuple[PageVisit, ...]]:
        return grouped(self.graph.customers.visited, ())

    # communities

    @cached_property
    def community(self) -> DataLoader[int, CommunityRecord | None]:
        return by_id(self.graph.communities.by_ids)

    @cached_property
    def members(self) -> DataLoader[tuple[int, MemberArgs], Window[CustomerRecord]]:
        return windows(self.graph.communities.members)

    @cached_property
    def member_count(self) -> DataLoader[int, int]:
        return by_key(self.graph.communities.member_counts, 0)

    def prime_pages(self, pages: Sequence[PageRecord]) -> None:
        """Pages read by a list query: nested fields that need them need no query."""
        self.page.prime_many({p.id: p for p in pages})

    def prime_customers(self, customers: Sequence[CustomerRecord]) -> None:
        self.customer.prime_many({c.id: c for c in customers})
