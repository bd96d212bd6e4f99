"""Records as Neo4j properties: one dataclass field is one property, named in camelCase.

A record class is the single place where a stored figure is declared. From its fields this
module derives the property names, the Cypher map projection that reads them, the mapper from
a returned map back to the record, and the property map a write sets. Missing properties
read as the field's default (a page not analysed yet has 0 visits and no success
probability), so adding a figure to a record changes no Cypher by hand.

Supported field types: int, float, bool, str, enums (stored as their value), their `| None`
forms, tuples of str, int, float or an enum (stored as lists), and fields annotated with `JSON`
(any JSON value, stored as a string: Neo4j has no map properties).
"""

from __future__ import annotations

import dataclasses
import enum
import math
import types
import typing
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Final, TypeVar, get_args, get_origin

import orjson

R = TypeVar("R")


class _JsonMarker:
    """Marks a field stored as a JSON string (see `Json`)."""


# Field marker: `steps: Annotated[dict[str, float], JSON]` is stored as one JSON string.
JSON: Final = _JsonMarker()


def camel(name: str) -> str:
    """snake_case field name -> camelCase property name."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclasses.dataclass(frozen=True, slots=True)
class _Column:
    field: str
    prop: str
    read: Callable[[Any], Any]
    write: Callable[[Any], Any]


@dataclasses.dataclass(frozen=True, slots=True)
class RecordProperties:
    """How one record class maps to properties (made once per class)."""

    columns: tuple[_Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.prop for c in self.columns)

    def projection(self, skip: frozenset[str] = frozenset(), source: str | None = None) -> str:
        """A Cypher map projection of the properties (but the `skip` fields), e.g.
        `{.id, .visits}`; with a `source` variable, its properties: `{id: f.id, ...}`."""
        names = [c.prop for c in self.columns if c.field not in skip]
        entries = (f"{name}: {source}.{name}" if source else f".{name}" for name in names)
        return "{" + ", ".join(entries) + "}"

    def prop(self, field: str) -> str:
        for column in self.columns:
            if column.field == field:
                return column.prop
        raise KeyError(field)


_KNOWN: dict[type[Any], RecordProperties] = {}


def properties_of(cls: type[Any]) -> RecordProperties:
    """Made once per record class, then looked up."""
    known = _KNOWN.get(cls)
    if known is None:
        known = _KNOWN[cls] = _properties(cls)
    return known


def _properties(cls: type[Any]) -> RecordProperties:
    hints = typing.get_type_hints(cls, include_extras=True)
    columns = []
    for f in dataclasses.fields(cls):
        read, write = _converters(hints[f.name], _default(f))
        columns.append(_Column(f.name, camel(f.name), read, write))
    return RecordProperties(tuple(columns))


def from_properties(cls: type[R], props: Mapping[str, Any]) -> R:
    """The record held by `props` (a Neo4j map projection); absent properties read as the
    field's default."""
    values = {c.field: c.read(props.get(c.prop)) for c in properties_of(cls).columns}
    return cls(**values)


def to_properties(record: object, *, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The property map of `record` (None values included: SET p += map removes them)."""
    return {
        c.prop: c.write(getattr(record, c.field))
        for c in properties_of(type(record)).columns
        if c.field not in skip
    }


_MISSING: Final = object()


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return _MISSING


def _converters(hint: Any, default: Any) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    if get_origin(hint) is Annotated:
        if any(isinstance(a, _JsonMarker) for a in get_args(hint)[1:]):
            return _json_reader(default), _json_writer
        hint = get_args(hint)[0]
    optional = False
    if get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        optional = len(args) < len(get_args(hint))
        hint = args[0] if len(args) == 1 else hint
    base = _BASE.get(hint)
    if base is None and isinstance(hint, type) and issubclass(hint, enum.Enum):
        base = hint
    if base is None and get_origin(hint) is tuple:
        item = get_args(hint)[0]
        if isinstance(item, type) and issubclass(item, enum.Enum):
            base = _members(item)
        elif item in (str, int, float):
            base = _items(item)
    if base is None:
        raise TypeError(f"unsupported record field type {hint!r}")
    fallback = None if optional else default

    def read(value: Any) -> Any:
        if value is None:
            if fallback is _MISSING:
                raise ValueError("a required property is missing")
            return fallback
        converted = base(value)
        return fallback if converted is None else converted

    return read, _writer(hint)


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _items(kind: type[Any]) -> Callable[[Any], tuple[Any, ...]]:
    return lambda value: tuple(kind(v) for v in value)


def _members(kind: type[enum.Enum]) -> Callable[[Any], tuple[Any, ...]]:
    """A list of enum values; values this version does not know are left out."""
    known = kind._value2member_map_

    def read(value: Any) -> tuple[Any, ...]:
        return tuple(known[v] for v in value if v in known)

    return read


_BASE: Final[dict[Any, Callable[[Any], Any]]] = {
    int: int,
    float: _finite,
    bool: bool,
    str: str,
}


def _writer(hint: Any) -> Callable[[Any], Any]:
    if get_origin(hint) is tuple:
        return lambda v: None if v is None else [_plain(x) for x in v]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _plain
    if hint is float:
        return lambda v: None if v is None or not math.isfinite(v) else float(v)
    return lambda v: v


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _json_reader(default: Any) -> Callable[[Any], Any]:
    def read(value: Any) -> Any:
        if value is None:
            return None if default is _MISSING else default
        try:
            return orjson.loads(value) if isinstance(value, str | bytes) else value
        except orjson.JSONDecodeError:
            return None if default is _MISSING else default

    return read


def _json_writer(value: Any) -> Any:
    return None if value is None else orjson.dumps(value).decode()
