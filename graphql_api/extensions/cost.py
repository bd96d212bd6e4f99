"""Page sizes and the cost of a query, with this request's variables.

Cost = the number of field resolutions the query can make: every field occurrence counts
(repeats included), and a field inside a list of `first: n` (or `limit: n`) items counts n
times. Checked after the document-only validation passed (it depends on the variables, so it
is never cached) and before anything executes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
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
)
from graphql.pyutils import Undefined
from strawberry.extensions import SchemaExtension

from graphql_api.errors import ErrorCode
from graphql_api.limits import MAX_COST, MAX_PAGE_SIZE, SIZE_ARGUMENTS, UNBOUNDED_LIST_ESTIMATE


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


class CostLimiter(SchemaExtension):
    """Runs after the cached validation (placed after ValidationCache), only when it found
    nothing: its errors then stand in for validation's."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors == []:
            errors = cost_errors(context.schema._schema, document, context.variables or {})
            if errors:
                context.pre_execution_errors = errors
        yield
