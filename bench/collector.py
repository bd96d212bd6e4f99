"""The collector against `pathrank produce`: the same Segment page events, into Kafka.

    .venv/bin/python -m bench --only collector [--quick]

- collector: `pathrank serve` with PATHRANK_WRITE_KEY set; CLIENTS concurrent HTTP clients
  post Segment batches of BATCH events to `/v1/batch` (bodies serialized before the clock
  starts, Basic auth), each answered only after Kafka acknowledged every event of it (acks=all,
  idempotent). Timed from the first request to the last answer.
- produce: the same events as a JSON Lines file of Segment messages through
  `pathrank produce FILE --format segment`, timed as a user sees it (process start included).

Both map, validate and produce the same events; both topics must then hold exactly the
events sent (end offsets) and their dead-letter topics nothing. Simulated clicks (fixed seed),
their times moved to the last week so that validation accepts them. Uses fresh topics in the
Kafka it talks to, and needs Neo4j up (`pathrank serve` checks it).
"""

from __future__ import annotations

import asyncio
import base64
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
from confluent_kafka import Consumer, TopicPartition

from bench.http_load import serve
from bench.report import Section, Throughput, percentile, table
from pathrank.settings import Settings
from simulator import SimulationConfig, simulate

SEED = 5
BATCH = 100
CLIENTS = 4
GOAL_EVENTS_S = 2_000  # a large help center's peak, with room


@dataclass(frozen=True)
class CollectorRun:
    throughput: Throughput
    latencies_ms: list[float]
    requests: int


def messages(events: int) -> list[dict[str, object]]:
    start = int(time.time() * 1000) - 8 * 24 * 3600 * 1000
    sim = simulate(SimulationConfig(seed=SEED, events=events, start_ms=start))
    return [
        {
            "type": "page",
            "userId": e["customer_id"],
            "messageId": e["event_id"],
            "timestamp": datetime.fromtimestamp(int(e["timestamp"]) / 1000, UTC).isoformat(),
            "properties": {
                "path": f"/{e['page_id']}",
                "url": f"https://help.example.com/{e['page_id']}",
            },
        }
        for e in sim.events
    ]


def end_offsets(bootstrap: str, topic: str) -> int:
    """Records on `topic` (0 when it does not exist)."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"bench-{uuid.uuid4().hex[:8]}"}
    )
    try:
        meta = consumer.list_topics(topic, timeout=10).topics.get(topic)
        if meta is None or meta.error is not None:
            return 0
        total = 0
        for partition in meta.partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            total += high - low
        return total
    finally:
        consumer.close()


async def _post_all(base: str, bodies: list[bytes], key: str) -> list[float]:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    headers = {"content-type": "application/json", "authorization": auth}
    latencies: list[float] = []

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            while not queue.empty():
                body = queue.get_nowait()
                sent = time.perf_counter()
                response = await http.post("/v1/batch", content=body, headers=headers)
                latencies.append((time.perf_counter() - sent) * 1000)
                if response.status_code != 200:
                    raise RuntimeError(
                        f"collector answered {response.status_code}: {response.text[:200]}"
                    )

    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return latencies


def run_collector(s: Settings, sent: list[dict[str, object]]) -> CollectorRun:
    topic = f"bench-collector-{uuid.uuid4().hex[:8]}"
    key = uuid.uuid4().hex
    bodies = [orjson.dumps({"batch": sent[i : i + BATCH]}) for i in range(0, len(sent), BATCH)]
    with serve(cache=True, env={"PATHRANK_WRITE_KEY": key, "PATHRANK_TOPIC": topic}) as server:
        base = server.url.removesuffix("/graphql")
        asyncio.run(_post_all(base, bodies[:5], key))  # warm-up: connections, the producer
        warm = sum(len(orjson.loads(b)["batch"]) for b in bodies[:5])
        started = time.perf_counter()
        latencies = asyncio.run(_post_all(base, bodies[5:], key))
        seconds = time.perf_counter() - started
    _check(s, topic, len(sent))
    return CollectorRun(Throughput(len(sent) - warm, seconds), latencies, len(bodies) - 5)


def run_produce(s: Settings, sent: list[dict[str, object]]) -> Throughput:
    topic = f"bench-produce-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "segment.jsonl"
        path.write_bytes(b"".join(orjson.dumps(m) + b"\n" for m in sent))
        pathrank = str(Path(sys.executable).parent / "pathrank")
        started = time.perf_counter()
        done = subprocess.run(
            [pathrank, "produce", str(path), "--format", "segment", "--topic", topic],
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
    if done.returncode != 0 or f"produced {len(sent)} events" not in done.stdout:
        raise RuntimeError(f"pathrank produce failed: {done.stdout[-300:]} {done.stderr[-500:]}")
    _check(s, topic, len(sent))
    return Throughput(len(sent), seconds)


def _check(s: Settings, topic: str, expected: int) -> None:
    got, dead = (
        end_offsets(s.kafka_bootstrap, topic),
        end_offsets(s.kafka_bootstrap, f"{topic}.dlq"),
    )
    if got != expected or dead:
        raise RuntimeError(
            f"{topic}: {got} events and {dead} dead letters, expected {expected} and 0"
        )


def section(settings: Settings, quick: bool) -> Section:
    events = 10_000 if quick else 100_000
    sent = messages(events)
    produce = run_produce(settings, sent)
    collector = run_collector(settings, sent)
    latencies = collector.latencies_ms
    rows = [
        (
            f"collector: `POST /v1/batch`, {CLIENTS} clients, {BATCH} events per request",
            collector.throughput.events,
            collector.throughput.seconds,
            collector.throughput.rate,
            f"{percentile(latencies, 0.5):.1f} / {percentile(latencies, 0.99):.1f}",
        ),
        (
            "`pathrank produce FILE --format segment` (process start included)",
            produce.events,
            produce.seconds,
            produce.rate,
            "",
        ),
    ]
    body = "\n".join(
        [
            f"{len(sent):,} simulated page views (seed {SEED}) as Segment `page` messages, into "
            "fresh 3-partition topics; both paths map, validate and produce each event (acks=all, "
            "idempotent) and both topics then held exactly these events and no dead letters. The "
            "collector's first 5 requests warm up and are not counted. `pathrank serve` (one "
            "process) and the HTTP clients (one process) share the machine's CPUs with Kafka.",
            "",
            table(["path", "events", "seconds", "events/s", "request p50 / p99 ms"], rows),
            "",
            f"Collector / produce: {collector.throughput.rate / produce.rate:.2f}x.",
        ]
    )
    goal = (
        f"the collector accepts at least {GOAL_EVENTS_S:,} events/s with Kafka's acknowledgements",
        collector.throughput.rate >= GOAL_EVENTS_S,
    )
    return Section("Collector", body, (goal,))
