"""Synthetic help-center clickstream with planted effects (docs/events.md, docs/paths.md,
docs/analytics.md).

`simulate(SimulationConfig(seed=...))` builds a help center, lets customers browse it and
returns the click events, the declared pages and the planted truth the analytics must find.
"""

from simulator.config import SimulationConfig
from simulator.generate import Simulation, simulate
from simulator.output import write_jsonl, write_truth

__all__ = ["Simulation", "SimulationConfig", "simulate", "write_jsonl", "write_truth"]
