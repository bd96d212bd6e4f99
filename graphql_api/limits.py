"""Limits that keep abusive queries from reaching Neo4j.

Checked before anything executes, each failure a GraphQL error (never an HTTP 500):
- size: at most MAX_TOKENS tokens (the parser stops there) and MAX_ALIASES aliases;
- shape: fragments that expand to more than MAX_EXPANDED_FIELDS fields are refused before
  any other rule walks them (a few nested fragments spread twice each would otherwise make
  every depth/alias/cost walk exponential);
- depth: at most MAX_DEPTH nested selections (introspection fields excepted);
- page size: every `first`/`limit` argument (literal, variable or default) in 0..MAX_PAGE_SIZE;
- cost: the number of field resolutions the query can make, where a field inside a list of
  `first: n` (or `limit: n`) items counts n times, at most MAX_COST.
Resolvers check page sizes again (`page_size`), so a rule misconfiguration cannot open them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
    parse,
    specified_rules,
)
from graphql.pyutils import Undefined
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.schema import validate_document

from graphql_api.errors import ErrorCode, PublicErrors, user_error

MAX_DEPTH: Final = 10
MAX_TOKENS: Final = 2000
MAX_ALIASES: Final = 15
MAX_PAGE_SIZE: Final = 500
MAX_COST: Final = 50_000
MAX_EXPANDED_FIELDS: Final = 20_000
# A list field without `first`/`limit` (a path's pages, a community's top pages) is assumed
# to hold this many items; connection `edges`/`nodes` are already counted by `first`.
UNBOUNDED_LIST_ESTIMATE: Final = 10
SIZE_ARGUMENTS: Final = ("first", "limit")
MAX_BODY_BYTES: Final = 128 * 1024


def page_size(name: str, value: int | None, default: int) -> int:
    """A `first`/`limit` argument (`default` when null), or a GraphQL error when out of
    range."""
    if value is None:
        return default
    if not 0 <= value <= MAX_PAGE_SIZE:
        raise user_error(f"`{name}` must be between 0 and {MAX_PAGE_SIZE}, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class _Shape:
    """What a document's fragments look like, found without trusting them."""

    broken: bool = False  # unknown fragment or a cycle: leave it to the standard rules
    too_deep: bool = False  # nested beyond Python's recursion limit
    expanded_fields: int = 0


def document_shape(document: DocumentNode) -> _Shape:
    """Fields in `document` with every fragment spread expanded (memoised, so linear)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    sizes: dict[str, int] = {}
    active: set[str] = set()

    class _BrokenError(Exception):
        pass

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
        return _Shape(broken=True)
    except RecursionError:
        return _Shape(too_deep=True)
    return _Shape(expanded_fields=total)


def _error(message: str, code: ErrorCode, node: Any = None) -> GraphQLError:
    return GraphQLError(message, node, extensions={"code": code.value})


class _Cost:
    """Page sizes and the cost estimate of a document, with this request's variables."""

    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any]
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.errors: list[GraphQLError] = []
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                self._check(definition)

    def _check(self, operation: OperationDefinitionNode) -> None:
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return
        defaults = {
            v.variable.name.value: v.default_value for v in operation.variable_definitions or ()
        }
        cost = self._walk(operation.selection_set, root, 1, defaults)
        if cost > MAX_COST:
            name = operation.name.value if operation.name else "anonymous"
            self.errors.append(
                _error(
                    f"'{name}' is too costly: up to {cost} field resolutions, at most "
                    f"{MAX_COST} allowed (ask for fewer items per list)",
                    ErrorCode.QUERY_TOO_COMPLEX,
                    operation,
                )
            )

    def _walk(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType | None,
        multiplier: int,
        defaults: Mapping[str, Any],
    ) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += multiplier
                name = selection.name.value
                if name.startswith("__") or selection.selection_set is None:
                    continue
                if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
                    continue
                field = parent.fields.get(name)
                if field is None:
                    continue  # reported by the standard rules
                items = self._items(selection, field, defaults)
                total += self._walk(
                    selection.selection_set,
                    get_named_type(field.type),
                    multiplier * items,
                    defaults,
                )
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self._walk(selection.selection_set, target, multiplier, defaults)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    total += self._walk(fragment.selection_set, target, multiplier, defaults)
        return total

    def _items(self, node: FieldNode, field: GraphQLField, defaults: Mapping[str, Any]) -> int:
        """How many items this field's result holds (1 for a single object)."""
        for argument in SIZE_ARGUMENTS:
            if argument not in field.args:
                continue
            value = self._argument(node, argument, defaults)
            if value is Undefined or value is None:
                value = field.args[argument].default_value
            if not isinstance(value, int) or isinstance(value, bool):
                return 1  # a wrong type is reported when the variables are coerced
            if not 0 <= value <= MAX_PAGE_SIZE:
                self.errors.append(
                    _error(
                        f"`{argument}` on `{node.name.value}` must be between 0 and "
                        f"{MAX_PAGE_SIZE}, got {value}",
                        ErrorCode.BAD_USER_INPUT,
                        node,
                    )
                )
                return 1
            return value
        if node.name.value in {"edges", "nodes"} or not is_list_type(get_nullable_type(field.type)):
            return 1
        return UNBOUNDED_LIST_ESTIMATE

    def _argument(self, node: FieldNode, name: str, defaults: Mapping[str, Any]) -> Any:
        for argument in node.arguments or ():
            if argument.name.value != name:
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                variable = value.name.value
                if variable in self.variables:
                    return self.variables[variable]
                default = defaults.get(variable)
                if isinstance(default, IntValueNode):
                    return int(default.value)
            return None
        return Undefined


def cost_errors(
    schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any]
) -> list[GraphQLError]:
    """Page-size and cost errors of `document` (run on every request: they depend on the
    variables)."""
    return _Cost(schema, document, variables).errors


# Strawberry's depth and alias limiters, made once: their rules are then the same classes on
# every request, so what they find can be cached per query text with the standard rules.
_DEPTH = QueryDepthLimiter(max_depth=MAX_DEPTH)
_ALIASES = MaxAliasesLimiter(max_alias_count=MAX_ALIASES)
STATIC_RULES: Final[tuple[type[ASTValidationRule], ...]] = (
    *specified_rules,
    *_DEPTH.validation_rules,
    *_ALIASES.validation_rules,
)
_CACHE_SIZE: Final = 256
_static_cache: OrderedDict[str, list[GraphQLError]] = OrderedDict()


def _static_errors(schema: GraphQLSchema, document: DocumentNode) -> list[GraphQLError]:
    """Errors that depend on the document only: shape, standard rules, depth, aliases."""
    shape = document_shape(document)
    if shape.too_deep:
        message = f"the query is nested deeper than {MAX_DEPTH} levels"
        return [_error(message, ErrorCode.QUERY_TOO_COMPLEX)]
    if shape.expanded_fields > MAX_EXPANDED_FIELDS:
        message = f"the query expands to more than {MAX_EXPANDED_FIELDS} fields"
        return [_error(message, ErrorCode.QUERY_TOO_COMPLEX)]
    if shape.broken:
        # Unknown or cyclic fragments: only graphql-core's rules, which report them (the
        # depth and alias limiters assume well-formed fragments).
        return validate_document(schema, document, tuple(specified_rules))
    return validate_document(schema, document, STATIC_RULES)


def validation_errors(
    schema: GraphQLSchema,
    query: str | None,
    document: DocumentNode,
    variables: Mapping[str, Any],
) -> list[GraphQLError]:
    """All validation of one request; the document-only part is cached by query text."""
    static = _static_cache.get(query) if query is not None else None
    if static is None:
        static = _static_errors(schema, document)
        if query is not None:
            _static_cache[query] = static
            if len(_static_cache) > _CACHE_SIZE:
                _static_cache.popitem(last=False)
    elif query is not None:
        _static_cache.move_to_end(query)
    if static:
        return list(static)
    return cost_errors(schema, document, variables)


@lru_cache(maxsize=_CACHE_SIZE)
def parse_cached(query: str) -> DocumentNode:
    return parse(query, max_tokens=MAX_TOKENS)


class CachedParse(SchemaExtension):
    """Parses through an LRU cache keyed by query text. A failing parse is left to
    Strawberry, which parses again and reports the syntax error the usual way."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None and context.graphql_document is None:
            with suppress(GraphQLError):
                context.graphql_document = parse_cached(context.query)
        yield


class Validation(SchemaExtension):
    """Runs `validation_errors` in place of Strawberry's validation step."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            context.pre_execution_errors = validation_errors(
                context.schema._schema, context.query, document, context.variables or {}
            )
        yield


def extensions() -> list[Callable[[], SchemaExtension]]:
    """The schema's extensions, made fresh for every operation."""
    return [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        CachedParse,
        Validation,
        PublicErrors,
    ]
