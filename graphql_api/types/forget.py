"""forgetCustomers: the right to erasure over the API (docs/forget.md)."""

from __future__ import annotations

import strawberry

from graphql_api.api_key import needs_api_key
from graphql_api.context import Info
from graphql_api.errors import ErrorCode, user_error
from graphql_api.fields import mutation

MAX_IDS = 1000


@strawberry.type(description="What an erasure removed, summed over the customers asked for.")
class ForgetResult:
    customers: int = strawberry.field(description="Customers asked for (distinct ids).")
    found: int = strawberry.field(description="Of them, those the graph held anything of.")
    paths: int = strawberry.field(description="Paths removed.")
    clicks: int = strawberry.field(description="Click nodes removed.")
    markers: int = strawberry.field(description="Outcome markers removed.")


@strawberry.type
class ForgetMutation:
    @mutation(
        description="Forget customers (right to erasure), as `pathrank forget` does: their "
        "clicks, paths, markers and visits are removed and subtracted from every aggregate, "
        "and a tombstone (a one-way hash of the id) keeps ingest from bringing them back. "
        "Analysis figures change at the next analysis. Needs the API key, and is refused "
        f"when none is configured; at most {MAX_IDS} ids.",
        permission_classes=[needs_api_key("forgetCustomers", even_without_one=True)],
    )
    async def forget_customers(self, info: Info, ids: list[strawberry.ID]) -> ForgetResult:
        service = info.context.forget
        if service is None:
            raise user_error("this server cannot forget customers", ErrorCode.NOT_AVAILABLE)
        unique = list(dict.fromkeys(str(i) for i in ids))
        if not unique or len(unique) > MAX_IDS:
            raise user_error(f"give 1 to {MAX_IDS} customer ids")
        if any(not i.strip() for i in unique):
            raise user_error("a customer id is empty")
        done = await service.forget(unique)
        return ForgetResult(
            customers=len(unique),
            found=sum(f.existed for f in done),
            paths=sum(f.paths for f in done),
            clicks=sum(f.clicks for f in done),
            markers=sum(f.markers for f in done),
        )
