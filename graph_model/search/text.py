"""A search query's text as the graph stores it (docs/sources.md, "Search queries").

Normalised first: Unicode NFKC, case-folded, whitespace runs collapsed to one space,
characters of the Unicode categories P (punctuation) and S (symbols) stripped from both
ends (a redaction token at an end stays). Then redacted: e-mail addresses become
`<email>`, runs of 6 or more digits `<number>`, and the matches of each configured
expression (PATHRANK_QUERY_REDACT) `<redacted>`. Redaction sees the normalised text, so
one expression covers every spelling a customer may type (case, width, spacing). Nothing
else of a query is ever stored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

MAX_QUERY_CHARS: Final = 500  # before normalisation
EMAIL: Final = re.compile(r"[^\s@]+@[^\s@]+")
NUMBER: Final = re.compile(r"\d{6,}")  # any script's decimal digits
EMAIL_TOKEN: Final = "<email>"
NUMBER_TOKEN: Final = "<number>"
REDACTED_TOKEN: Final = "<redacted>"
_TOKENS: Final = (EMAIL_TOKEN, NUMBER_TOKEN, REDACTED_TOKEN)
# Lone UTF-16 surrogates (not Unicode text) and control characters: spaces, then collapsed.
_NOT_TEXT: Final = re.compile(r"[\ud800-\udfff\x00-\x1f\x7f-\x9f]")


class QueryRedactionError(ValueError):
    """A PATHRANK_QUERY_REDACT expression that does not compile; the message says which."""


def normalise(raw: str) -> str:
    """NFKC, case-folded, whitespace collapsed, P and S characters stripped at both ends,
    but for a redaction token there: stored text normalises to itself, so a query that
    travels on as our event (the collector's, `produce`'s) is stored as it was."""
    text = unicodedata.normalize("NFKC", _NOT_TEXT.sub(" ", raw)).casefold()
    text = " ".join(text.split())
    start, end = 0, len(text)
    while start < end and _trimmed(text[start]) and not text.startswith(_TOKENS, start):
        start += 1
    while end > start and _trimmed(text[end - 1]) and not text.endswith(_TOKENS, start, end):
        end -= 1
    return text[start:end]


def _trimmed(char: str) -> bool:
    return char.isspace() or unicodedata.category(char)[0] in "PS"


@dataclass(frozen=True, slots=True)
class QueryText:
    """How raw query text becomes the stored text: the built-in redactions plus `redact`."""

    redact: tuple[re.Pattern[str], ...] = ()

    @staticmethod
    def of(expressions: Sequence[str]) -> QueryText:
        compiled = []
        for n, expression in enumerate(expressions, 1):
            try:
                compiled.append(re.compile(expression))
            except re.error as exc:
                raise QueryRedactionError(
                    f"PATHRANK_QUERY_REDACT: expression {n} ({expression[:60]!r}) is not a "
                    f"regular expression: {exc}"
                ) from None
        return QueryText(tuple(compiled))

    def stored(self, raw: str) -> str:
        """The text the graph keeps of a query ("" when nothing is left of it)."""
        return self.redacted(normalise(raw))

    def redacted(self, text: str) -> str:
        """Redactions applied to normalised text."""
        text = EMAIL.sub(EMAIL_TOKEN, text)
        text = NUMBER.sub(NUMBER_TOKEN, text)
        for pattern in self.redact:
            text = pattern.sub(REDACTED_TOKEN, text)
        return text
