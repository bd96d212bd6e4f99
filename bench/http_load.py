"""Closed-loop HTTP load on the GraphQL API and `pathrank serve` for the benchmarks.

The load comes from `wrk` (C, a few percent of a CPU) when it is installed, else from httpx
in this process; each side's CPU per request is measured (the server's from /proc, when its
pid is known).
"""

from __future__ import annotations

import asyncio
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.report import percentile


@dataclass(frozen=True, slots=True)
class Stats:
    p50_ms: float
    p99_ms: float
    rps: float
    client_cpu_ms: float  # load generator CPU per request
    server_cpu_ms: float | None = None  # `pathrank serve` CPU per request, when known


@dataclass(frozen=True, slots=True)
class Server:
    url: str
    pid: int | None  # for its CPU per request, when known


def check(url: str, body: bytes) -> int:
    """One request that must succeed; returns the Neo4j queries it cost."""
    r = httpx.post(url, content=body, headers={"content-type": "application/json"}, timeout=30)
    answer = r.json()
    if r.status_code != 200 or answer.get("errors"):
        raise RuntimeError(f"GraphQL read failed ({r.status_code}): {answer}")
    return int(r.headers.get("x-neo4j-queries", "0"))


_WRK_LUA = """
local bodies = {%s}
local headers = { ["Content-Type"] = "application/json" }
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", nil, headers, bodies[(i %% #bodies) + 1])
end
"""
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _wrk_ms(output: str, label: str) -> float:
    found = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"no {label} in wrk output:\n{output}")
    return float(found.group(1)) * _UNITS[found.group(2)]


def _cpu_s(pid: int | None) -> float | None:
    """User + system CPU seconds of a process so far (Linux /proc), or None."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def graphql_wrk(
    wrk: str, url: str, bodies: list[bytes], concurrency: int, seconds: float, server: int | None
) -> Stats:
    items = ",".join(f"[==[{b.decode()}]==]" for b in bodies)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_LUA % items)

    def run(duration: float) -> tuple[str, float, float | None]:
        cpu0, server0 = _children_cpu_s(), _cpu_s(server)
        command = [wrk, "-t1", f"-c{concurrency}", f"-d{max(1, round(duration))}s"]
        command += ["--timeout", "10s", "--latency", "-s", script.name, url]
        out = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        server1 = _cpu_s(server)
        used = None if server0 is None or server1 is None else server1 - server0
        return out, _children_cpu_s() - cpu0, used

    try:
        run(1)  # warm up
        out, client_s, server_s = run(seconds)
    finally:
        os.unlink(script.name)
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw failed requests:\n{out}")
    done = re.search(r"^\s*(\d+) requests in", out, re.MULTILINE)
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.MULTILINE)
    if done is None or rps is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    n = int(done.group(1))
    return Stats(
        _wrk_ms(out, "50%"),
        _wrk_ms(out, "99%"),
        float(rps.group(1)),
        client_s * 1000 / n,
        None if server_s is None else server_s * 1000 / n,
    )


async def closed_loop(
    call: Callable[[int], Awaitable[None]], concurrency: int, seconds: float
) -> tuple[list[float], float, float]:
    """`concurrency` workers calling back to back for `seconds`: latencies (ms), elapsed s
    and this process's CPU seconds."""
    latencies: list[float] = []
    counter = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal counter
        while time.perf_counter() < deadline:
            counter += 1
            t0 = time.perf_counter()
            await call(counter)
            latencies.append((time.perf_counter() - t0) * 1000)

    cpu0, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started, time.process_time() - cpu0


def latency_stats(
    latencies: list[float], elapsed: float, cpu_s: float, server_s: float | None = None
) -> Stats:
    n = len(latencies)
    server = None if server_s is None else server_s * 1000 / n
    return Stats(
        percentile(latencies, 0.5),
        percentile(latencies, 0.99),
        n / elapsed,
        cpu_s * 1000 / n,
        server,
    )


async def graphql_httpx(
    url: str, bodies: list[bytes], concurrency: int, seconds: float, server: int | None
) -> Stats:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient(limits=limits, timeout=30) as http:

        async def call(i: int) -> None:
            r = await http.post(url, content=bodies[i % len(bodies)], headers=headers)
            if r.status_code != 200 or b'"errors"' in r.content:
                raise RuntimeError(f"{r.status_code}: {r.text[:500]}")

        await closed_loop(call, concurrency, 1)
        server0 = _cpu_s(server)
        latencies, elapsed, cpu = await closed_loop(call, concurrency, seconds)
        server1 = _cpu_s(server)
    used = None if server0 is None or server1 is None else server1 - server0
    return latency_stats(latencies, elapsed, cpu, used)


def run_async(coro: Coroutine[Any, Any, Stats]) -> Stats:
    """On uvloop when it is there, as `pathrank serve` runs."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def http_client() -> str:
    """The HTTP load generator `http_load` uses, as the reports name it."""
    return "wrk" if shutil.which("wrk") else "httpx (Python: the client competes for CPU)"


def http_load(
    url: str, bodies: list[bytes], concurrency: int, seconds: float, pid: int | None
) -> Stats:
    """Closed-loop GraphQL load: from wrk (C, a few percent of a CPU) when it is installed,
    else from httpx in this process."""
    wrk = shutil.which("wrk")
    if wrk:
        return graphql_wrk(wrk, url, bodies, concurrency, seconds, pid)
    return run_async(graphql_httpx(url, bodies, concurrency, seconds, pid))


# ---- serving and loading -------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(cache: bool, env: Mapping[str, str] | None = None) -> Iterator[Server]:
    """`pathrank serve` on a free port for the length of the benchmark, with the response
    cache on or off (and `env`'s settings)."""
    port = _free_port()
    pathrank = str(Path(sys.executable).parent / "pathrank")
    log = tempfile.NamedTemporaryFile(prefix="pathrank-bench-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        [pathrank, "serve", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PATHRANK_API_CACHE": "1" if cache else "0", **(env or {})},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"pathrank serve exited: {Path(log.name).read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("pathrank serve did not become healthy in 60 s")
            time.sleep(0.2)
        yield Server(f"{base}/graphql", proc.pid)
    finally:
        proc.terminate()
        proc.wait(15)
        log.close()
