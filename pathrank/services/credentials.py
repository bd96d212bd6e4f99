"""The local Neo4j password: generated once per database, kept in a file only its owner reads.

A constant password let any web page the user opened, or any other local user, log in to the
local graph; a random one per installation is known only to whoever can read the cache dir.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pathrank.services.errors import ServiceError

# What `pathrank services up` set before passwords were generated: a database initialised
# with it is migrated to a generated password by the next `services up`.
LEGACY_PASSWORD = "pathrank-local"

_OWNER_ONLY = 0o600


def read_password(path: Path) -> str | None:
    """The password stored in `path`, or None before the first `services up`."""
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ServiceError(f"cannot read the Neo4j password file {path}: {exc.strerror}") from exc
    if not text:
        raise ServiceError(f"the Neo4j password file {path} is empty")
    return text


def ensure_password(path: Path) -> str:
    """The stored password; generated and written (mode 0600) when there is none yet."""
    existing = read_password(path)
    if existing is not None:
        if path.stat().st_mode & 0o077:
            path.chmod(_OWNER_ONLY)  # e.g. copied with cp: keep it private all the same
        return existing
    # 128 random bits in hex: nothing to quote in a shell or neo4j-admin's @file, and never a
    # leading "-" that a command line would take for an option.
    password = secrets.token_hex(16)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    # Created 0600 (never readable by others, not even for a moment), then renamed into place.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _OWNER_ONLY)
    with os.fdopen(fd, "w") as f:
        f.write(password + "\n")
    tmp.replace(path)
    return password
