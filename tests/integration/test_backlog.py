"""A backlog on three partitions with retention on, read by real workers (docs/paths.md, "The
watermark", "Allowed lateness", "Retention"): in time order and sorted by customer, by one
worker, by two workers of different speeds, by a worker killed and restarted. Each gives
exactly the graph that in-order ingestion without retention gives (the independent
reference: paths, outcomes, transitions, turnarounds, visits, markers), no event is too
late, and every partition's high mark and the watermark end at its latest event.

The fast tier runs the smallest backlog where retention compacts while ingest goes on; the
soak tier runs 200,000 events and real SIGKILLs at random points."""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass

import pytest

from tests.conftest import run_cli
from tests.integration.backlog import (
    ENV,
    Backlog,
    expected_graph,
    expected_marks,
    marks,
    produce_backlog,
    simulated,
    stored_graph,
)
from tests.integration.ingest_helpers import (
    RunningIngest,
    TestGraph,
    ingest_until_idle,
    read_dead_letters,
)
from tests.tiers import tiered

TIME_ORDER, BY_CUSTOMER = "time order", "by customer"


@dataclass(frozen=True)
class Size:
    events: int
    days: float
    batch: str  # --batch-size


@pytest.fixture(
    scope="module",
    params=tiered(Size(2_500, 6, "250"), Size(200_000, 10, "2000"), "backlog-"),
)
def size(request: pytest.FixtureRequest) -> Size:
    """The smallest backlog where retention compacts while ingest goes on; the issue's."""
    found: Size = request.param
    return found


@pytest.fixture(scope="module")
def backlogs(size: Size, kafka_bootstrap: str) -> dict[str, tuple[str, Backlog]]:
    """The same events on two topics: produced in time order, and sorted by customer."""
    events = simulated(size.events, size.days)
    out = {}
    for order in (TIME_ORDER, BY_CUSTOMER):
        topic = f"backlog-{uuid.uuid4().hex[:8]}"
        out[order] = (topic, produce_backlog(kafka_bootstrap, topic, events, order == BY_CUSTOMER))
    return out


@dataclass(frozen=True)
class Case:
    """One order of the backlog, and the environment of the workers reading it."""

    topic: str
    backlog: Backlog
    env: dict[str, str]
    batch: str  # --batch-size


@pytest.fixture
def case(
    names: dict[str, str], backlogs: dict[str, tuple[str, Backlog]], order: str, size: Size
) -> Case:
    topic, backlog = backlogs[order]
    return Case(topic, backlog, {**names, **ENV, "PATHRANK_TOPIC": topic}, size.batch)


def written(store: TestGraph, topic: str) -> int:
    """Records the graph holds the batches of (its partitions' marks)."""
    return sum(offset for _, offset in marks(store.driver, topic)[1].values())


def check(store: TestGraph, case: Case, kafka_bootstrap: str) -> None:
    got = stored_graph(store.driver)
    assert got.graph == expected_graph(case.backlog.events)
    assert got.compacted > 0  # retention compacted while ingest went on
    watermark, stored = marks(store.driver, case.topic)
    assert stored == expected_marks(case.backlog)
    assert watermark == case.backlog.watermark
    read_dead_letters(kafka_bootstrap, f"{case.topic}.dlq", 0)  # nothing too late, nor else


@pytest.mark.parametrize("order", [TIME_ORDER, BY_CUSTOMER])
def test_one_worker_reads_a_backlog_into_the_in_order_graph(
    store: TestGraph, kafka_bootstrap: str, case: Case
) -> None:
    result = ingest_until_idle(case.env, "--batch-size", case.batch)
    assert f"; 0 too late; 0 events of {case.topic} left unread by the group" in result.stdout
    check(store, case, kafka_bootstrap)


@pytest.mark.parametrize("order", [pytest.param(TIME_ORDER, marks=pytest.mark.soak), BY_CUSTOMER])
def test_two_workers_of_different_speeds_give_the_same_graph(
    store: TestGraph, kafka_bootstrap: str, case: Case
) -> None:
    env = case.env
    # The slow one writes half-size batches and sleeps 0.3 s in each write: slower by far,
    # and at 200,000 events still minutes, not the quarter hour batches of 100 would take.
    slow = RunningIngest(
        env | {"PATHRANK_INGEST_FAULT": "write:sleep:0.3"},
        "--batch-size",
        str(int(case.batch) // 2),
        "--until-idle",
        "2",
    )
    fast = RunningIngest(env, "--batch-size", case.batch, "--until-idle", "2")
    try:
        fast_code, fast_out = fast.finish(timeout=900)
        slow_code, slow_out = slow.finish(timeout=900)
    finally:
        fast.kill()
        slow.kill()
    assert (fast_code, slow_code) == (0, 0), (fast.stderr[-2000:], slow.stderr[-2000:])
    assert "; 0 too late;" in fast_out
    assert "; 0 too late;" in slow_out
    check(store, case, kafka_bootstrap)


@pytest.mark.parametrize("order", [TIME_ORDER, pytest.param(BY_CUSTOMER, marks=pytest.mark.soak)])
def test_a_worker_killed_between_its_write_and_its_commit_resumes_to_the_same_graph(
    store: TestGraph, kafka_bootstrap: str, case: Case
) -> None:
    """The fast sibling of the soak test below: the process SIGKILLs itself once its second
    batch is in the graph, before that batch's offsets are committed (pathrank.faults)."""
    fault = {"PATHRANK_INGEST_FAULT": "written@2:kill"}
    killed = run_cli("ingest", "--batch-size", case.batch, env=case.env | fault)
    assert killed.returncode == -9, killed.stderr[-2000:]
    ingest_until_idle(case.env, "--batch-size", case.batch, timeout=900)
    check(store, case, kafka_bootstrap)


@pytest.mark.soak
@pytest.mark.parametrize("order", [TIME_ORDER, BY_CUSTOMER])
def test_a_worker_sigkilled_three_times_and_restarted_gives_the_same_graph(
    store: TestGraph, kafka_bootstrap: str, case: Case
) -> None:
    rng = random.Random(case.topic)
    total = len(case.backlog.events)
    for n in range(3):
        worker = RunningIngest(case.env, "--batch-size", case.batch)
        target = total * (n + 1) // 4 + rng.randrange(total // 10)
        deadline = time.monotonic() + 900
        try:
            while written(store, case.topic) < target and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            worker.kill()  # SIGKILL, wherever it is
        assert worker.proc.returncode == -9
    ingest_until_idle(case.env, "--batch-size", case.batch, timeout=1800)
    check(store, case, kafka_bootstrap)
