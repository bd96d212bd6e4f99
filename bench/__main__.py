"""`make bench` = `python -m bench`: every benchmark, side by side, into BENCHMARKS.md.

    .venv/bin/python -m bench [--only ingest,analysis,api,freshness] [--quick] [--out FILE]

--quick runs the small sizes only (a smoke run; BENCHMARKS.md should come from a full run).
Wipes the graph of the Neo4j it talks to (PATHRANK_* settings) and uses its Kafka.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

from bench.report import Section, write
from pathrank.settings import Settings

Runner = Callable[[Settings, bool], Section]


def _runners() -> dict[str, Runner]:
    # Imported here so `--only` pays only for what it runs.
    from bench import analysis_scale, api_latency, freshness, ingest_throughput

    return {
        "ingest": ingest_throughput.section,
        "analysis": analysis_scale.section,
        "api": api_latency.section,
        "freshness": freshness.section,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated benchmarks to run")
    parser.add_argument("--quick", action="store_true", help="small sizes only (smoke run)")
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    args = parser.parse_args(argv)
    runners = _runners()
    chosen = [n.strip() for n in args.only.split(",") if n.strip()] or list(runners)
    unknown = [n for n in chosen if n not in runners]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {sorted(runners)}")
    settings = Settings()
    sections = []
    for name in chosen:
        print(f"== {name}", file=sys.stderr, flush=True)
        sections.append(runners[name](settings, args.quick))
    command = shlex.join(["python", "-m", "bench", *argv]) if argv else "make bench"
    write(args.out, command, sections)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
