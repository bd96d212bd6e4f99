"""Fault injection for tests: a process misbehaves as a named step starts, so tests can crash a
real run at any step.

- PATHRANK_ANALYSIS_FAULT="<step>:<action>[:<seconds>]": `pathrank analyze` (and the API's
  runAnalysis) at an analysis step (docs/analytics.md lists the steps);
- PATHRANK_INGEST_FAULT="<step>[@<n>]:<action>[:<seconds>]": `pathrank ingest` at `write`
  (a batch's write starts) or `written` (its graph write and dead letters are done, its
  offsets not committed yet), at every batch or only at the n-th (1-based).

Actions:
- `raise`: the step fails with an error (an analysis run is recorded FAILED);
- `kill`: the process SIGKILLs itself (nothing more is recorded or committed);
- `stop`: the process SIGSTOPs itself (a test then kills Neo4j, or the process);
- `sleep:SECONDS`: the step starts that much later (two runs overlap; a slow batch).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Final

ACTIONS: Final = ("raise", "kill", "stop", "sleep")
INGEST_STEPS: Final = ("write", "written")

StepHook = Callable[[str], None]


class InjectedFaultError(RuntimeError):
    """The failure a fault setting asked for."""


@dataclass(frozen=True, slots=True)
class Fault:
    step: str
    action: str
    seconds: float = 0.0
    at: int | None = None  # the n-th time the step starts (None: every time)

    @staticmethod
    def parse(
        text: str,
        steps: Collection[str] | None = None,
        setting: str = "PATHRANK_ANALYSIS_FAULT",
    ) -> Fault:
        """`steps`: the step names allowed (default: the analysis steps)."""
        if steps is None:
            from algorithms.analyze import STEPS  # the analysis stack, only when asked for

            steps = STEPS
        head, _, rest = text.partition(":")
        step, _, at = head.partition("@")
        action, _, seconds = rest.partition(":")
        valid = step in steps and action in ACTIONS and (action == "sleep") == bool(seconds)
        if not valid or (at and not at.isdigit()):
            raise ValueError(
                f"{setting} must be '<step>:raise|kill|stop|sleep:<seconds>' with a step of "
                f"{', '.join(steps)}; got {text!r}"
            )
        try:
            return Fault(step, action, float(seconds or 0), int(at) if at else None)
        except ValueError:
            raise ValueError(f"{setting}: not a number of seconds: {seconds!r}") from None

    def trigger(self, step: str, count: int = 1) -> None:
        """`step` starts, for the `count`-th time."""
        if step != self.step or (self.at is not None and count != self.at):
            return
        if self.action == "raise":
            raise InjectedFaultError(f"injected fault at {step}")
        if self.action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if self.action == "stop":
            os.kill(os.getpid(), signal.SIGSTOP)
        time.sleep(self.seconds)


def with_fault(on_step: StepHook | None, fault: str | None) -> StepHook | None:
    """`on_step`, then the analysis fault `fault` names (none: `on_step` unchanged)."""
    if not fault:
        return on_step
    injected = Fault.parse(fault)

    def hook(step: str) -> None:
        if on_step is not None:
            on_step(step)
        injected.trigger(step)

    return hook


def ingest_fault(fault: str | None) -> StepHook | None:
    """The ingest worker's hook for the fault `fault` names (none: no hook)."""
    if not fault:
        return None
    injected = Fault.parse(fault, INGEST_STEPS, "PATHRANK_INGEST_FAULT")
    counts: dict[str, int] = {}

    def hook(step: str) -> None:
        counts[step] = counts.get(step, 0) + 1
        injected.trigger(step, counts[step])

    return hook
