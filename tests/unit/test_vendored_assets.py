"""The vendored front-end builds are the ones their README names (by checksum), and every file
the GraphiQL page loads is in the package."""

from __future__ import annotations

import hashlib
import re

from graphql_api.app import STATIC_DIR
from graphql_api.ide import PAGE

VENDOR = STATIC_DIR / "vendor"
CHECKSUM = re.compile(r"`([^`]+)` sha256: `([0-9a-f]{64})`")


def _documented() -> dict[str, str]:
    return dict(CHECKSUM.findall((VENDOR / "README.md").read_text(encoding="utf-8")))


def test_every_vendored_build_matches_its_documented_checksum() -> None:
    documented = _documented()
    builds = sorted(
        str(p.relative_to(VENDOR)) for p in VENDOR.rglob("*") if p.suffix in (".js", ".css")
    )
    assert builds == sorted(documented), "every vendored build needs a checksum in the README"
    for name, expected in documented.items():
        actual = hashlib.sha256((VENDOR / name).read_bytes()).hexdigest()
        assert actual == expected, f"{name} is not the build the README documents"


def test_every_vendored_library_has_its_license() -> None:
    for stem in ("react", "react-dom", "graphiql", "plugin-explorer"):
        assert "Permission is hereby granted" in (VENDOR / f"graphiql/{stem}.LICENSE").read_text()


def test_graphiql_page_loads_only_files_of_this_package() -> None:
    html = PAGE.read_text(encoding="utf-8")
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/vendor/graphiql/graphiql.min.js" in sources
    for src in sources:
        assert src.startswith("/static/"), src
        assert (STATIC_DIR / src.removeprefix("/static/")).is_file(), src
    assert "<script>" not in html  # the policy allows no inline script
