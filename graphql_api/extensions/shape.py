"""Refuses documents whose fragments expand into too many fields, before anything walks them.

A few nested fragments spread twice each make every later walk (validation, depth, cost)
exponential, so the document is measured right after parsing, with each fragment's size
memoised (linear). A document with unknown or cyclic fragments is left to graphql-core's own
rules, which report them; the depth and alias limiters assume well-formed fragments.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    specified_rules,
)
from strawberry.extensions import SchemaExtension

from graphql_api.errors import ErrorCode
from graphql_api.limits import MAX_DEPTH, MAX_EXPANDED_FIELDS


@dataclass(frozen=True, slots=True)
class Shape:
    """What a document's fragments look like, found without trusting them."""

    broken: bool = False  # unknown fragment or a cycle
    too_deep: bool = False  # nested beyond Python's recursion limit
    expanded_fields: int = 0


class _BrokenError(Exception):
    pass


def document_shape(document: DocumentNode) -> Shape:
    """Fields in `document` with every fragment spread expanded (memoised, so linear)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    sizes: dict[str, int] = {}
    active: set[str] = set()

    def size(selection_set: SelectionSetNode | None) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += 1 + size(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                total += size(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total += fragment(selection.name.value)
            if total > MAX_EXPANDED_FIELDS:
                return total  # big enough to refuse; stop counting
        return total

    def fragment(name: str) -> int:
        if name in sizes:
            return sizes[name]
        if name not in fragments or name in active:
            raise _BrokenError
        active.add(name)
        sizes[name] = size(fragments[name].selection_set)
        active.discard(name)
        return sizes[name]

    try:
        total = sum(
            size(d.selection_set)
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
        )
    except _BrokenError:
        return Shape(broken=True)
    except RecursionError:
        return Shape(too_deep=True)
    return Shape(expanded_fields=total)


class DocumentShapeLimiter(SchemaExtension):
    """Its refusal stands in for validation's errors (see extensions/caches.py)."""

    def on_parse(self) -> Iterator[None]:
        yield
        context = self.execution_context
        document = context.graphql_document
        if document is None:
            return
        shape = document_shape(document)
        if shape.too_deep:
            context.pre_execution_errors = [
                _refused(f"the query is nested deeper than {MAX_DEPTH} levels")
            ]
        elif shape.expanded_fields > MAX_EXPANDED_FIELDS:
            context.pre_execution_errors = [
                _refused(f"the query expands to more than {MAX_EXPANDED_FIELDS} fields")
            ]
        elif shape.broken:
            context.validation_rules = tuple(specified_rules)


def _refused(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": ErrorCode.QUERY_TOO_COMPLEX.value})
