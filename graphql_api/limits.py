"""The API's limits, in one place (docs/api.md, "Limits"). Each is enforced by its own
extension in graphql_api/extensions/; resolvers check page sizes again (`page_size`), so a
misconfigured rule cannot open them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from graph_model.timewindow import MAX_PERIODS as SERIES_MAX_PERIODS
from graphql_api.errors import user_error

MAX_DEPTH: Final = 10
MAX_TOKENS: Final = 2000
MAX_ALIASES: Final = 15
MAX_PAGE_SIZE: Final = 500
MAX_COST: Final = 200_000
# Field selections with every fragment spread expanded, in the operations and the fragment
# definitions: what validation and execution walk. GraphiQL's introspection query is ~470.
MAX_EXPANDED_FIELDS: Final = 5_000
# In one selection set as execution merges it (fragments expanded, the sub-selections of
# same-name fields merged): how often one response name may be selected, and how many
# distinct fragments may be spread into it. graphql-core compares every pair of each.
MAX_FIELD_REPEATS: Final = 10
MAX_FRAGMENTS_PER_SELECTION: Final = 20
SIZE_ARGUMENTS: Final = ("first", "limit")
# A series longer than this is refused (ask for weeks, or a shorter window): the series' own
# limit, which the analysis keeps to too.
MAX_PERIODS: Final = SERIES_MAX_PERIODS
# The fields whose items are periods (their cost counts the periods of their window).
SERIES_FIELDS: Final = frozenset({"Page.series", "Query.siteSeries", "SearchQuery.series"})
# Lists without a size argument whose items are not periods or enum values, and the most
# items each returns (its resolver stops there, types.common.capped): what the cost counts.
LIST_BOUNDS: Final[Mapping[str, int]] = {
    "AnalysisRun.steps": 64,
    "Community.topPages": 10,
    "Page.misleadingFrom": 50,
    "WeakPage.misleadingFrom": 50,
    "Page.versions": 100,  # the latest
    "PageVersion.linkIds": MAX_PAGE_SIZE,
    "Path.segments": 100,
    "PathStats.byOutcome": 4,
    "ResolutionCurve.byMinutes": 1_000,
    "ResolutionCurve.byClicks": 1_000,
    "SuccessPath.pages": 100,
    "SuccessPath.pageIds": 100,
    "Query.segments": 20,  # keys, most paths first
    "SegmentKey.values": 100,  # most paths first
    "Page.bySegment": 101,  # the values with the most trials, and the paths without the key
    "WorkItem.reasons": 10,  # one per kind of finding at most
    "WorkEvidence.figures": 20,  # algorithms.work.queue.EVIDENCE_FIGURES
    "WorkEvidence.paths": 5,  # algorithms.work.queue.EXAMPLE_PATHS
    "WorkEvidence.queries": 10,  # algorithms.work.queue.EVIDENCE_QUERIES
    "Funnel.steps": 10,
}
# Lists a connection's `first` counts already.
CONNECTION_LISTS: Final = frozenset(
    f"{kind}Connection.{field}"
    for kind in ("Page", "Path", "Community", "Customer", "SearchQuery")
    for field in ("edges", "nodes")
)
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
