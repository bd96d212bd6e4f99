"""`make bench` = `python -m bench`: every benchmark, side by side, into BENCHMARKS.md.

    .venv/bin/python -m bench [--only ingest,analysis,second,api,hostile,freshness,assist,kafka,
                              collector,time,months,search,funnel] [--quick] [--out FILE]
                              [--clicks N] [--days D] [--retention-days R]  (months only)

--quick runs the small sizes only (a smoke run; BENCHMARKS.md should come from a full run).
--only keeps the other benchmarks' sections of FILE as they were.
Wipes the graph of the Neo4j it talks to (PATHRANK_* settings) and uses its Kafka.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bench.report import Section, write
from pathrank.settings import Settings

if TYPE_CHECKING:
    from bench.months import Params as MonthsParams

Runner = Callable[[Settings, bool], Section]

# Each benchmark's section title, in BENCHMARKS.md's order (a failed run reports under it too).
TITLES = {
    "ingest": "Ingest",
    "analysis": "Analysis",
    "second": "Second order",
    "api": "API",
    "hostile": "Hostile queries",
    "freshness": "Freshness",
    "assist": "Live assist",
    "kafka": "Kafka clients",
    "collector": "Collector",
    "time": "Time",
    "months": "Months of traffic",
    "funnel": "Funnels and the Python client",
    "search": "Search",
}


def _runners(months_params: MonthsParams | None = None) -> dict[str, Runner]:
    # Imported here so `--only` pays only for what it runs.
    from bench import (
        analysis_scale,
        api_latency,
        assist,
        collector,
        freshness,
        funnel,
        hostile,
        ingest_throughput,
        kafka_clients,
        months,
        search,
        second_order,
        time_figures,
    )

    return {
        "ingest": ingest_throughput.section,
        "analysis": analysis_scale.section,
        "second": second_order.section,
        "api": api_latency.section,
        "hostile": hostile.section,
        "freshness": freshness.section,
        "assist": assist.section,
        "kafka": kafka_clients.section,
        "collector": collector.section,
        "time": time_figures.section,
        "months": lambda s, quick: months.section(s, quick, months_params),
        "funnel": funnel.section,
        "search": search.section,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated benchmarks to run")
    parser.add_argument("--quick", action="store_true", help="small sizes only (smoke run)")
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    from bench import months

    months.arguments(parser)
    args = parser.parse_args(argv)
    runners = _runners(months.params_of(args))
    chosen = [n.strip() for n in args.only.split(",") if n.strip()] or list(runners)
    unknown = [n for n in chosen if n not in runners]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {sorted(runners)}")
    settings = Settings()
    command = shlex.join(["python", "-m", "bench", *argv]) if argv else "make bench"
    sections: list[Section] = []
    failed = False
    for name in chosen:
        print(f"== {name}", file=sys.stderr, flush=True)
        try:
            sections.append(runners[name](settings, args.quick))
        except Exception as exc:  # keep the other sections' results; fail at the end
            failed = True
            traceback.print_exc()
            reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
            failure = Section(TITLES[name], f"The benchmark failed: `{reason}`", ((name, False),))
            sections.append(failure)
        write(
            args.out, command, sections, list(TITLES.values())
        )  # after each section: a late failure loses nothing
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
