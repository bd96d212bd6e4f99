"""BENCHMARKS.md: every benchmark returns a Section; `python -m bench` writes them all
under a header with the command, the machine and the date."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Section:
    """One part of BENCHMARKS.md: a title, a Markdown body, and whether its goals were met."""

    title: str
    body: str
    goals: tuple[tuple[str, bool], ...] = field(default_factory=tuple)

    def markdown(self) -> str:
        lines = [f"## {self.title}", "", self.body.rstrip(), ""]
        if self.goals:
            lines += ["Goals:", ""]
            lines += [f"- {'met' if ok else 'NOT met'}: {goal}" for goal, ok in self.goals]
            lines.append("")
        return "\n".join(lines)


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


def write(path: Path, command: str, sections: Sequence[Section]) -> None:
    header = [
        "# Benchmarks",
        "",
        f"- Command: `{command}`",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {_git_commit()}",
        f"- Machine: {machine()}",
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
    path.write_text("\n".join(header + [s.markdown() for s in sections]))
    print(f"wrote {path}", file=sys.stderr)
