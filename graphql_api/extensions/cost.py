"""Page sizes and the cost of a query, with this request's variables.

Cost = the number of field resolutions the query can make: every field occurrence counts
(repeats included), and a field inside a list counts once per item the list can hold: its
`first` or `limit`, the periods of a series, the values of an enum, or the bound its
resolver keeps to (limits.LIST_BOUNDS). A series without `from` or `until` spans the
graph's paths: the first and the last start are read (one indexed statement) only when a
query asks for such a series. Checked after the document-only validation passed (it
depends on the variables, so it is never cached) and before anything executes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    EnumValueNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
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
    StringValueNode,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)
from graphql.pyutils import Undefined
from strawberry.extensions import SchemaExtension

from graph_model.timewindow import Interval, parse_moment
from graphql_api.errors import ErrorCode
from graphql_api.limits import (
    CONNECTION_LISTS,
    LIST_BOUNDS,
    MAX_COST,
    MAX_PAGE_SIZE,
    MAX_PERIODS,
    SERIES_FIELDS,
    SIZE_ARGUMENTS,
)

# The first and the last start of any path (epoch ms), or None: there are none.
Span = tuple[int, int] | None


def _error(message: str, code: ErrorCode, node: Any = None) -> GraphQLError:
    return GraphQLError(message, node, extensions={"code": code.value})


class _Cost:
    """Page sizes and the cost estimate of a document, with this request's variables and the
    span of the graph's paths (`needs_span`: a series asked for it, and it was not given)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: Mapping[str, Any],
        span: Span = None,
        *,
        span_known: bool = False,
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.span = span
        self.span_known = span_known
        self.needs_span = False
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
                    f"{MAX_COST} allowed (ask for fewer items per list, or shorter series)",
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
                total += self._field(selection, parent, multiplier, defaults)
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

    def _field(
        self,
        node: FieldNode,
        parent: GraphQLNamedType | None,
        multiplier: int,
        defaults: Mapping[str, Any],
    ) -> int:
        name = node.name.value
        if name.startswith("__") or not isinstance(
            parent, GraphQLObjectType | GraphQLInterfaceType
        ):
            return multiplier
        field = parent.fields.get(name)
        if field is None:
            return multiplier  # reported by the standard rules
        items = self._items(node, field, f"{parent.name}.{name}", defaults)
        if node.selection_set is None:  # a leaf: each item of a list is completed
            return multiplier * max(items, 1)
        inner = self._walk(
            node.selection_set, get_named_type(field.type), multiplier * items, defaults
        )
        return multiplier + inner

    def _items(
        self, node: FieldNode, field: GraphQLField, where: str, defaults: Mapping[str, Any]
    ) -> int:
        """How many items this field's result holds at most (1 for a single object)."""
        for argument in SIZE_ARGUMENTS:
            if argument in field.args:
                return self._size(node, field, argument, defaults)
        if where in SERIES_FIELDS:
            return self._periods(node, defaults)
        if where in LIST_BOUNDS:
            return LIST_BOUNDS[where]
        if where in CONNECTION_LISTS or not is_list_type(get_nullable_type(field.type)):
            return 1  # a connection's edges and nodes are counted by its `first`
        item = get_named_type(field.type)
        if isinstance(item, GraphQLEnumType):
            return len(item.values)
        return MAX_PAGE_SIZE  # a list nobody bounded: a unit test says which

    def _size(
        self, node: FieldNode, field: GraphQLField, argument: str, defaults: Mapping[str, Any]
    ) -> int:
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

    def _periods(self, node: FieldNode, defaults: Mapping[str, Any]) -> int:
        """The periods a series can hold: of its window, or of the graph's paths where the
        window is open (at most MAX_PERIODS: a longer series is refused when it runs)."""
        interval = self._argument(node, "interval", defaults)
        step = Interval.DAY if interval == Interval.DAY.name else Interval.WEEK
        since = _moment(self._argument(node, "from", defaults))
        until = _moment(self._argument(node, "until", defaults))
        if since is None or until is None:
            if not self.span_known:  # not read yet: the caller reads it and walks again
                self.needs_span = True
                return MAX_PERIODS
            if self.span is None:  # no path: an open window has no period
                return 0
            first, last = self.span
            since = first if since is None else since
            until = last + 1 if until is None else until
        if until <= since:
            return 0
        periods = (step.start_of(until - 1) - step.start_of(since)) // step.ms + 1
        return min(periods, MAX_PERIODS)

    def _argument(self, node: FieldNode, name: str, defaults: Mapping[str, Any]) -> Any:
        for argument in node.arguments or ():
            if argument.name.value == name:
                return self._value(argument.value, defaults)
        return Undefined

    def _value(self, value: ValueNode, defaults: Mapping[str, Any]) -> Any:
        if isinstance(value, VariableNode):
            variable = value.name.value
            if variable in self.variables:
                return self.variables[variable]
            default = defaults.get(variable)
            return None if default is None else self._value(default, {})
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, StringValueNode | EnumValueNode):
            return value.value
        return None


def _moment(value: object) -> int | None:
    """A DateTime argument as epoch ms; None when absent or not one (then reported when the
    variables are coerced)."""
    if not isinstance(value, str):
        return None
    try:
        return parse_moment(value)
    except ValueError:
        return None


def cost_errors(
    schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any], span: Span
) -> list[GraphQLError]:
    """Page-size and cost errors of `document`, with the span of the graph's paths (run on
    every request: they depend on the variables and the data)."""
    return _Cost(schema, document, variables, span, span_known=True).errors


class CostLimiter(SchemaExtension):
    """Runs after the cached validation (placed after ValidationCache), only when it found
    nothing: its errors then stand in for validation's."""

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors == []:
            schema = context.schema._schema
            variables = context.variables or {}
            cost = _Cost(schema, document, variables)
            if cost.needs_span:
                graph: Any = getattr(context.context, "graph", None)
                span = await graph.series.span() if graph is not None else None
                cost = _Cost(schema, document, variables, span, span_known=True)
            if cost.errors:
                context.pre_execution_errors = cost.errors
        yield
