"""Live assist: from producing a click to its record on the `assist` topic, at 2,000 clicks/s.

    .venv/bin/python -m bench.assist [--seconds 60] [--rate 2000]

The graph is loaded with simulated traffic and analysed (the figures ingest scores with);
then `pathrank ingest` runs as a process while `pathrank simulate --live`'s pacing hands the
same help center's clicks to a producer at a steady rate, each stamped with the time it is
handed over. A consumer at the end of the `assist` topic takes, for every announcement a
click caused (its `time` is that click's timestamp), the wall time of its arrival minus that
timestamp: the click's way through Kafka, the worker's batch, the graph's transaction, the
outbox and back through Kafka. Announcements of paths the watermark closed carry no click
and are left out.

Wipes the graph of the Neo4j it talks to (PATHRANK_* settings) and uses fresh topics.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
import uuid
from dataclasses import dataclass, field

import orjson
from confluent_kafka import OFFSET_END, Consumer, Producer, TopicPartition

from bench.freshness import ingesting
from bench.report import Section, percentile, table
from graph_model.assist.record import parse_announcement
from graph_model.path.record import Outcome
from ingest.topics import ensure_topic, ensure_topics
from pathrank.settings import Settings
from pathrank.wiring import Wiring
from simulator import SimulationConfig, simulate
from simulator.live import live

SEED = 5
ANALYSED_EVENTS = 30_000
WARMUP_S = 8.0
# The worker writes what it has after this long (PATHRANK_BATCH_WAIT_S; 0.5 s by default):
# a click waits at most this for its batch to start.
BATCH_WAIT_S = 0.1


@dataclass
class AssistRun:
    rate: float
    seconds: float
    produced: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    closed: int = 0  # announcements of paths the watermark closed (no click to time)
    at_risk: int = 0
    load: tuple[float, float] = (0.0, 0.0)  # the machine's 1-minute load average, before/after

    @property
    def achieved_rate(self) -> float:
        return self.produced / self.seconds


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
    stream = simulate(SimulationConfig(seed=SEED, events=int(rate * (seconds + WARMUP_S + 5))))
    producer = Producer({"bootstrap.servers": s.kafka_bootstrap, "linger.ms": 5, "acks": "all"})
    env = {"PATHRANK_ASSIST_TOPIC": assist_topic, "PATHRANK_BATCH_WAIT_S": str(BATCH_WAIT_S)}
    with ingesting(topic, f"bench-assist-{tag}", env):
        time.sleep(3)  # the worker joins its group
        started = time.monotonic()
        sent = 0
        for event in live(stream.events, rate, run=tag):
            now = time.monotonic() - started
            if now >= WARMUP_S + seconds:
                break
            if not listener.measuring and now >= WARMUP_S:
                listener.measuring, sent = True, 0
            key = str(event["customer_id"]).encode()
            producer.produce(topic, key=key, value=orjson.dumps(event))
            sent += 1
            if sent % 200 == 0:
                producer.poll(0)
        run.produced, run.seconds = sent, time.monotonic() - started - WARMUP_S
        producer.flush(30)
        time.sleep(3)  # the last batches' announcements
    listener.stop.set()
    listener.thread.join()
    run.load = (before, os.getloadavg()[0])
    return run


def section(settings: Settings, quick: bool) -> Section:
    seconds, rate = (15.0, 2000.0) if quick else (60.0, 2000.0)
    run = measure(settings, seconds, rate)
    lat = run.latencies_ms
    p50 = percentile(lat, 0.5) if lat else float("nan")
    p95 = percentile(lat, 0.95) if lat else float("nan")
    body = "\n".join(
        [
            f"`pathrank ingest` (3 partitions, batches of up to 5,000 clicks written after at most "
            f"{BATCH_WAIT_S:g} s of waiting: `PATHRANK_BATCH_WAIT_S={BATCH_WAIT_S:g}`, live assist "
            f"on) scores a steady {rate:,.0f} clicks/s of simulated traffic (seed {SEED}; achieved "
            f"{run.achieved_rate:,.0f}/s over {run.seconds:.0f} s after {WARMUP_S:.0f} s of "
            f"warm-up) with the figures of an analysis of {ANALYSED_EVENTS:,} earlier clicks. "
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=2000.0)
    args = parser.parse_args()
    run = measure(Settings(), args.seconds, args.rate)
    lat = run.latencies_ms or [float("nan")]
    print(
        f"{len(run.latencies_ms)} announcements ({run.at_risk} at risk), achieved "
        f"{run.achieved_rate:.0f} clicks/s; p50 {percentile(lat, 0.5):.0f} ms "
        f"p95 {percentile(lat, 0.95):.0f} ms max {max(lat):.0f} ms"
    )


if __name__ == "__main__":
    main()
