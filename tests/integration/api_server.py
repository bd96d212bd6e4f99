"""`pathrank serve` in a subprocess on a free port, for tests that talk to it over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import PATHRANK, REPO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Served:
    """A running `pathrank serve`: its base URL, its process and what it logged so far."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_lines(self) -> list[str]:
        return self.log().splitlines()


@contextmanager
def serve(services: dict[str, Any], **env: str) -> Iterator[str]:
    """The server's base URL while it runs; `env` adds PATHRANK_* settings. Fails the test if
    the server logged a traceback."""
    with serving(services, **env) as served:
        yield served.url


@contextmanager
def serving(services: dict[str, Any], **env: str) -> Iterator[Served]:
    """`serve`, with the process and its log at hand."""
    n = services["neo4j"]
    port = free_port()
    full_env = {
        **os.environ,
        "PATHRANK_NEO4J_URI": n["bolt_uri"],
        "PATHRANK_NEO4J_USER": n["user"],
        "PATHRANK_NEO4J_PASSWORD": n["password"],
        **env,
    }
    log = Path(tempfile.mkstemp(prefix="pathrank-serve-", suffix=".log")[1])
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [PATHRANK, "serve", "--port", str(port)],
            env=full_env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"pathrank serve exited: {log.read_text()[-3000:]}"
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"no /healthz: {log.read_text()[-3000:]}"
            time.sleep(0.2)
        yield Served(base, proc, log)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    server_log = log.read_text()
    log.unlink(missing_ok=True)
    assert "Traceback" not in server_log, server_log[-5000:]
