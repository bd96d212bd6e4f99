"""Page rules: URLs to page ids (docs/sources.md "Page rules").

An ordered list of regular expressions, each with a page id template, `exclude = true`, or
`search = PARAMETER` (a search-results URL: its page is the search page and the query is
that query-string parameter's value), read from a small TOML file. The rules see the URL's
path (query string and fragment dropped); the first that matches wins; a URL no rule
matches gets the default rule, its path without a trailing slash. An excluded URL is
skipped and counted, never an error.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import parse_qsl, urlsplit

_TEMPLATE_PART: Final = re.compile(r"\$(?:(\d+)|\{(\w+)\}|(\$))")
_RULE_KEYS: Final = frozenset({"match", "page", "exclude", "search"})
DEFAULT_SEARCH_PAGE: Final = "search"


class PageRulesError(ValueError):
    """A page rules file that cannot be used; the message says where and why."""


@dataclass(frozen=True, slots=True)
class PageRule:
    pattern: re.Pattern[str]
    template: str | None  # in re.Match.expand form; None: the URL is excluded
    search: str | None = None  # a search-results URL's query parameter

    def apply(self, path: str) -> tuple[bool, str | None]:
        """(matched, page id or None when excluded; a search rule's template is the search
        page)."""
        found = self.pattern.search(path)
        if found is None:
            return False, None
        return True, None if self.template is None else found.expand(self.template)


@dataclass(frozen=True, slots=True)
class PageRules:
    rules: tuple[PageRule, ...] = ()
    search_page: str = DEFAULT_SEARCH_PAGE  # the page of search rules (PATHRANK_SEARCH_PAGE)

    def page_id(self, url: str) -> str | None:
        """The page id of a URL (absolute, or just a path), None when excluded."""
        path = url_path(url)
        for rule in self.rules:
            if rule.search is not None and rule.pattern.search(path):
                return self.search_page
            matched, page = rule.apply(path)
            if matched:  # a page that comes out empty excludes the URL too
                return page.strip() or None if page is not None else None
        return path.rstrip("/") or "/"

    def search_query(self, url: str) -> str | None:
        """The raw query of a search-results URL ("" when its parameter is absent), None when
        the first rule that matches is no search rule."""
        path = url_path(url)
        for rule in self.rules:
            if rule.pattern.search(path):
                if rule.search is None:
                    return None
                params = parse_qsl(urlsplit(url.strip()).query, keep_blank_values=True)
                return next((v for k, v in params if k == rule.search), "")
        return None

    @property
    def search_parameters(self) -> frozenset[str]:
        """The query parameters search rules read (dead letters redact them)."""
        return frozenset(r.search for r in self.rules if r.search is not None)

    @staticmethod
    def same_host(page_url: str, referrer_url: str) -> bool:
        """A referrer counts only from the page's own host; a relative one is on it."""
        referrer_host = urlsplit(referrer_url).hostname
        if referrer_host is None:
            return True
        page_host = urlsplit(page_url).hostname
        return page_host is not None and page_host == referrer_host

    @staticmethod
    def load(path: Path) -> PageRules:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise PageRulesError(f"{path}: cannot read: {exc}") from None
        return PageRules.parse(text, str(path))

    @staticmethod
    def parse(text: str, source: str = "page rules") -> PageRules:
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PageRulesError(f"{source}: not TOML: {exc}") from None
        unknown = set(document) - {"rule"}
        if unknown:
            raise PageRulesError(f"{source}: unknown table {sorted(unknown)[0]!r} (only [[rule]])")
        entries = document.get("rule", [])
        if not isinstance(entries, list):
            raise PageRulesError(f"{source}: write each rule as a [[rule]] table")
        return PageRules(
            tuple(_rule(entry, f"{source}: rule {n}") for n, entry in enumerate(entries, 1))
        )


def url_path(url: str) -> str:
    """The path of a URL or of a bare path, without query string or fragment."""
    return urlsplit(url.strip()).path or "/"


def _rule(entry: object, where: str) -> PageRule:
    if not isinstance(entry, dict):
        raise PageRulesError(f"{where}: not a table")
    unknown = set(entry) - _RULE_KEYS
    if unknown:
        raise PageRulesError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    match, page, exclude = entry.get("match"), entry.get("page"), entry.get("exclude", False)
    search = entry.get("search")
    if not isinstance(match, str) or not match:
        raise PageRulesError(f"{where}: `match` must be a regular expression")
    try:
        pattern = re.compile(match)
    except re.error as exc:
        raise PageRulesError(f"{where}: invalid regular expression: {exc}") from None
    if not isinstance(exclude, bool):
        raise PageRulesError(f"{where}: `exclude` must be true or false")
    if [page is not None, exclude, search is not None].count(True) != 1:
        raise PageRulesError(f"{where}: give one of `page`, `exclude = true` or `search`")
    if exclude:
        return PageRule(pattern, None)
    if search is not None:
        if not isinstance(search, str) or not search.strip():
            raise PageRulesError(f"{where}: `search` must name the URL's query parameter")
        return PageRule(pattern, None, search.strip())
    if not isinstance(page, str) or not page.strip():
        raise PageRulesError(f"{where}: `page` must be a non-empty string")
    # A group the pattern lacks fails here, not on the first URL that matches.
    missing = _missing_group(pattern, page)
    if missing:
        raise PageRulesError(f"{where}: `page` uses {missing}, which `match` does not have")
    return PageRule(pattern, _template(page))


def _template(page: str) -> str:
    """`$1`, `${name}` and `$$` in our templates; backslashes are literal."""

    def part(found: re.Match[str]) -> str:
        number, name, dollar = found.groups()
        if dollar:
            return "$"
        return f"\\g<{number or name}>"

    return _TEMPLATE_PART.sub(part, page.replace("\\", "\\\\"))


def _missing_group(pattern: re.Pattern[str], page: str) -> str | None:
    for found in _TEMPLATE_PART.finditer(page):
        number, name, _ = found.groups()
        if number is not None and int(number) > pattern.groups:
            return f"${number}"
        if name is not None and name not in pattern.groupindex:
            return f"${{{name}}}"
    return None
