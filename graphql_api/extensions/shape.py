"""Refuses documents too big or too repetitive to validate, before anything walks them.

Measured right after parsing, in time linear in what execution would walk:

- fragments: a few nested fragments spread twice each make every later walk (validation,
  depth, cost) exponential, so each fragment's size is memoised;
- repeats: graphql-core's OverlappingFieldsCanBeMerged compares every pair of fields with
  the same response name in a selection set (fragments merged in), and every pair of
  fragments spread into it. `{ pathStats { completed } pathStats { completed } ... }` 400
  times is ~1,600 tokens and took it ~0.8 s of CPU; so fields of one name, and distinct
  fragments, per selection set are capped (counted as execution merges them: fragments
  expanded, same-name fields' sub-selections merged).

A document with unknown or cyclic fragments is invalid whatever else it holds: only the two
linear rules that report those run on it (the depth and alias limiters, and the merging of
fragments above, assume well-formed fragments).
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
    KnownFragmentNamesRule,
    NoFragmentCyclesRule,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension

from graphql_api.errors import ErrorCode
from graphql_api.limits import (
    MAX_DEPTH,
    MAX_EXPANDED_FIELDS,
    MAX_FIELD_REPEATS,
    MAX_FRAGMENTS_PER_SELECTION,
)


@dataclass(frozen=True, slots=True)
class Shape:
    """What a document looks like once its fragments are expanded, found without trusting
    them."""

    broken: bool = False  # unknown fragment or a cycle
    too_deep: bool = False  # nested beyond Python's recursion limit
    expanded_fields: int = 0  # field selections, every fragment spread expanded
    # The response name selected most often in one (merged) selection set, and how often.
    repeated_field: str = ""
    repeats: int = 0
    # The most distinct fragments spread into one (merged) selection set.
    fragments_per_selection: int = 0


class _BrokenError(Exception):
    pass


def document_shape(document: DocumentNode) -> Shape:
    """The document's size with fragments expanded (memoised, so linear) and, when that is
    within MAX_EXPANDED_FIELDS, its repeats per merged selection set.

    Fragment definitions are measured as well as operations: validation walks every one,
    used or not."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    roots = [
        d.selection_set
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode | FragmentDefinitionNode)
    ]
    try:
        total = _expanded_size(roots, fragments)
        if total > MAX_EXPANDED_FIELDS:
            return Shape(expanded_fields=total)
        repeats = _Repeats(fragments)
        for root in roots:
            repeats.visit([root])
    except _BrokenError:
        return Shape(broken=True)
    except RecursionError:
        return Shape(too_deep=True)
    return Shape(
        expanded_fields=total,
        repeated_field=repeats.field,
        repeats=repeats.count,
        fragments_per_selection=repeats.fragments,
    )


def _expanded_size(
    roots: list[SelectionSetNode], fragments: dict[str, FragmentDefinitionNode]
) -> int:
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

    total = 0
    for root in roots:
        total += size(root)
        if total > MAX_EXPANDED_FIELDS:
            break
    return total


class _Repeats:
    """Walks the selection sets as execution merges them (fields grouped by response name,
    fragments expanded once per set), keeping the worst repeat counts. It runs only on
    well-formed documents within MAX_EXPANDED_FIELDS, so it visits at most that many
    fields."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.definitions = fragments
        self.field = ""
        self.count = 0
        self.fragments = 0

    def visit(self, selection_sets: list[SelectionSetNode]) -> None:
        counts: dict[str, int] = {}
        children: dict[str, list[SelectionSetNode]] = {}
        spread: set[str] = set()
        pending = list(reversed(selection_sets))
        while pending:
            for selection in pending.pop().selections:
                if isinstance(selection, FieldNode):
                    key = (selection.alias or selection.name).value
                    counts[key] = counts.get(key, 0) + 1
                    if selection.selection_set is not None:
                        children.setdefault(key, []).append(selection.selection_set)
                elif isinstance(selection, InlineFragmentNode):
                    pending.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    if name not in spread:
                        spread.add(name)
                        pending.append(self.definitions[name].selection_set)
        for key, count in counts.items():
            if count > self.count:
                self.field, self.count = key, count
        self.fragments = max(self.fragments, len(spread))
        for sets in children.values():
            self.visit(sets)


def shape_errors(shape: Shape) -> list[GraphQLError]:
    """The refusals a document's shape calls for (empty: let validation run)."""
    if shape.too_deep:
        return [_refused(f"the query is nested deeper than {MAX_DEPTH} levels")]
    if shape.expanded_fields > MAX_EXPANDED_FIELDS:
        return [_refused(f"the query expands to more than {MAX_EXPANDED_FIELDS} fields")]
    if shape.repeats > MAX_FIELD_REPEATS:
        return [
            _refused(
                f"`{shape.repeated_field}` is selected {shape.repeats} times in one selection "
                f"set, at most {MAX_FIELD_REPEATS} allowed (select a field once, or use aliases)"
            )
        ]
    if shape.fragments_per_selection > MAX_FRAGMENTS_PER_SELECTION:
        return [
            _refused(
                f"{shape.fragments_per_selection} fragments are spread into one selection set, "
                f"at most {MAX_FRAGMENTS_PER_SELECTION} allowed"
            )
        ]
    return []


class DocumentShapeLimiter(SchemaExtension):
    """Its refusal stands in for validation's errors (see extensions/caches.py)."""

    def on_parse(self) -> Iterator[None]:
        yield
        context = self.execution_context
        document = context.graphql_document
        if document is None:
            return
        shape = document_shape(document)
        if shape.broken:
            context.validation_rules = (KnownFragmentNamesRule, NoFragmentCyclesRule)
            return
        errors = shape_errors(shape)
        if errors:
            context.pre_execution_errors = errors


def _refused(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": ErrorCode.QUERY_TOO_COMPLEX.value})
