"""What every type module shares: the resolver Info, list-size arguments and defaults."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import strawberry

from graphql_api.errors import user_error
from graphql_api.limits import LIST_BOUNDS, MAX_PAGE_SIZE, page_size

T = TypeVar("T")

# Defaults when an argument is omitted or null.
DEFAULT_FIRST = 50  # top-level connections
CHILD_FIRST = 20  # connections nested in an object
LIST_LIMIT = 20  # top-level lists
DEFAULT_LIMIT = 10  # lists nested in an object


def size_argument(description: str) -> Any:
    return strawberry.argument(description=f"{description} (0 to {MAX_PAGE_SIZE}).")


# The list-size and cursor arguments every list field takes.
Limit = Annotated[int | None, size_argument("At most this many")]
First = Annotated[int | None, size_argument("Items to return")]
After = Annotated[str | None, strawberry.argument(description="`endCursor` of the previous page.")]


def limited(value: int | None, default: int = DEFAULT_LIMIT) -> int:
    """A `limit` argument, checked (`default` when null)."""
    return page_size("limit", value, default)


def firsts(value: int | None, default: int = CHILD_FIRST) -> int:
    """A `first` argument, checked (`default` when null)."""
    return page_size("first", value, default)


def capped(where: str, items: Sequence[T], *, latest: bool = False) -> Sequence[T]:
    """At most LIST_BOUNDS[where] of `items` (the last ones with `latest`): the bound the
    query cost counts that list by (extensions/cost.py)."""
    bound = LIST_BOUNDS[where]
    return items[len(items) - bound :] if latest and len(items) > bound else items[:bound]


def at_least_zero(name: str, value: int) -> int:
    if value < 0:
        raise user_error(f"`{name}` must not be negative, got {value}")
    return value


def utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def record_id() -> Any:
    """The `id` field: the record's id as a GraphQL ID."""

    def resolve(root: Any) -> strawberry.ID:
        return strawberry.ID(str(root.record.id))

    return strawberry.field(resolver=resolve)


def figure(name: str, description: str | None = None, graphql_type: Any = None) -> Any:
    """A field that is the analysis figure `name` of the type's record (`record.figures`).
    Given `graphql_type`, it needs no annotation, so it stays in its place among the
    resolver methods (Strawberry puts annotated fields first)."""

    def resolve(root: Any) -> Any:
        return getattr(root.record.figures, name)

    return strawberry.field(resolver=resolve, description=description, graphql_type=graphql_type)


def recorded(name: str, description: str | None = None) -> Any:
    """A field that is the attribute `name` of the type's `record` (a graph_model record)."""

    def resolve(root: Any) -> Any:
        return getattr(root.record, name)

    return strawberry.field(resolver=resolve, description=description)
