"""Synthetic help-center clickstream with planted effects (DESIGN sections 2-4, 6).

`simulate(SimulationConfig(seed=...))` builds a help center, lets customers browse it and
returns the click events, the declared pages and the planted truth the analytics must find.
"""

from ingest.simulator.config import SimulationConfig
from ingest.simulator.generate import Simulation, simulate
from ingest.simulator.output import write_jsonl, write_truth

__all__ = ["Simulation", "SimulationConfig", "simulate", "write_jsonl", "write_truth"]
