"""`--until-idle S` (docs/ingest.md, "Stopping"): when the worker may exit.

Idle means: every partition assigned to the worker during the run is read to its end and
committed by the group, nothing is in flight, and that has held for S seconds (a batch being
written is activity, however long it takes; so is an outage, during which nothing can be
told). While the click topic still has records the group has not committed in partitions
other members hold, the worker waits S + 30 s: a member that died holds its partitions until
its 10-second session times out, and then they come to this worker. A partition that has
lag and that no other member holds keeps the worker running: a single worker never exits
while any partition of the topic has lag.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any, Final

from confluent_kafka import KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from ingest.offsets import TopicOffsets, behind

log = logging.getLogger("ingest")

# How long past S the worker waits for partitions other members hold (or, holding none, for
# an assignment): the 10-second session timeout of a dead member, and its rebalance.
GRACE_S: Final = 30.0


class IdleWatch:
    def __init__(
        self,
        limit_s: float,
        offsets: Mapping[str, TopicOffsets],
        click_topic: str,
        kafka: Mapping[str, Any],
        group: str,
    ) -> None:
        """`offsets`: of every topic the worker reads; `click_topic`: the one whose lag
        decides the grace; `kafka` (an admin client's settings) and `group`: to see which
        members hold what."""
        self._limit_s = limit_s
        self._offsets = offsets
        self._click_topic = click_topic
        self._kafka = dict(kafka)
        self._group = group
        self._since = time.monotonic()
        self._holding = False
        self._assigned: set[tuple[str, int]] = set()
        self.member_id: str | None = None  # this worker's, set by the caller once it joined

    def activity(self) -> None:
        """A record consumed, a batch committed, an outage: the idle time starts again."""
        self._since = time.monotonic()

    def assigned(self, partitions: Iterable[TopicPartition]) -> None:
        held = [(tp.topic, tp.partition) for tp in partitions]
        self._assigned.update(held)
        self._holding = bool(held)
        self.activity()

    def revoked(self) -> None:
        self._holding = False
        self.activity()

    def idle(self) -> bool:
        """Whether the worker may exit now (call with nothing in flight)."""
        waited = time.monotonic() - self._since
        if waited < self._limit_s:
            return False
        if not self._mine_done():
            self.activity()
            return False
        lagging = [p for p, e in self._offsets[self._click_topic].ends().items() if behind(e)]
        if lagging and not self._held_by_others(lagging):
            self.activity()
            return False
        if lagging or not self._holding:
            return waited >= self._limit_s + GRACE_S
        return True

    def _mine_done(self) -> bool:
        """Every partition assigned during the run read to its end and committed."""
        for topic, offsets in self._offsets.items():
            mine = [p for t, p in self._assigned if t == topic]
            if not mine:
                continue
            ends = offsets.ends(mine)
            if len(ends) < len(mine) or any(behind(e) for e in ends.values()):
                return False
        return True

    def _held_by_others(self, partitions: list[int]) -> bool:
        """Whether other members of the group hold every one of `partitions`."""
        try:
            # A new client each time: one that asked during an outage kept failing after it.
            admin = AdminClient(self._kafka)
            future = admin.describe_consumer_groups([self._group], request_timeout=5.0)
            group = future[self._group].result(timeout=10.0)
        except (KafkaException, TimeoutError):
            return False  # cannot tell: not idle
        held = {
            tp.partition
            for member in group.members
            if member.member_id != self.member_id
            for tp in member.assignment.topic_partitions
            if tp.topic == self._click_topic
        }
        return set(partitions) <= held
