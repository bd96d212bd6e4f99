"""DataLoaders, made fresh for every request (so nothing is cached across requests).

Each loader collects the keys its fields ask for in one event-loop tick and answers them
with one read-model call. Fields with arguments (a page's `outgoing(limit: 5)`) key on
(parent id, arguments); a batch is split by arguments, so 50 pages asking for
`outgoing(limit: 5)` are still one query.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Loaders:
    page: DataLoader[str, PageRecord | None]
    transitions: DataLoader[tuple[str, tuple[Direction, int]], tuple[TransitionRecord, ...]]
    route_probability: DataLoader[tuple[str, ...], float | None]
    suggestions_from: DataLoader[tuple[str, int], tuple[LinkSuggestionRecord, ...]]
    paths_through: DataLoader[tuple[str, PathArgs], Window[PathView]]
    paths_through_count: DataLoader[tuple[str, str | None], int]
    customer: DataLoader[str, CustomerRecord | None]
    customer_paths: DataLoader[tuple[str, PathArgs], Window[PathView]]
    customer_path_count: DataLoader[tuple[str, str | None], int]
    similar: DataLoader[tuple[str, int], tuple[SimilarCustomerRecord, ...]]
    visited: DataLoader[tuple[str, int], tuple[PageVisitRecord, ...]]
    community: DataLoader[int, CommunityRecord | None]
    members: DataLoader[tuple[int, MemberArgs], Window[CustomerRecord]]
    member_count: DataLoader[int, int]

    def prime_pages(self, pages: Sequence[PageRecord]) -> None:
        """Pages read by a list query: nested fields that need them need no query."""
        self.page.prime_many({p.id: p for p in pages})

    def prime_customers(self, customers: Sequence[CustomerRecord]) -> None:
        self.customer.prime_many({c.id: c for c in customers})


def make_loaders(read: ReadModel) -> Loaders:
    none_page: PageRecord | None = None
    none_customer: CustomerRecord | None = None
    none_community: CommunityRecord | None = None
    empty_paths: Window[PathView] = Window.empty()
    empty_members: Window[CustomerRecord] = Window.empty()
    return Loaders(
        page=by_key(read.pages_by_ids, none_page),
        transitions=grouped(lambda ids, a: read.transitions(ids, a[0], a[1]), ()),
        route_probability=sequence(read.route_probabilities),
        suggestions_from=grouped(read.link_suggestions_from, ()),
        paths_through=grouped(lambda ids, a: read.paths_through(ids, *a), empty_paths),
        paths_through_count=grouped(read.paths_through_counts, 0),
        customer=by_key(read.customers_by_ids, none_customer),
        customer_paths=grouped(lambda ids, a: read.customer_paths(ids, *a), empty_paths),
        customer_path_count=grouped(read.customer_path_counts, 0),
        similar=grouped(read.similar_customers, ()),
        visited=grouped(read.visited_pages, ()),
        community=by_key(read.communities_by_ids, none_community),
        members=grouped(lambda ids, a: read.community_members(ids, *a), empty_members),
        member_count=by_key(read.community_member_counts, 0),
    )
