"""Help that reads as sentences: what typer renders from our commands, made plain.

typer shows each option's Python type (`<bool>` beside a flag, `<list[str]>`, `<float
range> [x>=0]`) and keeps the line breaks of a docstring, which cut its sentences in the
middle on a wider or narrower terminal. Here every command's text is one paragraph per
paragraph, every option's help a sentence ending in a period with its range in words, and
its value a name (SECONDS, INTEGER, TEXT, FILE, the choices); a flag shows none.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any, Final

# typer carries its own copy of click, and describes each parameter's Python type itself
# (`type_descriptor`): those are what is read here.
_NAMES: Final[dict[object, str]] = {int: "INTEGER", float: "NUMBER", str: "TEXT", bool: "BOOLEAN"}
_PARAGRAPH_BREAK: Final = re.compile(r"\n\s*\n")


def readable(command: Any) -> None:
    """Rewrite `command`'s help and its options' (and every subcommand's) in place."""
    if command.help:
        command.help = paragraphs(command.help)
    for param in command.params:
        if param.param_type_name == "option":
            _option(param)
        else:
            _argument(param)
    help_option = command.get_help_option

    def plain_help_option(ctx: Any) -> Any:
        option = help_option(ctx)
        if option is not None:
            option.metavar = ""  # a flag: no value to name
        return option

    command.get_help_option = plain_help_option
    for sub in getattr(command, "commands", {}).values():
        readable(sub)


def paragraphs(text: str) -> str:
    """Each paragraph on one line (the help formatter wraps it to the terminal)."""
    parts = _PARAGRAPH_BREAK.split(text.strip())
    return "\n\n".join(" ".join(part.split()) for part in parts)


def sentence(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def _option(option: Any) -> None:
    help_text = sentence(option.help or "")
    bounds = _range(getattr(option, "min", None), getattr(option, "max", None))
    if bounds:
        help_text = f"{help_text.removesuffix('.')} ({bounds})."
        option.min = option.max = None  # typer adds it again in its notation ([x>=0])
    option.help = help_text
    if option.is_flag:
        option.metavar = ""
    elif option.metavar is None:
        option.metavar = _value_name(option)


def _argument(argument: Any) -> None:
    """Its name says what it is (FILE, CUSTOMER_ID): no type beside it, no braces."""
    name = argument.metavar or str(argument.name or "value").upper()
    if argument.nargs != 1 and not name.endswith("..."):
        name += "..."
    argument.help = sentence(argument.help or "")
    argument.metavar = name
    argument.display_type_rich = lambda ctx: None
    argument._usage_display_name = lambda: name if argument.required else f"[{name}]"


def _value_name(param: Any) -> str:
    described = getattr(param, "type_descriptor", None)
    if described is None:
        return str(param.name or "value").upper()
    if described.choices:
        return "|".join(str(getattr(c, "value", c)) for c in described.choices)
    annotation = described.annotation
    if described.is_list:
        annotation = typing.get_args(annotation)[0]
    if annotation is Path:
        return "FILE"
    return _NAMES.get(annotation, str(param.name or "value").upper())


def _range(low: float | None, high: float | None) -> str:
    """The bounds of a number option, in words ("" when it has none)."""
    if low is not None and high is not None:
        return f"{_number(low)} to {_number(high)}"
    if low is not None:
        return f"at least {_number(low)}"
    return "" if high is None else f"at most {_number(high)}"


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else f"{value:,}"
