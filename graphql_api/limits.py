"""The API's limits, in one place (docs/api.md, "Limits"). Each is enforced by its own
extension in graphql_api/extensions/; resolvers check page sizes again (`page_size`), so a
misconfigured rule cannot open them."""

from __future__ import annotations

from typing import Final

from graphql_api.errors import user_error

MAX_DEPTH: Final = 10
MAX_TOKENS: Final = 2000
MAX_ALIASES: Final = 15
MAX_PAGE_SIZE: Final = 500
MAX_COST: Final = 50_000
# Field selections with every fragment spread expanded, in the operations and the fragment
# definitions: what validation and execution walk. GraphiQL's introspection query is ~470.
MAX_EXPANDED_FIELDS: Final = 5_000
# In one selection set as execution merges it (fragments expanded, the sub-selections of
# same-name fields merged): how often one response name may be selected, and how many
# distinct fragments may be spread into it. graphql-core compares every pair of each.
MAX_FIELD_REPEATS: Final = 10
MAX_FRAGMENTS_PER_SELECTION: Final = 20
# A list field without `first`/`limit` (a path's pages, a community's top pages) is assumed
# to hold this many items; connection `edges`/`nodes` are already counted by `first`.
UNBOUNDED_LIST_ESTIMATE: Final = 10
SIZE_ARGUMENTS: Final = ("first", "limit")
MAX_BODY_BYTES: Final = 128 * 1024
# A query's execution budget by default (PATHRANK_API_TIME_BUDGET_S): the Neo4j read timeout,
# which bounds one read, while this bounds the whole execution.
DEFAULT_TIME_BUDGET_S: Final = 10.0
CACHE_SIZE: Final = 256  # distinct query texts whose parse and validation are kept


def page_size(name: str, value: int | None, default: int) -> int:
    """A `first`/`limit` argument (`default` when null), or a GraphQL error when out of
    range."""
    if value is None:
        return default
    if not 0 <= value <= MAX_PAGE_SIZE:
        raise user_error(f"`{name}` must be between 0 and {MAX_PAGE_SIZE}, got {value}")
    return value
