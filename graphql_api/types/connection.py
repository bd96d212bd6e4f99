"""Relay connections over keyset windows, with Strawberry's relay types.

`Connection.resolve_connection` is Strawberry's pagination hook; here it takes a window the
graph already cut (graph_model.keyset), so nothing is fetched to be sliced in Python. The
nodes keep their natural ids (they are not relay Nodes): relay's NodeType bound does not
apply, hence the mypy override for these modules in pyproject.toml.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Self

import strawberry
from strawberry import relay
from strawberry.relay.types import NodeType

from graph_model.keyset import Window
from graphql_api.fields import field


@strawberry.type(
    description="A list paginated with keyset cursors: stable while the data does not change "
    "and as fast for the thousandth page as for the first."
)
class Connection(relay.Connection[NodeType]):
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @field(description="The items of this page (the edges' nodes).")
    def nodes(self) -> list[NodeType]:
        return [edge.node for edge in self.edges]

    @field(description="Items in the whole list (counted only when asked for).")
    async def total_count(self) -> int:
        return await self.count()

    @classmethod
    def resolve_connection(  # type: ignore[override]
        cls,
        nodes: Window[Any],
        *,
        info: Any = None,
        node: Callable[[Any], NodeType],
        count: Callable[[], Awaitable[int]],
        after: str | None = None,
        **kwargs: Any,
    ) -> Self:
        window = nodes
        # The graph's keyset cursors as they are (relay's resolve_edge would re-encode them).
        edges = [
            relay.Edge(cursor=cursor, node=node(item))
            for item, cursor in zip(window.items, window.cursors, strict=True)
        ]
        return cls(
            edges=edges,
            page_info=relay.PageInfo(
                has_next_page=window.has_next,
                has_previous_page=after is not None,
                start_cursor=window.cursors[0] if window.cursors else None,
                end_cursor=window.cursors[-1] if window.cursors else None,
            ),
            count=count,
        )

    @classmethod
    def of(
        cls,
        window: Window[Any],
        node: Callable[[Any], NodeType],
        count: Callable[[], Awaitable[int]],
        after: str | None,
    ) -> Self:
        return cls.resolve_connection(window, node=node, count=count, after=after)
