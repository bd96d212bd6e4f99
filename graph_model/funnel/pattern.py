"""Page-id patterns of funnel steps: Python's `re.search` semantics, run by Cypher's `=~`.

A step's pattern is found anywhere in a page id, as Python's `re.search` finds it. Cypher's
`=~` matches the whole string with Java's regular expressions, whose syntax is close to
Python's but not the same. `to_cypher` translates a pattern written in the syntax the two
share into a Java pattern that matches exactly the ids `re.search` matches, and refuses
(PatternError) what the two do not share or mean differently.

What changes in translation (docs/analytics.md, "Funnels"):
- the pattern is wrapped as `(?s:.*)(?:pattern)(?s:.*)`: found anywhere;
- `.` becomes `[^\\n]` (Java's dot also stops at \\r, \\u0085, \\u2028 and \\u2029);
- `$` becomes `(?=\\n?\\z)` (Java's also stops before a final \\r or \\u2028);
- `\\d`, `\\w`, `\\s`, `\\b` keep Python's Unicode meaning (Java's are ASCII by default), and
  `\\B` does not match in an empty id, as in Python;
- `\\v` is the one character \\x0B (Java's is a class); `{,n}` is `{0,n}`; a `{` or `}` that
  Python reads as a literal is escaped (Java refuses it); in a class, `[` and `&` are
  literals (Java nests and intersects classes with them);
- `(?i)` and `(?i:...)` match case-insensitively over Unicode, as Python's do.
"""

from __future__ import annotations

import re
import string
from typing import Final

MAX_PATTERN_CHARS: Final = 500
MAX_REPEAT: Final = 1000

# Python's \s for str patterns, character by character (str.isspace), and its \w and \d.
_SPACE: Final = (
    "\\t\\n\\x0B\\f\\r\\x1C-\\x20\\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F"
    "\\u205F\\u3000"
)
_WORD: Final = "\\p{L}\\p{N}_"
_DIGIT: Final = "\\p{Nd}"
_BOUNDARY: Final = f"(?:(?<=[{_WORD}])(?![{_WORD}])|(?<![{_WORD}])(?=[{_WORD}]))"
# Python's \B never matches in an empty string; Java's does.
_NOT_BOUNDARY: Final = f"(?:(?!\\A\\z)(?:(?<=[{_WORD}])(?=[{_WORD}])|(?<![{_WORD}])(?![{_WORD}])))"

# Characters by escape, the same in and out of a class (Java's \v is a class of vertical
# whitespace, Python's the one character \x0B).
_CHARACTERS: Final = {"t": "\\t", "n": "\\n", "r": "\\r", "f": "\\f", "a": "\\x07", "v": "\\x0B"}
# Escapes outside a class, translated.
_ESCAPES: Final[dict[str, str]] = {
    "d": _DIGIT,
    "D": f"[^{_DIGIT}]",
    "w": f"[{_WORD}]",
    "W": f"[^{_WORD}]",
    "s": f"[{_SPACE}]",
    "S": f"[^{_SPACE}]",
    "b": _BOUNDARY,
    "B": _NOT_BOUNDARY,
    "A": "\\A",
    **_CHARACTERS,
}
# Inside a class: \b is a backspace there, and the negated classes have no place in Java's
# union without nesting.
_CLASS_ESCAPES: Final[dict[str, str]] = {
    "d": _DIGIT,
    "w": _WORD,
    "s": _SPACE,
    "b": "\\x08",
    **_CHARACTERS,
}
_REFUSED_ESCAPES: Final[dict[str, str]] = {
    "Z": "`\\Z` (use `$`)",
    "U": "`\\U` escapes (use `\\u` with four hex digits)",
    "N": "`\\N{...}` named characters",
}
_QUANTIFIER: Final = re.compile(r"\{(\d*)(,(\d*))?\}")
_HEX: Final = frozenset(string.hexdigits)


class PatternError(ValueError):
    """A pattern outside the syntax Python's and Java's regular expressions share."""


def to_cypher(pattern: str) -> str:
    """The Java pattern for Cypher's `=~` that matches exactly the page ids in which
    `re.search(pattern, id)` finds a match; PatternError for what it cannot translate."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise PatternError(f"a pattern has at most {MAX_PATTERN_CHARS} characters")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise PatternError(f"{pattern!r} is not a regular expression: {exc}") from None
    flags, body = "", pattern
    if body.startswith("(?i)"):
        flags, body = "(?iu)", body[4:]
    return f"{flags}(?s:.*)(?:{_Translation(body).text})(?s:.*)"


class _Translation:
    """One left-to-right pass over a pattern Python compiled (so its groups and classes are
    balanced and its escapes known to Python)."""

    def __init__(self, pattern: str) -> None:
        self.src = pattern
        self.i = 0
        self.out: list[str] = []
        self.quantified = False  # the last token was a quantifier (a `+` after it: possessive)
        while self.i < len(self.src):
            self._token()
        self.text = "".join(self.out)

    def _refuse(self, what: str) -> PatternError:
        return PatternError(
            f"{what} at position {self.i} of {self.src!r}: funnel patterns use the syntax "
            "Python and Java share (docs/analytics.md, Funnels)"
        )

    def _token(self) -> None:
        c = self.src[self.i]
        quantified = False
        if c == "\\":
            self.out.append(self._escape())
        elif c == "[":
            self.out.append(self._class())
        elif c == "(":
            self.out.append(self._group())
        elif c == ".":
            self.out.append("[^\\n]")
            self.i += 1
        elif c == "$":
            self.out.append("(?=\\n?\\z)")
            self.i += 1
        elif c == "{":
            quantified = self._brace()
        elif c == "}":
            self.out.append("\\}")
            self.i += 1
        elif c in "*+?":
            if c == "+" and self.quantified:
                raise self._refuse("a possessive quantifier")
            if c == "?" and self.quantified:  # lazy: still the same quantifier
                self.out.append(c)
                self.i += 1
                self.quantified = False
                return
            quantified = True
            self.out.append(c)
            self.i += 1
        else:
            self.out.append(c)
            self.i += 1
        self.quantified = quantified

    def _escape(self) -> str:
        src, i = self.src, self.i
        c = src[i + 1]
        self.i += 2
        if c in _REFUSED_ESCAPES:
            raise self._refuse(_REFUSED_ESCAPES[c])
        if c.isdigit():
            if c == "0" or (self.i < len(src) and src[self.i].isdigit()):
                raise self._refuse("an octal or multi-digit escape (use \\xhh)")
            return f"\\{c}"  # a back reference to groups 1-9: the same in both
        if c in _ESCAPES:
            return _ESCAPES[c]
        return self._plain_escape(c)

    def _plain_escape(self, c: str) -> str:
        """\\xhh, \\uhhhh, or an escaped character that is not a letter or digit."""
        src = self.src
        if c in "xu":
            width = 2 if c == "x" else 4
            digits = src[self.i : self.i + width]
            self.i += width
            if c == "u" and 0xD800 <= int(digits, 16) <= 0xDFFF:
                raise self._refuse("a surrogate escape")
            return f"\\{c}{digits}"
        if c.isascii() and c.isalnum():
            raise self._refuse(f"the escape \\{c}")
        if not c.isascii():  # Java refuses a backslash before a non-ASCII letter
            return c
        return f"\\{c}"

    def _group(self) -> str:
        src, i = self.src, self.i
        if not src.startswith("(?", i):
            self.i += 1
            return "("
        for opening in ("(?:", "(?=", "(?!", "(?<=", "(?<!"):
            if src.startswith(opening, i):
                self.i += len(opening)
                return opening
        if src.startswith("(?i:", i):
            self.i += 4
            return "(?iu:"
        if src.startswith("(?P", i) or src.startswith("(?<", i):
            raise self._refuse("a named group (use a plain group)")
        if src.startswith("(?#", i):
            raise self._refuse("a comment group")
        if src.startswith("(?(", i):
            raise self._refuse("a conditional group")
        if src.startswith("(?>", i):
            raise self._refuse("an atomic group")
        raise self._refuse("an inline flag other than a leading (?i) or (?i:...)")

    def _brace(self) -> bool:
        """A quantifier as Python reads it ({m}, {m,}, {,n}, {m,n}, {,}), or a literal."""
        found = _QUANTIFIER.match(self.src, self.i)
        if found is None or found.group(0) == "{}":
            self.out.append("\\{")
            self.i += 1
            return False
        low, comma, high = found.group(1), found.group(2), found.group(3)
        if max(int(low or 0), int(high or 0)) > MAX_REPEAT:
            raise self._refuse(f"a repetition above {MAX_REPEAT}")
        self.i = found.end()
        if comma is None:
            self.out.append(f"{{{low}}}")
        else:
            self.out.append(f"{{{low or 0},{high}}}")
        return True

    def _class(self) -> str:
        src = self.src
        out = ["["]
        self.i += 1
        if src.startswith("^", self.i):
            out.append("^")
            self.i += 1
        if src.startswith("]", self.i):  # a leading ] is a literal in Python
            out.append("\\]")
            self.i += 1
        while src[self.i] != "]":
            c = src[self.i]
            if c == "\\":
                out.append(self._class_escape())
                continue
            out.append("\\" + c if c in "[&" else c)
            self.i += 1
        self.i += 1
        out.append("]")
        return "".join(out)

    def _class_escape(self) -> str:
        src = self.src
        c = src[self.i + 1]
        if c in _CLASS_ESCAPES:
            self.i += 2
            return _CLASS_ESCAPES[c]
        if c.isdigit():
            raise self._refuse("an octal escape in a class (use \\xhh)")
        if c in "DWS":
            raise self._refuse(f"\\{c} inside a class (write the class out)")
        if c in _REFUSED_ESCAPES:
            raise self._refuse(_REFUSED_ESCAPES[c])
        self.i += 2
        return self._plain_escape(c)
