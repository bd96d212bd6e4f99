"""The API key a mutation needs (X-API-Key or Authorization: Bearer), as a permission class."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from graphql_api.context import Info
from graphql_api.errors import ErrorCode


def needs_api_key(field: str, *, even_without_one: bool = False) -> type[BasePermission]:
    """A permission for mutation `field`: the request must carry the configured API key.
    `even_without_one`: with no key configured nobody may call it (an erasure); otherwise an
    unconfigured server lets everyone (a local install running analyses)."""

    configured = " set PATHRANK_API_KEY on the server and" if even_without_one else ""

    class NeedsApiKey(BasePermission):
        message = (
            f"{field} needs the API key:{configured} send it as `X-API-Key: <key>` or "
            "`Authorization: Bearer <key>`"
        )
        error_extensions = {"code": ErrorCode.UNAUTHENTICATED.value}  # noqa: RUF012

        def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
            context = info.context
            if even_without_one and not context.api_key:
                return False
            return bool(context.authorized())

    return NeedsApiKey
