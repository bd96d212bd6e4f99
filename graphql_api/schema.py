"""The GraphQL schema: each aggregate's query fields merged into one Query (docs/api.md).

Every read goes through the request's DataLoaders or the graph's reads; list sizes are
checked (`limits.page_size`); unknown ids resolve to null.
"""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from graph_model.errors import GraphUnavailableError, QueryTimeoutError
from graphql_api.extensions import schema_extensions
from graphql_api.extensions.masking import is_unexpected
from graphql_api.types.alert import AlertQuery
from graphql_api.types.assist import AssistQuery, Subscription
from graphql_api.types.change import ChangeQuery
from graphql_api.types.community import CommunityQuery
from graphql_api.types.customer import CustomerQuery
from graphql_api.types.forget import ForgetMutation
from graphql_api.types.funnel import FunnelQuery
from graphql_api.types.link import LinkQuery
from graphql_api.types.page import PageQuery
from graphql_api.types.path import PathQuery
from graphql_api.types.resolution import ResolutionQuery
from graphql_api.types.run import RunMutation, RunQuery
from graphql_api.types.search import SearchQueries
from graphql_api.types.segment import SegmentQuery
from graphql_api.types.series import SeriesQuery
from graphql_api.types.suggestion import SuggestionQuery
from graphql_api.types.work import WorkMutation, WorkQuery

_log = logging.getLogger(__name__)

Query = merge_types(
    "Query",
    (
        PageQuery,
        PathQuery,
        CustomerQuery,
        CommunityQuery,
        SuggestionQuery,
        RunQuery,
        LinkQuery,
        ResolutionQuery,
        SeriesQuery,
        ChangeQuery,
        SegmentQuery,
        AssistQuery,
        FunnelQuery,
        SearchQueries,
        WorkQuery,
        AlertQuery,
    ),
)

Mutation = merge_types("Mutation", (RunMutation, ForgetMutation, WorkMutation))


class PathRankSchema(strawberry.Schema):
    """Logs unexpected errors with their traceback (Strawberry's default), known outages as
    one warning line, and the client's own mistakes (syntax, validation, bad input, foreign
    cursors) only at debug level: an abusive client must not be able to flood the log."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        unexpected = [e for e in errors if is_unexpected(e)]
        for error in errors:
            if is_unexpected(error):
                continue
            if isinstance(error.original_error, GraphUnavailableError | QueryTimeoutError):
                _log.warning("graph read failed: %s", error.original_error)
            else:
                _log.debug("client error: %s", error.message)
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema() -> strawberry.Schema:
    return PathRankSchema(
        query=Query, mutation=Mutation, subscription=Subscription, extensions=schema_extensions()
    )


schema = build_schema()
