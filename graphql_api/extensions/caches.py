"""Strawberry's parser and validation caches, adjusted to the other limits.

- A document that fails to parse (a syntax error, the token limit) is left to Strawberry's
  own parse, which reports it as a normal GraphQL error inside the operation: an error
  raised from the cache's hook would skip the error masking and codes of PublicErrors.
- Validation is skipped when an earlier extension already refused the document (the
  document-shape check), so nothing walks a document that was judged too big to walk.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress

from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache


class ParsedOnce(ParserCache):
    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield


class ValidatedOnce(ValidationCache):
    def on_validate(self) -> Iterator[None]:
        if self.execution_context.pre_execution_errors is not None:
            yield
            return
        yield from super().on_validate()
