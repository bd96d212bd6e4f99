"""When `--until-idle S` may exit (docs/ingest.md, "Stopping"): pure logic, Kafka's answers
given by hand (a fake of what the admin client reports), the clock moved by hand."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import pytest
from confluent_kafka import TopicPartition

from graph_model.path.watermark import PartitionEnds
from ingest import idle
from ingest.idle import GRACE_S, IdleWatch

S = 5.0
ADMIN: list[Any] = []  # what the admin client the watch makes reports


@dataclass
class Offsets:
    """What Kafka says of a topic: end and committed offsets by partition."""

    ends_by: dict[int, PartitionEnds] = field(default_factory=dict)

    def ends(self, partitions: Iterable[int] | None = None) -> dict[int, PartitionEnds]:
        wanted = self.ends_by.keys() if partitions is None else partitions
        return {p: self.ends_by[p] for p in wanted if p in self.ends_by}


@dataclass
class Member:
    member_id: str
    assignment: Any


@dataclass
class Admin:
    """Which member holds which partitions of "clicks"."""

    held: dict[str, list[int]] = field(default_factory=dict)

    def describe_consumer_groups(self, groups: list[str], request_timeout: float) -> Any:
        @dataclass
        class Assignment:
            topic_partitions: list[TopicPartition]

        @dataclass
        class Group:
            members: list[Member]

        future: Future[Group] = Future()
        members = [
            Member(m, Assignment([TopicPartition("clicks", p) for p in ps]))
            for m, ps in self.held.items()
        ]
        future.set_result(Group(members))
        return {groups[0]: future}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    monkeypatch.setattr(idle, "AdminClient", lambda _settings: ADMIN[0])
    c = Clock()
    monkeypatch.setattr(idle.time, "monotonic", c)
    return c


def watch(clicks: Offsets, admin: Admin) -> IdleWatch:
    ADMIN[:] = [admin]
    w = IdleWatch(S, {"clicks": clicks, "pages": Offsets({0: PartitionEnds(0, 0)})}, "clicks",
                  {}, "group")  # type: ignore[arg-type]  # fmt: skip
    w.member_id = "me"
    return w


def done(high: int) -> PartitionEnds:
    return PartitionEnds(0, high, committed=high)


def test_idle_after_s_seconds_when_everything_assigned_is_read_and_committed(clock: Clock) -> None:
    clicks = Offsets({0: done(10), 1: done(5), 2: done(7)})
    w = watch(clicks, Admin({"me": [0, 1, 2]}))
    w.assigned([TopicPartition("clicks", p) for p in (0, 1, 2)])
    clock.now += S - 0.1
    assert not w.idle()
    clock.now += 0.1
    assert w.idle()


def test_a_partition_assigned_with_records_left_is_never_idle_time(clock: Clock) -> None:
    """A slow batch, a fetch that returned nothing yet: records left means not idle, however
    long nothing arrived."""
    clicks = Offsets({0: done(10), 1: PartitionEnds(0, 9, committed=4)})
    w = watch(clicks, Admin({"me": [0, 1]}))
    w.assigned([TopicPartition("clicks", 0), TopicPartition("clicks", 1)])
    for _ in range(10):
        clock.now += 100
        assert not w.idle()
    clicks.ends_by[1] = done(9)  # read and committed
    clock.now += S
    assert w.idle()


def test_partitions_assigned_once_count_after_they_moved_away(clock: Clock) -> None:
    clicks = Offsets({0: done(10), 1: PartitionEnds(0, 9, committed=None)})
    w = watch(clicks, Admin({"me": [0], "other": [1]}))
    w.assigned([TopicPartition("clicks", 0), TopicPartition("clicks", 1)])
    w.revoked()
    w.assigned([TopicPartition("clicks", 0)])
    clock.now += S + GRACE_S + 1
    assert not w.idle()  # partition 1 was this worker's: its records are not committed


def test_lag_no_other_member_holds_keeps_a_single_worker_running(clock: Clock) -> None:
    clicks = Offsets({0: done(10), 1: PartitionEnds(0, 9, committed=None)})
    w = watch(clicks, Admin({"me": [0]}))  # nobody holds 1 (yet)
    w.assigned([TopicPartition("clicks", 0)])
    for _ in range(5):
        clock.now += S + GRACE_S
        assert not w.idle()


def test_lag_another_member_holds_is_waited_for_s_plus_the_grace(clock: Clock) -> None:
    """A member that died holds its partitions until its session times out; within the grace
    they come to this worker. A member that lives holds them: then the worker may go."""
    clicks = Offsets({0: done(10), 1: PartitionEnds(0, 9, committed=3)})
    w = watch(clicks, Admin({"me": [0], "other": [1]}))
    w.assigned([TopicPartition("clicks", 0)])
    clock.now += S
    assert not w.idle()
    clock.now += GRACE_S
    assert w.idle()


def test_an_unknown_partition_is_not_read(clock: Clock) -> None:
    clicks = Offsets({0: done(10)})  # Kafka said nothing of 1
    w = watch(clicks, Admin({"me": [0, 1]}))
    w.assigned([TopicPartition("clicks", 0), TopicPartition("clicks", 1)])
    clock.now += 10 * (S + GRACE_S)
    assert not w.idle()


def test_activity_starts_the_idle_time_again(clock: Clock) -> None:
    w = watch(Offsets({0: done(1)}), Admin({"me": [0]}))
    w.assigned([TopicPartition("clicks", 0)])
    clock.now += S - 1
    w.activity()  # a batch committed, after a write longer than S
    clock.now += S - 1
    assert not w.idle()
    clock.now += 1
    assert w.idle()


def test_without_partitions_it_waits_for_an_assignment_s_plus_the_grace(clock: Clock) -> None:
    w = watch(Offsets({0: done(3)}), Admin({"other": [0]}))
    clock.now += S + GRACE_S - 1
    assert not w.idle()
    clock.now += 1
    assert w.idle()
