"""GraphiQL at /graphql served entirely by this app: the page (static/graphiql.html) loads the
React, GraphiQL and explorer builds vendored in static/vendor/graphiql/ instead of Strawberry's
default page, which fetches them from a public CDN and so stays blank offline.

Mixed into the Strawberry ASGI view: Strawberry calls `render_graphql_ide` for a browser's GET.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

PAGE: Final = Path(__file__).parent / "static" / "graphiql.html"

# GraphiQL's page and the dashboard's. Everything comes from this origin. Scripts: only our
# files (no inline script, no eval: the UMD builds and ECharts need neither). Styles:
# GraphiQL's dialogs inject <style> elements and ECharts' tooltips style attributes at run
# time, hence 'unsafe-inline' for styles only. Fonts and a few images are data: URIs in its CSS.
# connect-src 'self' also covers ws(s):// to this origin, for subscriptions.
CONTENT_SECURITY_POLICY: Final = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",
}


@cache
def graphiql_html() -> str:
    return PAGE.read_text(encoding="utf-8")


class OfflineGraphiQL:
    """The view mixin: GraphiQL's page from this package, with its security headers."""

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(graphiql_html(), headers=SECURITY_HEADERS)
