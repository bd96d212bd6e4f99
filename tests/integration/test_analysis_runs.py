"""Analysis is a unit, against the real Neo4j + GDS: one run at a time (a second one refuses
naming the holder, or waits), readers see the previous or the new complete results (never an
empty window, a partial list or a mix of runs), and a crash at any step leaves the previous
results current and is recorded (test_analysis_storm: analyses while ingest writes)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from neo4j import Driver, GraphDatabase
from neo4j.exceptions import Neo4jError, ServiceUnavailable

from algorithms.analyze import STEPS
from tests.conftest import run_cli
from tests.integration.analysis_run_helpers import (
    AFTER_SWITCH,
    POLL,
    Api,
    current_run,
    defect,
    fingerprint,
    lock_holder,
    memberships,
    page_figures,
    quiet_single_run,
)
from tests.integration.analyzed import Analyzed, load_simulation
from tests.integration.api_server import serve
from tests.integration.ingest_helpers import (
    RunningCommand,
    load_events,
    service_manager,
    wiring,
)
from tests.integration.tcp_cut import CuttableRelay

EVENTS = 6_000
SEED = 11
# The two stored states a reader could be misled by: results partly staged, and switched but
# not yet published (nothing computed is stored before the first staging step, the compute
# steps all look like "read paths", and "switch" finds them all staged).
MISLEADING_STATES = ("stage similar customers", "publish")
# `make test` cuts Neo4j off at those (a TCP relay: connections reset, new ones refused);
# `make soak` SIGKILLs Neo4j there (a restart with crash recovery, ~30 s each);
# PATHRANK_TEST_EVERY_STEP=1 kills it at every step.
KILL_STEPS = STEPS if os.environ.get("PATHRANK_TEST_EVERY_STEP") else MISLEADING_STATES
NEO4J_CRASHES = [pytest.param("cut", step, id=f"cut-{step}") for step in MISLEADING_STATES] + [
    pytest.param("kill", step, id=f"kill-{step}", marks=pytest.mark.soak) for step in KILL_STEPS
]
# A killed process leaves a GDS projection behind, part of its results staged, or all of them
# staged before the switch.
PROCESS_KILL_STEPS = (
    STEPS
    if os.environ.get("PATHRANK_TEST_EVERY_STEP")
    else ("communities (GDS)", "stage page figures", "switch")
)
# A step that raises: one of each kind in `make test` (before anything is stored, a compute
# step, the first and the last staging step, the switch, after it), every step in soak.
RAISING_STEPS = [
    pytest.param(
        step,
        marks=()
        if step
        in (
            "prepare",
            "communities (GDS)",
            "stage communities",
            "stage changes",
            "switch",
            "publish",
            "clean up",
        )
        else pytest.mark.soak,
    )
    for step in STEPS
]

# ---- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def data(neo4j_driver: Driver) -> Analyzed:
    loaded = load_simulation(neo4j_driver, events=EVENTS, seed=SEED)
    wiring().analysis(neo4j_driver).run()
    return loaded


@pytest.fixture(scope="module")
def api(services: dict[str, Any], data: Analyzed) -> Iterator[Api]:
    # The response cache off: every poll is executed against the graph.
    # The first reads after a Neo4j restart are cold: this test is about which run a response
    # shows, not about the time budget (test_api_security covers that).
    with serve(services, PATHRANK_API_CACHE="0", PATHRANK_API_TIME_BUDGET_S="120") as base:
        yield Api(base)


def _changed_clicks(data: Analyzed, tag: str, n: int = 400) -> list[dict[str, Any]]:
    """`n` clicks of new customers after every stored click, so the next run differs."""
    shift = max(int(e["timestamp"]) for e in data.events) - int(data.events[0]["timestamp"])
    return [
        {**e, "customer_id": f"{e['customer_id']}-{tag}", "event_id": None}
        | {"timestamp": int(e["timestamp"]) + shift + 60_000}
        for e in data.events[:n]
    ]


# ---- one run at a time ------------------------------------------------------------------


def _holding_run(driver: Driver) -> tuple[RunningCommand, str]:
    """`pathrank analyze` stopped (SIGSTOP) once it holds the lock, and the run it holds."""
    holder = RunningCommand({"PATHRANK_ANALYSIS_FAULT": "read paths:stop"}, "analyze")
    deadline = time.monotonic() + 120
    while (running := lock_holder(driver)) is None:
        assert time.monotonic() < deadline, "the first run never took the lock"
        assert holder.proc.poll() is None, holder.stderr
        time.sleep(0.1)
    return holder, running


def test_two_analyses_at_once_one_refuses_naming_the_holder(api: Api, neo4j_driver: Driver) -> None:
    holder, running = _holding_run(neo4j_driver)
    try:
        refused = run_cli("analyze")
    finally:
        holder.resume()
    assert holder.finish(300)[0] == 0, holder.stderr
    assert refused.returncode != 0, refused.stderr
    assert refused.stderr.strip().count("\n") == 0, refused.stderr
    assert f"analysis run {running} holds the lock" in refused.stderr, refused.stderr
    assert "--wait" in refused.stderr
    assert current_run(neo4j_driver) == running
    quiet_single_run(neo4j_driver, running)
    answer = api.served()
    assert defect(answer) is None, defect(answer)
    assert answer["latestAnalysis"]["id"] == running


def test_with_wait_the_second_analysis_runs_after_the_first(api: Api, neo4j_driver: Driver) -> None:
    first, running = _holding_run(neo4j_driver)
    second = RunningCommand({}, "analyze", "--wait", "--timeout", "300")
    try:
        # The second must find the first holding it, and say whom it waits for.
        assert second.wait_for_log(f"waiting for analysis run {running}", 120), second.stderr
    finally:
        first.resume()
    for p in (first, second):
        assert p.finish(300)[0] == 0, p.stderr
    runs = api.runs()
    latest = current_run(neo4j_driver)
    assert latest != running
    assert runs[running]["status"] == runs[latest]["status"] == "COMPLETE"
    quiet_single_run(neo4j_driver, latest)


def test_wait_gives_up_after_its_timeout_and_runanalysis_names_the_holder(
    api: Api, neo4j_driver: Driver
) -> None:
    holder, running = _holding_run(neo4j_driver)
    try:
        t0 = time.monotonic()
        waited = run_cli("analyze", "--wait", "--timeout", "1")
        assert 1 <= time.monotonic() - t0 < 30
        assert waited.returncode == 3, waited.stderr
        assert f"analysis run {running} holds the lock" in waited.stderr.splitlines()[-1]
        body = httpx.post(
            f"{api.base}/graphql", json={"query": "mutation { runAnalysis { id } }"}, timeout=60
        ).json()
        error = body["errors"][0]
        assert error["extensions"]["code"] == "CONFLICT"
        assert f"analysis run {running} holds the lock" in error["message"]
    finally:
        holder.resume()
    assert holder.finish(300)[0] == 0, holder.stderr
    quiet_single_run(neo4j_driver, current_run(neo4j_driver))


# ---- readers see one complete run ---------------------------------------------------------


def test_readers_never_see_an_empty_partial_or_mixed_result(
    api: Api, data: Analyzed, neo4j_driver: Driver
) -> None:
    answers: list[dict[str, Any]] = []
    stop = threading.Event()

    def poll() -> None:
        with httpx.Client(base_url=api.base, timeout=60) as client:
            while not stop.is_set():
                body = client.post("/graphql", json={"query": POLL}).json()
                answers.append(body.get("data") or {"errors": body.get("errors")})

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        for i in range(3):
            load_events(neo4j_driver, _changed_clicks(data, f"poll{i}-{time.time_ns()}"))
            wiring().analysis(neo4j_driver).run()
    finally:
        stop.set()
        poller.join(60)
    assert len(answers) > 30
    seen: dict[str, tuple[Any, ...]] = {}
    for answer in answers:
        assert "errors" not in answer, answer
        assert defect(answer) is None, defect(answer)
        run = answer["latestAnalysis"]["id"]
        assert seen.setdefault(run, fingerprint(answer)) == fingerprint(answer), "a mix of runs"
    assert len(seen) >= 3, "the poller saw the runs switch"


# ---- crashes ---------------------------------------------------------------------------


def _kill_neo4j(services: dict[str, Any]) -> None:
    manager = service_manager(services)
    pid = manager.neo4j.pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while manager.neo4j.pid() is not None:
        assert time.monotonic() < deadline
        time.sleep(0.1)


def _restart_neo4j(services: dict[str, Any], driver: Driver) -> None:
    # Crash recovery replays every transaction since the last checkpoint: minutes on a busy
    # machine after a long session (hence `checkpointed`).
    service_manager(services).up(timeout=900)
    deadline = time.monotonic() + 120
    while True:
        try:
            driver.verify_connectivity()
            driver.execute_query("RETURN 1")
            return
        except (ServiceUnavailable, Neo4jError, OSError):
            assert time.monotonic() < deadline
            time.sleep(0.5)


class CrashError(Exception):
    """The analysis process died with its database."""


@pytest.fixture(scope="module")
def checkpointed(services: dict[str, Any], neo4j_driver: Driver, api: Api) -> None:
    """Neo4j stopped cleanly and started again (a clean stop checkpoints; Community Neo4j has
    no checkpoint procedure), so each crash recovery replays only what followed."""
    manager = service_manager(services)
    manager.neo4j.stop()
    _restart_neo4j(services, neo4j_driver)
    api.wait_healthy()


@pytest.fixture
def relayed(services: dict[str, Any]) -> Iterator[tuple[CuttableRelay, Driver]]:
    """A driver whose connections to Neo4j go through a relay a test can cut."""
    n = services["neo4j"]
    relay = CuttableRelay(int(n["bolt_uri"].rsplit(":", 1)[1]))
    try:
        with GraphDatabase.driver(
            f"bolt://127.0.0.1:{relay.port}",
            auth=(n["user"], n["password"]),
            notifications_min_severity="OFF",
        ) as driver:
            yield relay, driver
    finally:
        relay.close()


@pytest.mark.parametrize(("crash", "step"), NEO4J_CRASHES)
def test_neo4j_lost_when_a_step_starts_leaves_a_whole_run_current(
    crash: str,
    step: str,
    request: pytest.FixtureRequest,
    api: Api,
    services: dict[str, Any],
    neo4j_driver: Driver,
    data: Analyzed,
) -> None:
    """Neo4j goes away as `step` starts: cut off behind a relay (the analysis's connections
    reset, the server keeps what it committed) or, in soak, SIGKILLed and restarted."""
    if crash == "kill":
        request.getfixturevalue("checkpointed")
    load_events(neo4j_driver, _changed_clicks(data, f"{crash}-{time.time_ns()}"))
    before = api.served()
    previous = before["latestAnalysis"]["id"]
    figures, members = page_figures(neo4j_driver), memberships(neo4j_driver)
    # The test process holds the lock, and stays alive: the next run must see the
    # heartbeat go stale.
    w = wiring(analysis_lock_stale_s=5.0)
    relay, relayed_driver = request.getfixturevalue("relayed")

    def lose(name: str) -> None:
        if name == step:
            if crash == "kill":
                _kill_neo4j(services)
            else:
                relay.cut()
            raise CrashError(name)

    analysis = w.analysis(neo4j_driver if crash == "kill" else relayed_driver, lose)
    with pytest.raises((CrashError, ServiceUnavailable)):
        analysis.run()
    if crash == "kill":
        _restart_neo4j(services, neo4j_driver)
        api.wait_healthy()
    else:
        relay.restore()
    after = api.served()
    assert defect(after) is None, defect(after)
    if step in AFTER_SWITCH:  # the new run was current before the crash
        assert after["latestAnalysis"]["id"] == analysis.run_id
    else:
        assert after == before
        assert page_figures(neo4j_driver) == figures
        assert memberships(neo4j_driver) == members
    assert api.runs()[analysis.run_id]["status"] == (
        "COMPLETE" if step in AFTER_SWITCH else "RUNNING"
    )
    # The crashed run's lock stays until its heartbeat is stale (5 s after the crash, which
    # a quick restart can beat): the next run waits for it.
    nxt = w.analysis(neo4j_driver, wait_s=60.0).run()
    runs = api.runs()
    assert runs[nxt.id]["status"] == "COMPLETE"
    if step not in AFTER_SWITCH:
        assert runs[analysis.run_id]["status"] == "FAILED"
        assert "heartbeat" in runs[analysis.run_id]["error"]
    assert previous in runs
    quiet_single_run(neo4j_driver, nxt.id)
    assert defect(api.served()) is None


@pytest.mark.parametrize("step", PROCESS_KILL_STEPS)
def test_an_analysis_process_killed_at_a_step_leaves_a_whole_run_current(
    step: str, api: Api, neo4j_driver: Driver
) -> None:
    before, known = api.served(), set(api.runs())
    killed = run_cli("analyze", env={"PATHRANK_ANALYSIS_FAULT": f"{step}:kill"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    (dead,) = set(api.runs()) - known
    after = api.served()
    assert defect(after) is None, defect(after)
    if step in AFTER_SWITCH:
        assert after["latestAnalysis"]["id"] == dead
    else:
        assert after == before
        assert api.runs()[dead]["status"] == "RUNNING"
    # The holder's process is gone from this machine: the next run takes the lock at once.
    nxt = run_cli("analyze")
    assert nxt.returncode == 0, nxt.stderr
    runs = api.runs()
    current = current_run(neo4j_driver)
    assert runs[current]["status"] == "COMPLETE"
    assert current != dead
    if step in AFTER_SWITCH:
        assert runs[dead]["status"] == "COMPLETE"
    else:
        assert runs[dead]["status"] == "FAILED"
        assert "is gone" in runs[dead]["error"], runs[dead]
    quiet_single_run(neo4j_driver, current)


@pytest.mark.parametrize("step", RAISING_STEPS)
def test_an_analysis_that_raises_at_any_step_is_failed_and_changes_nothing(
    step: str, api: Api, neo4j_driver: Driver
) -> None:
    before = api.served()
    figures = page_figures(neo4j_driver)

    def fail(name: str) -> None:
        if name == step:
            raise RuntimeError(f"failed at {name}")

    analysis = wiring().analysis(neo4j_driver, fail)
    with pytest.raises(RuntimeError, match="failed at"):
        analysis.run()
    after = api.served()
    record = api.runs()[analysis.run_id]
    if step in AFTER_SWITCH:  # switched: the run is complete, its results current
        assert record["status"] == "COMPLETE"
        assert after["latestAnalysis"]["id"] == analysis.run_id
    else:
        assert (record["status"], record["error"]) == ("FAILED", f"failed at {step}")
        assert after == before
        assert page_figures(neo4j_driver) == figures
    assert record["watermark"] is not None
    assert defect(after) is None
    assert lock_holder(neo4j_driver) is None
