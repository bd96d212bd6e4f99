"""DataLoaders, made fresh for every request (so nothing is cached across requests).

Each loader collects the keys its fields ask for in one event-loop tick and answers them
with one read-model call. Fields with arguments (a page's `outgoing(limit: 5)`) key on
(parent id, arguments); a batch is split by arguments, so 50 pages asking for
`outgoing(limit: 5)` are still one query.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from functools import cached_property
from typing import TypeVar

from strawberry.dataloader import DataLoader

from graph_model.read_model import ReadModel
from graph_model.read_records import (
    CommunityRecord,
    CustomerRecord,
    Direction,
    LinkSuggestionRecord,
    PageRecord,
    PageVisitRecord,
    PathView,
    SimilarCustomerRecord,
    TransitionRecord,
    Window,
)

K = TypeVar("K", bound=Hashable)
P = TypeVar("P", bound=Hashable)
V = TypeVar("V")

# Arguments of a paginated child list: (first, after, outcome)
PathArgs = tuple[int, str | None, str | None]
MemberArgs = tuple[int, str | None]


def by_key(fetch: Callable[[list[K]], Awaitable[Mapping[K, V]]], missing: V) -> DataLoader[K, V]:
    async def load(keys: list[K]) -> list[V]:
        found = await fetch(keys)
        return [found.get(k, missing) for k in keys]

    return DataLoader(load)


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


def sequence(fetch: Callable[[list[K]], Awaitable[Sequence[V]]]) -> DataLoader[K, V]:
    """For fetches that answer positionally (one value per key, in order)."""

    async def load(keys: list[K]) -> list[V]:
        return list(await fetch(keys))

    return DataLoader(load)


class Loaders:
    """One request's loaders, each made on first use: most requests touch one or two of
    them, and making all fourteen up front was a visible share of a small request's time."""

    def __init__(self, read: ReadModel) -> None:
        self.read = read

    @cached_property
    def page(self) -> DataLoader[str, PageRecord | None]:
        none: PageRecord | None = None
        return by_key(self.read.pages_by_ids, none)

    @cached_property
    def transitions(
        self,
    ) -> DataLoader[tuple[str, tuple[Direction, int]], tuple[TransitionRecord, ...]]:
        read = self.read
        return grouped(lambda ids, a: read.transitions(ids, a[0], a[1]), ())

    @cached_property
    def route_probability(self) -> DataLoader[tuple[str, ...], float | None]:
        return sequence(self.read.route_probabilities)

    @cached_property
    def suggestions_from(self) -> DataLoader[tuple[str, int], tuple[LinkSuggestionRecord, ...]]:
        return grouped(self.read.link_suggestions_from, ())

    @cached_property
    def paths_through(self) -> DataLoader[tuple[str, PathArgs], Window[PathView]]:
        read = self.read
        empty: Window[PathView] = Window.empty()
        return grouped(lambda ids, a: read.paths_through(ids, *a), empty)

    @cached_property
    def paths_through_count(self) -> DataLoader[tuple[str, str | None], int]:
        return grouped(self.read.paths_through_counts, 0)

    @cached_property
    def customer(self) -> DataLoader[str, CustomerRecord | None]:
        none: CustomerRecord | None = None
        return by_key(self.read.customers_by_ids, none)

    @cached_property
    def customer_paths(self) -> DataLoader[tuple[str, PathArgs], Window[PathView]]:
        read = self.read
        empty: Window[PathView] = Window.empty()
        return grouped(lambda ids, a: read.customer_paths(ids, *a), empty)

    @cached_property
    def customer_path_count(self) -> DataLoader[tuple[str, str | None], int]:
        return grouped(self.read.customer_path_counts, 0)

    @cached_property
    def similar(self) -> DataLoader[tuple[str, int], tuple[SimilarCustomerRecord, ...]]:
        return grouped(self.read.similar_customers, ())

    @cached_property
    def visited(self) -> DataLoader[tuple[str, int], tuple[PageVisitRecord, ...]]:
        return grouped(self.read.visited_pages, ())

    @cached_property
    def community(self) -> DataLoader[int, CommunityRecord | None]:
        none: CommunityRecord | None = None
        return by_key(self.read.communities_by_ids, none)

    @cached_property
    def members(self) -> DataLoader[tuple[int, MemberArgs], Window[CustomerRecord]]:
        read = self.read
        empty: Window[CustomerRecord] = Window.empty()
        return grouped(lambda ids, a: read.community_members(ids, *a), empty)

    @cached_property
    def member_count(self) -> DataLoader[int, int]:
        return by_key(self.read.community_member_counts, 0)

    def prime_pages(self, pages: Sequence[PageRecord]) -> None:
        """Pages read by a list query: nested fields that need them need no query."""
        self.page.prime_many({p.id: p for p in pages})

    def prime_customers(self, customers: Sequence[CustomerRecord]) -> None:
        self.customer.prime_many({c.id: c for c in customers})


def make_loaders(read: ReadModel) -> Loaders:
    return Loaders(read)
