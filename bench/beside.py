"""Analyses back to back in a process of their own, beside whatever a benchmark measures (the
API's latency, ingest's throughput), as `pathrank analyze` would run next to them.

    with analyses_beside(settings) as beside:
        ...measure...
    beside.runs, beside.failures

The child runs `python -m bench.beside` (analyses in a loop until SIGTERM, then one JSON line
of what it did); the parent never shares its interpreter (nor its GIL) with the analyses.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import orjson

from pathrank.settings import Settings
from pathrank.wiring import Wiring


@dataclass
class Beside:
    runs: int = 0  # analyses that completed
    failures: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)  # each completed analysis


@contextmanager
def analyses_beside(settings: Settings, once: bool = False) -> Iterator[Beside]:
    """Analyses running back to back (just one with `once`) while the block runs; the
    block waits for nothing, the exit stops the loop after the analysis in progress."""
    env = {**os.environ, "PATHRANK_NEO4J_URI": settings.neo4j_uri}
    args = [sys.executable, "-m", "bench.beside", *(["--once"] if once else [])]
    child = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, text=True)
    found = Beside()
    try:
        yield found
    finally:
        if not once:
            child.send_signal(signal.SIGTERM)
        out, _ = child.communicate(timeout=900)
        last = out.strip().splitlines()[-1] if out.strip() else "{}"
        report = orjson.loads(last)
        found.runs = int(report.get("runs", 0))
        found.failures = list(report.get("failures", ["no report from the analysis loop"]))
        found.seconds = [float(s) for s in report.get("seconds", [])]


def _loop(once: bool) -> None:
    stop = False

    def stopping(_signum: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, stopping)
    w = Wiring(Settings())
    runs, failures, seconds = 0, list[str](), list[float]()
    with w.driver() as driver:
        while not stop:
            t0 = time.perf_counter()
            try:
                w.analysis(driver, wait_s=60).run()
                runs += 1
                seconds.append(round(time.perf_counter() - t0, 2))
            except Exception as exc:  # reported, and the loop goes on as a user would
                failures.append(f"{type(exc).__name__}: {exc}".splitlines()[0])
            if once:
                break
    print(orjson.dumps({"runs": runs, "failures": failures, "seconds": seconds}).decode())


if __name__ == "__main__":
    _loop("--once" in sys.argv[1:])
