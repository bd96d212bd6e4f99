"""Relay-style connections (forward pagination: `first`, `after`) over read-model windows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import strawberry

from graph_model.read_records import Window
from graphql_api.fields import field

NodeT = TypeVar("NodeT")
R = TypeVar("R")


@strawberry.type(description="Where a page of results sits in its list.")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="More items follow: ask again with `after: endCursor`."
    )
    has_previous_page: bool = strawberry.field(
        description="Items precede this page (true whenever `after` was given)."
    )
    start_cursor: str | None = strawberry.field(description="Cursor of the first edge.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last edge; pass it as `after` for the next page."
    )


@strawberry.type(description="An item of a connection with its opaque cursor.")
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type(
    description="A list paginated with keyset cursors: stable while the data does not change "
    "and as fast for the thousandth page as for the first."
)
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @field(description="The items of this page (the edges' nodes).")
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]

    @field(description="Items in the whole list (counted only when asked for).")
    async def total_count(self) -> int:
        return await self.count()


def connection(
    window: Window[R],
    node: Callable[[R], NodeT],
    count: Callable[[], Awaitable[int]],
    after: str | None,
) -> Connection[NodeT]:
    edges = [
        Edge(cursor=cursor, node=node(item))
        for item, cursor in zip(window.items, window.cursors, strict=True)
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=window.has_next,
            has_previous_page=after is not None,
            start_cursor=window.cursors[0] if window.cursors else None,
            end_cursor=window.cursors[-1] if window.cursors else None,
        ),
        count=count,
    )
