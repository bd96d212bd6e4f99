"""Freshness: how long after a resolving click is produced does GraphQL `pathStats` count it?

    .venv/bin/python -m bench.freshness [--seconds 60] [--rate 2000]

What runs is what a user runs: `pathrank ingest` (no --until-idle) and `pathrank serve` as
processes, a producer replaying simulated clicks at a steady rate with live timestamps, and
a prober. The prober sends one probe at a time: a new customer's click and, 1 s of event
time later, its resolving click; the clock starts when the resolving click is handed to the
producer and stops when `pathStats { resolved }` first reaches the probe's number.
Background clicks carry no resolutions (their paths stay OPEN), so `resolved` moves only
with the probes and each observation belongs to exactly one probe; they still load the
worker with appends, new paths and transition updates at the chosen rate.

Wipes the graph of the Neo4j it talks to (PATHRANK_* settings) and uses a fresh topic.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
from confluent_kafka import Producer

from bench.http_load import serve
from bench.report import PacedRun, Section, paced_arguments, percentile, table
from ingest.topics import ensure_topics
from pathrank.settings import Settings
from pathrank.wiring import Wiring
from simulator import SimulationConfig, simulate

POLL_S = 0.02
PROBE_TIMEOUT_S = 30.0
RESOLVED = "{ pathStats { resolved } }"


@dataclass
class FreshnessRun(PacedRun):
    latencies_s: list[float] = field(default_factory=list)
    missed: int = 0
    poll_ms: list[float] = field(default_factory=list)


class Background:
    """Replays simulated clicks at `rate` events/s with live timestamps, no resolutions."""

    def __init__(self, producer: Producer, topic: str, rate: float, events: int) -> None:
        self.producer, self.topic, self.rate = producer, topic, rate
        sim = simulate(SimulationConfig(seed=11, events=events))
        self.events = sorted(sim.events, key=lambda e: int(str(e["timestamp"])))
        self.sent = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        tick = 0.01  # 10 ms slices: a steady stream, not bursts
        started = time.monotonic()
        while not self.stop.is_set() and self.sent < len(self.events):
            due = int((time.monotonic() - started) * self.rate)
            now_ms = int(time.time() * 1000)
            while self.sent < min(due, len(self.events)):
                e = dict(self.events[self.sent])
                e["timestamp"], e["is_resolved"] = now_ms, False
                self.producer.produce(self.topic, key=str(e["customer_id"]), value=orjson.dumps(e))
                self.sent += 1
            self.producer.poll(0)
            time.sleep(tick)


def _probe_events(number: int, run_id: str) -> tuple[bytes, bytes, bytes]:
    customer = f"probe-{run_id}-{number}"
    now_ms = int(time.time() * 1000)
    first = {"customer_id": customer, "page_id": "p000", "timestamp": now_ms - 1000}
    last = {"customer_id": customer, "page_id": "p001", "timestamp": now_ms, "is_resolved": True}
    return customer.encode(), orjson.dumps(first), orjson.dumps(last)


def _resolved(http: httpx.Client, url: str, run: FreshnessRun) -> int:
    t0 = time.perf_counter()
    body = http.post(url, json={"query": RESOLVED}).json()
    run.poll_ms.append((time.perf_counter() - t0) * 1000)
    return int(body["data"]["pathStats"]["resolved"])


def probe(url: str, producer: Producer, topic: str, run: FreshnessRun, until: float) -> None:
    run_id = uuid.uuid4().hex[:6]
    rng = random.Random(5)
    number = 0
    with httpx.Client(timeout=10) as http:
        while time.monotonic() < until:
            number += 1
            key, first, last = _probe_events(number, run_id)
            producer.produce(topic, key=key, value=first)
            producer.produce(topic, key=key, value=last)
            started = time.monotonic()
            producer.poll(0)
            while _resolved(http, url, run) < number:
                if time.monotonic() - started > PROBE_TIMEOUT_S:
                    run.missed += 1
                    return  # the count can no longer be attributed: stop probing
                time.sleep(POLL_S)
            run.latencies_s.append(time.monotonic() - started)
            time.sleep(rng.uniform(0.1, 0.4))  # desynchronise probes from the worker's batches


@contextmanager
def ingesting(topic: str, group: str, env: dict[str, str] | None = None) -> Iterator[None]:
    pathrank = str(Path(sys.executable).parent / "pathrank")
    log = tempfile.NamedTemporaryFile(prefix="pathrank-ingest-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        [pathrank, "ingest", "--topic", topic, "--group", group],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    try:
        yield
        if proc.poll() is not None:
            sys.exit(f"pathrank ingest exited early: {Path(log.name).read_text()[-2000:]}")
    finally:
        proc.terminate()
        proc.wait(60)
        log.close()


def measure(s: Settings, seconds: float, rate: float) -> FreshnessRun:
    w = Wiring(s)
    with w.driver() as driver:
        w.admin(driver).ensure_schema()
        w.admin(driver).clear()
    topic = f"pathrank.bench.freshness.{uuid.uuid4().hex[:8]}"
    ensure_topics(s.kafka_bootstrap, topic, None, s.topic_partitions)
    producer = Producer({"bootstrap.servers": s.kafka_bootstrap, "linger.ms": 5, "acks": "all"})
    run = FreshnessRun(rate=rate, seconds=seconds)
    warmup_s = 8.0  # consumer-group join and the first batches
    background = Background(producer, topic, rate, int(rate * (seconds + warmup_s + 10)))
    # The response cache on, as `pathrank serve` runs by default: each batch bumps the version.
    with serve(cache=True) as server, ingesting(topic, f"bench-freshness-{topic}"):
        background.thread.start()
        time.sleep(warmup_s)
        sent_before = background.sent
        t0 = time.monotonic()
        probe(server.url, producer, topic, run, t0 + seconds)
        run.seconds = time.monotonic() - t0
        run.produced = background.sent - sent_before
        background.stop.set()
        background.thread.join()
        producer.flush(30)
    return run


def section(settings: Settings, quick: bool) -> Section:
    seconds, rate = (15.0, 2000.0) if quick else (60.0, 2000.0)
    run = measure(settings, seconds, rate)
    lat_ms = [x * 1000 for x in run.latencies_s]
    p50 = percentile(lat_ms, 0.5) if lat_ms else float("nan")
    p95 = percentile(lat_ms, 0.95) if lat_ms else float("nan")
    body = "\n".join(
        [
            f"A producer replays simulated clicks at a steady {rate:,.0f} events/s for "
            f"{run.seconds:.0f} s (achieved {run.achieved_rate:,.0f} events/s) into "
            "`pathrank ingest` (3 partitions, default batch settings) while `pathrank serve` "
            "answers (response cache on, as by default). One probe at a time: a resolving "
            "click is produced, then GraphQL "
            f"`pathStats {{ resolved }}` is polled every {POLL_S * 1000:.0f} ms until it "
            "counts it.",
            "",
            table(
                [
                    "probes",
                    "missed (> 30 s)",
                    "p50 ms",
                    "p95 ms",
                    "max ms",
                    "pathStats poll p50 ms",
                ],
                [
                    (
                        len(lat_ms),
                        run.missed,
                        p50,
                        p95,
                        max(lat_ms, default=float("nan")),
                        percentile(run.poll_ms, 0.5) if run.poll_ms else float("nan"),
                    )
                ],
            ),
            "",
            "The latency includes the poll interval and the `pathStats` query itself (it "
            "aggregates every Path), so the time until the write is visible is a little less.",
        ]
    )
    ok = bool(lat_ms) and run.missed == 0 and p95 < 2000
    return Section("Freshness", body, (("p95 < 2 s from resolving click to pathStats", ok),))


def main() -> None:
    args = paced_arguments(__doc__)
    run = measure(Settings(), args.seconds, args.rate)
    lat = [x * 1000 for x in run.latencies_s] or [float("nan")]
    print(
        f"{len(lat)} probes, missed {run.missed}, achieved {run.achieved_rate:.0f} ev/s; "
        f"p50 {percentile(lat, 0.5):.0f} ms p95 {percentile(lat, 0.95):.0f} ms "
        f"max {max(lat):.0f} ms"
    )


if __name__ == "__main__":
    main()
