"""Finding Java 17+ and Maven on this machine."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from pathrank.services.errors import ServiceError

_VERSION_RE = re.compile(r'version "(\d+)(?:\.(\d+))?')


def java_executable() -> Path:
    """The `java` to run the servers with: $JAVA_HOME/bin/java, else the one on PATH."""
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home) / "bin" / "java" if java_home else None
    if candidate is None or not candidate.exists():
        found = shutil.which("java")
        if found is None:
            raise ServiceError(
                "java not found: install Java 17 (e.g. apt-get install openjdk-17-jdk)"
            )
        candidate = Path(found)
    out = subprocess.run(
        [str(candidate), "-version"], capture_output=True, text=True, check=False
    ).stderr
    match = _VERSION_RE.search(out)
    major = int(match.group(1)) if match else 0
    if major < 17:
        raise ServiceError(f"{candidate} is Java {major or '?'}; Neo4j 5.26 needs Java 17 or 21")
    return candidate


def maven_executable() -> Path:
    found = shutil.which("mvn")
    if found is None:
        raise ServiceError("mvn not found: install Maven (e.g. apt-get install maven)")
    return Path(found)
