"""Fault injection for tests: PATHRANK_ANALYSIS_FAULT="<step>:<action>[:<seconds>]" makes
`pathrank analyze` (and the API's runAnalysis) misbehave as the named step starts, so tests
can crash a real run at any step (docs/analytics.md lists the steps).

- `raise`: the step fails with an error (the run is recorded FAILED);
- `kill`: the process SIGKILLs itself (nothing is recorded; the lock is left behind);
- `stop`: the process SIGSTOPs itself (a test then kills Neo4j, or the process);
- `sleep:SECONDS`: the step starts that much later (to make two runs overlap).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from algorithms.analyze import STEPS

ACTIONS: Final = ("raise", "kill", "stop", "sleep")

StepHook = Callable[[str], None]


class InjectedFaultError(RuntimeError):
    """The failure PATHRANK_ANALYSIS_FAULT asked for."""


@dataclass(frozen=True, slots=True)
class Fault:
    step: str
    action: str
    seconds: float = 0.0

    @staticmethod
    def parse(text: str) -> Fault:
        step, _, rest = text.partition(":")
        action, _, seconds = rest.partition(":")
        if step not in STEPS or action not in ACTIONS or (action == "sleep") != bool(seconds):
            raise ValueError(
                f"PATHRANK_ANALYSIS_FAULT must be '<step>:raise|kill|stop|sleep:<seconds>' "
                f"with a step of {', '.join(STEPS)}; got {text!r}"
            )
        try:
            return Fault(step, action, float(seconds or 0))
        except ValueError:
            raise ValueError(
                f"PATHRANK_ANALYSIS_FAULT: not a number of seconds: {seconds!r}"
            ) from None

    def trigger(self, step: str) -> None:
        if step != self.step:
            return
        if self.action == "raise":
            raise InjectedFaultError(f"injected fault at {step}")
        if self.action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if self.action == "stop":
            os.kill(os.getpid(), signal.SIGSTOP)
        time.sleep(self.seconds)


def with_fault(on_step: StepHook | None, fault: str | None) -> StepHook | None:
    """`on_step`, then the fault `fault` names (none: `on_step` unchanged)."""
    if not fault:
        return on_step
    injected = Fault.parse(fault)

    def hook(step: str) -> None:
        if on_step is not None:
            on_step(step)
        injected.trigger(step)

    return hook
