"""The Browser bundle loses every address it would call out to (pathrank.services.privacy)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from pathrank.services.privacy import offline_browser

APP_JS = (
    b'i.src="https://canny.io/sdk.js",i.onerror=t;'
    b'n.src="https://cdn.segment.com/analytics.js/v1/"+e+"/analytics.min.js";'
    b'init({dsn:"https://0123abcd@o1.ingest.sentry.io/42"});'
)
CSS = b"@import url(https://fonts.googleapis.com/css?family=Open+Sans);body{}"
ELSEWHERE = (b"canny.io/sdk", b"cdn.segment.com", b"sentry.io", b"fonts.googleapis.com")


def test_every_remote_address_is_taken_out_and_the_rest_kept(tmp_path: Path) -> None:
    jar = tmp_path / "neo4j-browser.jar"
    with zipfile.ZipFile(jar, "w") as z:
        z.writestr("browser/app.js", APP_JS)
        z.writestr("browser/app.css", CSS)
        z.writestr("browser/logo.svg", b"<svg/>")
    assert offline_browser(jar) is True
    with zipfile.ZipFile(jar) as z:
        js, css = z.read("browser/app.js"), z.read("browser/app.css")
        assert z.read("browser/logo.svg") == b"<svg/>"
    assert not any(host in js + css for host in ELSEWHERE)
    assert b'i.src="data:text/javascript,"' in js
    assert b'n.src="data:text/javascript,//"+e+"/analytics.min.js"' in js
    assert b'dsn:""' in js
    assert css == b"body{}"
    assert offline_browser(jar) is False  # nothing left to take out
