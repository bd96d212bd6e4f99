"""Live assist: from producing a click to its record on the `assist` topic, at 2,000 clicks/s.

    .venv/bin/python -m bench.assist [--seconds 60] [--rate 2000]

The graph is loaded with simulated traffic and analysed (the figures ingest scores with);
then `pathrank ingest` runs as a process while `pathrank simulate --live`'s pacing hands the
same help center's clicks to a producer at a steady rate, each stamped with the time it is
handed over. A consumer at the end of the `assist` topic takes, for every announcement a
click caused (its `time` is that click's timestamp), the wall time of its arrival minus that
timestamp: the click's way through Kafka, the worker's batch, the graph's transaction, the
outbox and back through Kafka. Announcements of paths the watermark closed carry no click
and are left out. Measured in the steady state: the same traffic first warms the worker up
until it has caught up (its first batches plan their queries on the server and fall behind),
and the warm-up's length is reported.

Wipes the graph of the Neo4j it talks to (PATHRANK_* settings) and uses fresh topics.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from dataclasses import dataclass, field

import orjson
from confluent_kafka import OFFSET_END, Consumer, KafkaException, Producer, TopicPartition

from bench.freshness import ingesting
from bench.report import PacedRun, Section, paced_arguments, percentile, table
from graph_model.assist.record import parse_announcement
from graph_model.path.record import Outcome
from ingest.topics import ensure_topic, ensure_topics
from pathrank.settings import Settings
from pathrank.wiring import Wiring
from simulator import SimulationConfig, simulate
from simulator.live import live

SEED = 5
ANALYSED_EVENTS = 30_000
# Warm-up: at least this long, then until the worker has caught up (its group's lag under
# CAUGHT_UP_S of traffic: a fresh worker's first batches plan their queries and fall behind),
# at most WARMUP_MAX_S; the measurement is of the steady state, and the warm-up is reported.
WARMUP_S = 8.0
WARMUP_MAX_S = 120.0
CAUGHT_UP_S = 0.5
# The worker writes what it has after this long (PATHRANK_BATCH_WAIT_S; 0.5 s by default):
# a click waits at most this for its batch to start.
BATCH_WAIT_S = 0.1


@dataclass
class AssistRun(PacedRun):
    latencies_ms: list[float] = field(default_factory=list)
    closed: int = 0  # announcements of paths the watermark closed (no click to time)
    at_risk: int = 0
    load: tuple[float, float] = (0.0, 0.0)  # the machine's 1-minute load average, before/after
    warmup_s: float = 0.0
    caught_up: bool = False  # within WARMUP_MAX_S


class Listener:
    """At the end of the assist topic: each click-caused announcement's latency."""

    def __init__(self, bootstrap: str, topic: str, run: AssistRun) -> None:
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"bench-assist-{uuid.uuid4().hex[:6]}",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 10,
            }
        )
        parts = self.consumer.list_topics(topic, timeout=10).topics[topic].partitions
        self.consumer.assign([TopicPartition(topic, p, OFFSET_END) for p in parts])
        self.run, self.measuring = run, False
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._listen, daemon=True)

    def _listen(self) -> None:
        while not self.stop.is_set():
            m = self.consumer.poll(0.1)
            if m is None or m.error() is not None:
                continue
            arrived_ms = time.time() * 1000
            a = parse_announcement(m.value())
            if not self.measuring:
                continue
            if a.outcome is Outcome.ABANDONED:
                self.run.closed += 1
                continue
            self.run.at_risk += a.at_risk
            self.run.latencies_ms.append(arrived_ms - a.time)
        self.consumer.close()


class LagWatch:
    """The ingest group's lag on the click topic (end offsets minus committed), every 0.5 s."""

    def __init__(self, bootstrap: str, topic: str, group: str) -> None:
        self.consumer = Consumer(
            {"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False}
        )
        parts = self.consumer.list_topics(topic, timeout=10).topics[topic].partitions
        self.partitions = [TopicPartition(topic, p) for p in parts]
        self.lag: int | None = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self.stop.wait(0.5):
            try:
                committed = self.consumer.committed(self.partitions, timeout=5)
                lag = 0
                for tp in committed:
                    _, high = self.consumer.get_watermark_offsets(tp, timeout=5)
                    lag += high - max(tp.offset, 0)
                self.lag = lag
            except KafkaException:  # a probe that failed once says nothing
                continue
        self.consumer.close()


def measure(s: Settings, seconds: float, rate: float) -> AssistRun:
    w = Wiring(s)
    with w.driver() as driver:
        w.admin(driver).ensure_schema()
        w.admin(driver).clear()
        analysed = simulate(SimulationConfig(seed=SEED, events=ANALYSED_EVENTS))
        w.load(driver, analysed.events, analysed.pages)
        w.analysis(driver).run()
    tag = uuid.uuid4().hex[:8]
    topic, assist_topic = f"pathrank.bench.assist.{tag}", f"pathrank.bench.assist.{tag}.out"
    ensure_topics(s.kafka_bootstrap, topic, None, s.topic_partitions)
    ensure_topic(s.kafka_bootstrap, assist_topic, s.topic_partitions)
    run = AssistRun(rate=rate, seconds=seconds)
    before = os.getloadavg()[0]
    listener = Listener(s.kafka_bootstrap, assist_topic, run)
    listener.thread.start()
    stream = simulate(SimulationConfig(seed=SEED, events=int(rate * (seconds + WARMUP_MAX_S + 5))))
    producer = Producer({"bootstrap.servers": s.kafka_bootstrap, "linger.ms": 5, "acks": "all"})
    env = {"PATHRANK_ASSIST_TOPIC": assist_topic, "PATHRANK_BATCH_WAIT_S": str(BATCH_WAIT_S)}
    group = f"bench-assist-{tag}"
    watch = LagWatch(s.kafka_bootstrap, topic, group)
    with ingesting(topic, group, env):
        time.sleep(3)  # the worker joins its group
        watch.thread.start()
        started = time.monotonic()
        sent, measured_from = 0, 0.0
        for event in live(stream.events, rate, run=tag):
            now = time.monotonic() - started
            if listener.measuring and now >= measured_from + seconds:
                break
            if not listener.measuring and now >= WARMUP_S:
                lag = watch.lag
                run.caught_up = lag is not None and lag <= rate * CAUGHT_UP_S
                if run.caught_up or now >= WARMUP_MAX_S:
                    listener.measuring, sent, measured_from = True, 0, now
                    run.warmup_s = now
            key = str(event["customer_id"]).encode()
            producer.produce(topic, key=key, value=orjson.dumps(event))
            sent += 1
            if sent % 200 == 0:
                producer.poll(0)
        run.produced, run.seconds = sent, time.monotonic() - started - measured_from
        producer.flush(30)
        time.sleep(3)  # the last batches' announcements
    listener.stop.set()
    watch.stop.set()
    listener.thread.join()
    watch.thread.join()
    run.load = (before, os.getloadavg()[0])
    return run


def section(settings: Settings, quick: bool) -> Section:
    seconds, rate = (15.0, 2000.0) if quick else (60.0, 2000.0)
    run = measure(settings, seconds, rate)
    lat = run.latencies_ms
    p50 = percentile(lat, 0.5) if lat else float("nan")
    p95 = percentile(lat, 0.95) if lat else float("nan")
    warmup = (
        f"at least {WARMUP_S:.0f} s, then until the worker's lag was under {CAUGHT_UP_S:g} s of "
        "traffic"
        if run.caught_up
        else f"the worker had not caught up after {WARMUP_MAX_S:.0f} s; measured anyway"
    )
    body = "\n".join(
        [
            f"`pathrank ingest` (3 partitions, batches of up to 5,000 clicks written after at most "
            f"{BATCH_WAIT_S:g} s of waiting: `PATHRANK_BATCH_WAIT_S={BATCH_WAIT_S:g}`, live assist "
            f"on) scores a steady {rate:,.0f} clicks/s of simulated traffic (seed {SEED}; achieved "
            f"{run.achieved_rate:,.0f}/s over {run.seconds:.0f} s after {run.warmup_s:.0f} s of "
            f"warm-up at the same rate: {warmup}) with the figures of an analysis of "
            f"{ANALYSED_EVENTS:,} earlier clicks. "
            "Latency: from the moment a click is handed to the producer (its timestamp) to "
            "the arrival of the announcement it caused on the `assist` topic. The machine's "
            f"load average (1 min) was {run.load[0]:.1f} before and {run.load[1]:.1f} after "
            f"({os.cpu_count()} CPUs): a worker that cannot keep up builds a backlog, and the "
            "latency grows with the run.",
            "",
            table(
                ["announcements", "of which at risk", "p50 ms", "p95 ms", "max ms"],
                [(len(lat), run.at_risk, p50, p95, max(lat, default=float("nan")))],
            ),
        ]
    )
    ok = bool(lat) and p95 < 1000
    return Section(
        "Live assist", body, (("p95 < 1 s from a click to its assist record at 2,000/s", ok),)
    )


def main() -> None:
    args = paced_arguments(__doc__)
    run = measure(Settings(), args.seconds, args.rate)
    lat = run.latencies_ms or [float("nan")]
    print(
        f"{len(run.latencies_ms)} announcements ({run.at_risk} at risk), achieved "
        f"{run.achieved_rate:.0f} clicks/s after {run.warmup_s:.0f} s of warm-up "
        f"(caught up: {run.caught_up}); p50 {percentile(lat, 0.5):.0f} ms "
        f"p95 {percentile(lat, 0.95):.0f} ms max {max(lat):.0f} ms"
    )


if __name__ == "__main__":
    main()
