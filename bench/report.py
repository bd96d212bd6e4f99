"""BENCHMARKS.md: every benchmark returns a Section; `python -m bench` writes them all
under a header with the command, the machine and the date.

A run of some benchmarks (`--only`) keeps the other sections of the existing file as they
were; each section names the run that produced it."""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Section:
    """One part of BENCHMARKS.md: a title, a Markdown body, and whether its goals were met."""

    title: str
    body: str
    goals: tuple[tuple[str, bool], ...] = field(default_factory=tuple)
    run: str = ""  # which run produced it: "`command`, date, commit" (set by write())
    machine: str = ""  # the machine of that run (set by write())

    def markdown(self, file_machine: str = "") -> str:
        """The section; its machine is named when it is not the file header's."""
        lines = [f"## {self.title}", ""]
        if self.run:
            elsewhere = self.machine and self.machine != file_machine
            lines += [f"{_RUN}{self.run}{f'{_ON}{self.machine}' if elsewhere else ''}", ""]
        lines += [self.body.rstrip(), ""]
        if self.goals:
            lines += ["Goals:", ""]
            lines += [f"- {'met' if ok else 'NOT met'}: {goal}" for goal, ok in self.goals]
            lines.append("")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Throughput:
    """So many events in so many seconds."""

    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds


@dataclass
class PacedRun:
    """Events produced at `rate` a second for `seconds` (the load of a latency benchmark)."""

    rate: float
    seconds: float
    produced: int = 0

    @property
    def achieved_rate(self) -> float:
        return self.produced / self.seconds


def paced_arguments(doc: str | None) -> argparse.Namespace:
    """`--seconds` and `--rate` (events a second) of a paced benchmark run on its own; its
    help is the first paragraph of `doc`."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=2000.0)
    return parser.parse_args()


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; floats get at most 2 decimals."""

    def cell(v: object) -> str:
        if isinstance(v, float):
            return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"
        if isinstance(v, int):
            return f"{v:,}"
        return str(v)

    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(out)


def ratio(a: float, b: float) -> float:
    """a / b, infinite when b is nothing."""
    return a / b if b else float("inf")


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of a non-empty sample."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> str:
    from pathrank.services.versions import VERSIONS

    return (
        f"{os.cpu_count()} CPUs ({_cpu_model()}), {_memory_gib():.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"Neo4j {VERSIONS.neo4j} + GDS {VERSIONS.gds}, Kafka {VERSIONS.kafka}; "
        "the servers, the workers and the load generators all share these CPUs"
    )


_RUN = "Run: "
_ON = "; machine: "
_GLANCE = "Goals at a glance"
_GOAL_PREFIXES = (("- met: ", True), ("- NOT met: ", False))


def read(text: str) -> list[Section]:
    """The sections of a BENCHMARKS.md written by write(), goals and run included.

    A section that names no machine ran on the header's; one written before sections named
    their run gets the header's command and date.
    """
    header, *chunks = re.split(r"^## ", text, flags=re.MULTILINE)
    command = re.search(r"^- Command: (`.*`)$", header, flags=re.MULTILINE)
    date = re.search(r"^- Date: (.*)$", header, flags=re.MULTILINE)
    host = re.search(r"^- Machine: (.*)$", header, flags=re.MULTILINE)
    default_run = ", ".join(m.group(1) for m in (command, date) if m)
    default_machine = host.group(1) if host else ""
    sections = []
    for chunk in chunks:
        title, _, rest = chunk.partition("\n")
        if title.strip() == _GLANCE:
            continue
        lines = rest.strip("\n").splitlines()
        run, on = default_run, default_machine
        if lines and lines[0].startswith(_RUN):
            run, _, named = lines[0].removeprefix(_RUN).partition(_ON)
            on = named or default_machine
            lines = lines[1:]
        goals: list[tuple[str, bool]] = []
        if "Goals:" in lines:
            at = len(lines) - 1 - lines[::-1].index("Goals:")
            parsed = list(_goal_lines(lines[at + 1 :]))
            if all(g is not None for g in parsed):  # else "Goals:" was part of the body
                goals = [g for g in parsed if g is not None]
                lines = lines[:at]
        body = "\n".join(lines).strip("\n")
        sections.append(Section(title.strip(), body, tuple(goals), run, on))
    return sections


def _goal_lines(lines: Sequence[str]) -> Iterator[tuple[str, bool] | None]:
    """Each non-blank line as a goal, None for a line that is not one."""
    for line in lines:
        if not line.strip():
            continue
        for prefix, ok in _GOAL_PREFIXES:
            if line.startswith(prefix):
                yield line.removeprefix(prefix), ok
                break
        else:
            yield None


def write(path: Path, command: str, sections: Sequence[Section], order: Sequence[str] = ()) -> None:
    """Write `sections` (this run's) into `path`.

    `order` lists every benchmark's title: the file holds them in that order, this run's
    sections replacing the earlier ones and the earlier ones kept where this run has none.
    """
    when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {_git_commit()}"
    run, here = f"`{command}`, {when}", machine()
    fresh = {s.title: replace(s, run=run, machine=here) for s in sections}
    earlier = {s.title: s for s in read(path.read_text())} if path.exists() else {}
    titles = list(order) + [t for t in fresh if t not in order]
    merged = [fresh.get(t) or earlier.get(t) for t in titles]
    sections = [s for s in merged if s is not None]
    kept = [s.title for s in sections if s.title not in fresh]
    header = [
        "# Benchmarks",
        "",
        f"- Command: `{command}`",
        f"- Date: {when}",
        f"- Machine: {here}",
    ]
    if kept:
        header.append(
            f"- Kept from earlier runs: {', '.join(kept)} (the line under each title says "
            "which run, and which machine if another)"
        )
    header += [
        "",
        "Written by `make bench`; every ratio compares measurements taken side by side in",
        "the same run, because these machines are shared and noisy.",
        "",
    ]
    summary = [(s.title, goal, ok) for s in sections for goal, ok in s.goals]
    if summary:
        header += ["## Goals at a glance", ""]
        header += [
            table(
                ["benchmark", "goal", "met"],
                [(t, g, "yes" if ok else "**no**") for t, g, ok in summary],
            )
        ]
        header.append("")
    path.write_text("\n".join(header + [s.markdown(here) for s in sections]))
    print(f"wrote {path}", file=sys.stderr)
