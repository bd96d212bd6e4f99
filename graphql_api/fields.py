"""Typed forms of Strawberry's decorators (its keyword-only overloads return Any, which
mypy --strict refuses as an untyped decorator)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import strawberry
from strawberry.permission import BasePermission

F = TypeVar("F", bound=Callable[..., Any])


def field(description: str | None = None, *, name: str | None = None) -> Callable[[F], F]:
    """`strawberry.field` for resolvers, typed for mypy (strawberry's overload is Any)."""
    return cast("Callable[[F], F]", strawberry.field(description=description, name=name))


def mutation(
    description: str, *, permission_classes: list[type[BasePermission]]
) -> Callable[[F], F]:
    return cast(
        "Callable[[F], F]",
        strawberry.mutation(description=description, permission_classes=permission_classes),
    )


def subscription(description: str) -> Callable[[F], F]:
    return cast("Callable[[F], F]", strawberry.subscription(description=description))
