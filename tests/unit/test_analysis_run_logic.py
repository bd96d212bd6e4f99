"""Pure logic of analysis runs: the fault-injection hook, the per-request run pin, rows of
paths replaced while read, and when a lock holder counts as dead. The lock, the switch and
crashes against the real Neo4j are in tests/integration/test_analysis_runs.py."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from graph_model.path.record import Outcome, Path
from graph_model.properties import to_properties
from graph_model.reader import AnalysisPin
from graph_model.run.lock import ProcessIdentity
from graph_model.run.record import LockHolder
from graph_model.run.store import _whole_path
from pathrank.faults import Fault, InjectedFaultError, with_fault


def test_a_fault_names_a_known_step_and_action() -> None:
    assert Fault.parse("switch:raise") == Fault("switch", "raise")
    assert Fault.parse("read paths:sleep:2.5") == Fault("read paths", "sleep", 2.5)
    for bad in ("switch", "swich:raise", "switch:explode", "switch:sleep", "switch:raise:1"):
        with pytest.raises(ValueError, match="PATHRANK_ANALYSIS_FAULT must be"):
            Fault.parse(bad)
    with pytest.raises(ValueError, match="not a number"):
        Fault.parse("switch:sleep:soon")


def test_the_fault_fires_at_its_step_only_after_the_reporter() -> None:
    seen: list[str] = []
    hook = with_fault(seen.append, "stage page figures:raise")
    assert hook is not None
    hook("read paths")
    with pytest.raises(InjectedFaultError, match="stage page figures"):
        hook("stage page figures")
    assert seen == ["read paths", "stage page figures"]
    assert with_fault(seen.append, None) == seen.append


def test_the_first_read_pins_the_run_and_a_different_one_makes_the_request_stale() -> None:
    pin = AnalysisPin()
    pin.observe("a")
    assert (pin.pinned, pin.run, pin.stale) == (True, "a", False)
    pin.observe("a")
    assert not pin.stale
    pin.observe("b")  # a read that started before the pin was set found another run
    assert pin.stale
    none_yet = AnalysisPin()
    none_yet.observe(None)  # before the first analysis: pinned to "no run"
    assert (none_yet.pinned, none_yet.run) == (True, None)


def _path(**changes: object) -> dict[str, object]:
    path = Path("c:k1", "c", 1, 3, 3, Outcome.RESOLVED, 0, 0, ("a", "b", "c"), (1, 2, 3))
    return to_properties(path, skip=frozenset({"keys"})) | changes


def test_rows_of_paths_replaced_while_read_are_skipped() -> None:
    assert _whole_path(_path()) is not None
    assert _whole_path(_path(pages=None, outcome=None, id=None)) is None  # deleted meanwhile
    assert _whole_path(_path(length=4)) is None  # rewritten between two properties
    assert _whole_path(_path(timestamps=[1, 2])) is None
    assert _whole_path(_path(outcome="SOMETHING")) is None


def test_a_holder_is_gone_only_when_its_process_ran_here_and_exited() -> None:
    here = ProcessIdentity.here()
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead_pid = int(child.stdout)

    def holder(pid: int, key: str | None) -> LockHolder:
        return LockHolder("r", here.host, pid, started_at=0, heartbeat=0, process_key=key)

    if here.key is None:
        pytest.skip("no pid namespace to tell on this system")
    assert here.sees_gone(holder(dead_pid, here.key))
    assert not here.sees_gone(holder(os.getpid(), here.key))  # alive
    assert not here.sees_gone(holder(dead_pid, "another-machine"))  # cannot tell: heartbeat
    assert not here.sees_gone(holder(dead_pid, None))


def test_the_holder_line_names_run_process_and_heartbeat_age() -> None:
    h = LockHolder("abc", "box", 7, started_at=3_600_000, heartbeat=10_000)
    assert h.describe(now_ms=25_500) == (
        "analysis run abc (host box, pid 7, started 01:00:00 UTC, last heartbeat 16s ago)"
    )
