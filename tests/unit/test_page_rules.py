"""Page rules (docs/sources.md "Page rules"), with the three help centers' URL layouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.sources.page_rules import PageRules, PageRulesError

# The examples docs/sources.md gives, copied here so that a change there shows up as a diff.
HELP_CENTERS = r"""
[[rule]]  # Zendesk Guide: /hc/<locale>/articles/<id>-<slug>
match = '^/hc/[a-z]{2}(-[a-z]{2})?/articles/(\d+)'
page = 'article-$2'

[[rule]]  # Intercom: /en/articles/<id>-<slug>, on intercom.help after the workspace
match = '^(/[\w-]+)?/[a-z]{2}(-[A-Za-z]{2})?/articles/(?P<id>\d+)'
page = 'article-${id}'

[[rule]]  # Freshdesk: /support/solutions/articles/<id>-<slug>
match = '^/support/solutions/articles/(\d+)'
page = 'article-$1'

[[rule]]  # search results are no page of the site
match = '^/(hc/[a-z-]+/)?search'
exclude = true
"""


@pytest.fixture
def rules() -> PageRules:
    return PageRules.parse(HELP_CENTERS)


@pytest.mark.parametrize(
    ("url", "page"),
    [
        (
            "https://acme.zendesk.com/hc/en-us/articles/360012345678-Reset-your-password",
            "article-360012345678",
        ),
        ("https://acme.zendesk.com/hc/de/articles/360012345678-Passwort", "article-360012345678"),
        (
            "https://intercom.help/acme/en/articles/4152981-how-to-invite",
            "article-4152981",
        ),
        ("https://help.acme.com/en/articles/4152981-how-to-invite#step-2", "article-4152981"),
        (
            "https://acme.freshdesk.com/support/solutions/articles/43000549123-login",
            "article-43000549123",
        ),
        (
            "https://acme.zendesk.com/hc/en-us/categories/200-Billing/?page=2",
            "/hc/en-us/categories/200-Billing",
        ),
        ("https://acme.zendesk.com/", "/"),
        ("/hc/en-us/sections/", "/hc/en-us/sections"),
    ],
)
def test_help_center_urls(rules: PageRules, url: str, page: str) -> None:
    assert rules.page_id(url) == page


def test_exclusions_give_none(rules: PageRules) -> None:
    assert rules.page_id("https://acme.zendesk.com/hc/en-us/search?query=reset") is None
    assert rules.page_id("/search") is None


def test_first_match_wins_and_the_query_is_never_seen() -> None:
    rules = PageRules.parse(
        "[[rule]]\nmatch = 'a'\npage = 'first'\n[[rule]]\nmatch = 'a'\npage = 'second'\n"
        "[[rule]]\nmatch = 'utm'\nexclude = true\n"
    )
    assert rules.page_id("/a") == "first"
    assert rules.page_id("/b?utm=a#a") == "/b"


def test_templates_escape_dollars_and_keep_backslashes() -> None:
    rules = PageRules.parse("[[rule]]\nmatch = '^/p/(\\d+)'\npage = '$$1-\\x-$1'\n")
    assert rules.page_id("/p/7") == "$1-\\x-7"


def test_no_rules_is_the_default_rule() -> None:
    assert PageRules().page_id("https://h.example/a/b/?x#y") == "/a/b"


def test_same_host() -> None:
    same = PageRules.same_host
    assert same("https://help.example.com/a", "https://help.example.com/b")
    assert same("https://help.example.com/a", "/b")
    assert not same("https://help.example.com/a", "https://www.google.com/")
    assert not same("/a", "https://help.example.com/b")  # the page's host is unknown


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[rule]\n", "not TOML"),
        ("[rules]\n", "unknown table 'rules'"),
        ("[[rule]]\npage = 'x'\n", "rule 1: `match` must be a regular expression"),
        ("[[rule]]\nmatch = '('\npage = 'x'\n", "rule 1: invalid regular expression"),
        ("[[rule]]\nmatch = 'a'\n", "rule 1: give one of `page`, `exclude = true` or `search`"),
        ("[[rule]]\nmatch = 'a'\npage = 'x'\nexclude = true\n", "give one of"),
        ("[[rule]]\nmatch = 'a'\npage = '$1'\n", "rule 1: `page` uses $1"),
        ("[[rule]]\nmatch = '(a)'\npage = '${id}'\n", "`page` uses ${id}"),
        ("[[rule]]\nmatch = 'a'\npage = 'x'\nreplace = 'y'\n", "unknown key 'replace'"),
    ],
)
def test_bad_rules_files_say_where(text: str, message: str) -> None:
    with pytest.raises(PageRulesError, match=message.replace("$", r"\$").replace("(", r"\(")):
        PageRules.parse(text)


def test_load_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "rules.toml"
    bad.write_text("[[rule]]\nmatch = 'a'\n")
    with pytest.raises(PageRulesError, match=f"{bad}: rule 1"):
        PageRules.load(bad)
    with pytest.raises(PageRulesError, match="cannot read"):
        PageRules.load(tmp_path / "missing.toml")
