"""What the local servers keep to their owner: their files, and the user's browsing.

- Files: the Neo4j store (its `auth.ini` holds the users' password hashes), Kafka's log
  segments (every click) and both servers' logs are readable by their owner only: folders
  0700, files 0600, and the servers start with umask 077 so that what they write next is
  too (pathrank.services.process).
- Neo4j Browser: neo4j.conf turns off what can be turned off (usage data: Segment, Canny;
  remote guides), but four things are written into the Browser bundle, where no setting
  reaches in time: an import of its web fonts from fonts.googleapis.com in its CSS; Sentry,
  which sends performance traces to sentry.io whatever the telemetry setting (only its
  error reports obey it); and the loaders of Segment's and Canny's scripts, which can run
  before Browser has read the server's telemetry setting (seen on a busy machine). They are
  taken out of the assembled copy: the font import, Sentry's address (without one, Sentry
  sends nothing), and the two script addresses (an empty inline script stands in). Browser
  then uses the fonts it ships and the system's, and opening it asks no other host for
  anything.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path
from typing import Final

DIR_MODE: Final = 0o700
FILE_MODE: Final = 0o600

# What is taken out of the Browser bundle, and what stands in its place: the font import in
# a CSS string, Sentry's DSN (its address; an empty one turns Sentry off), and the addresses
# of Canny's and Segment's scripts (Segment's is a prefix: what follows becomes a comment).
_REMOTE: Final = (
    (re.compile(rb"@import url\(https://fonts\.googleapis\.com/[^)]*\);?"), b""),
    (re.compile(rb'dsn:"https://[0-9a-f]+@[a-z0-9.]+\.sentry\.io/[0-9]+"'), b'dsn:""'),
    (re.compile(rb'"https://canny\.io/sdk\.js"'), b'"data:text/javascript,"'),
    (
        re.compile(rb'"https://cdn\.segment\.com/analytics\.js/v1/"'),
        b'"data:text/javascript,//"',
    ),
)


def keep_private(root: Path) -> None:
    """`root` and everything below it: owner only (folders 0700, files 0600)."""
    if not root.exists():
        return
    root.chmod(DIR_MODE)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            _chmod(Path(folder, name), DIR_MODE)
        for name in files:
            _chmod(Path(folder, name), FILE_MODE)


def _chmod(path: Path, mode: int) -> None:
    try:
        if not path.is_symlink() and stat.S_IMODE(path.stat().st_mode) != mode:
            path.chmod(mode)
    except FileNotFoundError:  # a server removed it meanwhile (a rotated log)
        pass


def _remote(data: bytes) -> bool:
    return any(pattern.search(data) for pattern, _ in _REMOTE)


def offline_browser(jar: Path) -> bool:
    """Rewrite the Browser jar without its remote fonts and Sentry address; True if it had
    them. The new jar replaces the old one in a single rename."""
    with zipfile.ZipFile(jar) as source:
        found = [
            info.filename
            for info in source.infolist()
            if info.filename.endswith((".js", ".css", ".html"))
            and _remote(source.read(info.filename))
        ]
        if not found:
            return False
        fd, tmp = tempfile.mkstemp(prefix=".browser-", suffix=".jar", dir=jar.parent)
        os.close(fd)
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                data = source.read(info.filename)
                if info.filename in found:
                    for pattern, replacement in _REMOTE:
                        data = pattern.sub(replacement, data)
                target.writestr(info, data)
    shutil.copymode(jar, tmp)
    Path(tmp).replace(jar)
    return True
