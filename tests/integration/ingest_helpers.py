"""Shared helpers for the ingest tests: topics, graph snapshots, and a reference.

`reference` restates the path rules of docs/paths.md from scratch, on plain dicts, without
calling the product's path code: if ingest and this reference disagree, one of them has the
rules wrong.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path as FilePath
from typing import IO, Any

import orjson
from confluent_kafka import Consumer, Message, Producer
from neo4j import Driver

from graph_model.admin import GraphCounts
from graph_model.path.record import Path, PathStats
from graph_model.properties import from_properties, properties_of
from pathrank.services.kafka_server import KafkaConfig
from pathrank.services.manager import ServiceManager
from pathrank.services.neo4j_server import Neo4jConfig
from pathrank.settings import Settings
from pathrank.wiring import Wiring
from tests.conftest import PATHRANK, REPO, run_cli

TIMEOUT_MS = 30 * 60 * 1000
NOW_MS = 1_900_000_000_000  # validation's "now": far after every test timestamp
QUICK_MS = 10_000


def fresh_names() -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    return {
        "PATHRANK_TOPIC": f"clicks-{tag}",
        "PATHRANK_PAGES_TOPIC": f"pages-{tag}",
        "PATHRANK_GROUP": f"group-{tag}",
        "PATHRANK_ASSIST_TOPIC": f"assist-{tag}",
    }


def wiring(**settings: Any) -> Wiring:
    """The product's wiring with the test timeout (and the connection of the test servers,
    from the PATHRANK_* environment)."""
    return Wiring(Settings(inactivity_timeout_s=TIMEOUT_MS / 1000, **settings))


def produce_raw(
    bootstrap: str,
    topic: str,
    records: Iterable[tuple[bytes | None, bytes | None]],
    max_message_bytes: int | None = None,
) -> int:
    config: dict[str, Any] = {"bootstrap.servers": bootstrap, "acks": "all"}
    config["enable.idempotence"] = True
    if max_message_bytes is not None:  # records over the producer's default 1,000,000 bytes
        config["message.max.bytes"] = max_message_bytes
    producer = Producer(config)
    n = 0
    for key, value in records:
        producer.produce(topic, key=key, value=value)
        n += 1
    assert producer.flush(60) == 0
    return n


def produce_events(bootstrap: str, topic: str, events: Iterable[Mapping[str, Any]]) -> int:
    return produce_raw(
        bootstrap, topic, ((str(e["customer_id"]).encode(), orjson.dumps(e)) for e in events)
    )


def read_dead_letters(bootstrap: str, topic: str, expected: int) -> list[Message]:
    """Every record of a DLQ topic: exactly `expected` of them (waits up to 30 s for them)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"{topic}-reader-{uuid.uuid4().hex[:6]}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    letters: list[Message] = []
    deadline = time.monotonic() + 30
    while len(letters) < expected and time.monotonic() < deadline:
        m = consumer.poll(1.0)
        if m is not None and m.error() is None:
            letters.append(m)
    extra = consumer.poll(2.0)  # nothing more than expected
    consumer.close()
    assert extra is None or extra.error() is not None, "more dead letters than expected"
    assert len(letters) == expected, f"{len(letters)} dead letters, expected {expected}"
    return letters


def headers_of(m: Message) -> dict[str, str]:
    return {name: (value or b"").decode() for name, value in m.headers() or []}


class RunningCommand:
    """A `pathrank` command in the background, its output collected as it is written."""

    def __init__(self, env: Mapping[str, str], *args: str) -> None:
        self.proc = subprocess.Popen(
            [PATHRANK, *args],
            env={**os.environ, **env},
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._out: list[str] = []
        self._err: list[str] = []
        assert self.proc.stdout is not None
        assert self.proc.stderr is not None
        self._readers = [
            threading.Thread(target=_collect, args=(stream, lines), daemon=True)
            for stream, lines in ((self.proc.stdout, self._out), (self.proc.stderr, self._err))
        ]
        for reader in self._readers:
            reader.start()

    @property
    def stderr(self) -> str:
        return "".join(self._err)

    def wait_for_log(self, text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if text in self.stderr:
                return True
            time.sleep(0.2)
        return text in self.stderr

    def finish(self, timeout: float) -> tuple[int, str]:
        """Wait for the exit: (exit code, stdout)."""
        code = self.proc.wait(timeout)
        for reader in self._readers:
            reader.join(5)
        return code, "".join(self._out)

    def terminate(self, timeout: float = 60) -> float:
        """SIGTERM; the seconds until the process exited."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout)
        return time.monotonic() - started

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)

    def resume(self) -> None:
        """SIGCONT: a process that stopped itself (PATHRANK_ANALYSIS_FAULT `stop`) goes on."""
        self.proc.send_signal(signal.SIGCONT)


class RunningIngest(RunningCommand):
    """`pathrank ingest` in the background."""

    def __init__(self, env: Mapping[str, str], *args: str) -> None:
        super().__init__(env, "ingest", *args)


def _collect(stream: IO[str], lines: list[str]) -> None:
    for line in stream:
        lines.append(line)


def ingest_until_idle(
    env: Mapping[str, str], *extra: str, idle: str = "3", timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """`pathrank ingest --until-idle`, which must exit 0."""
    result = run_cli("ingest", "--until-idle", idle, *extra, env=dict(env), timeout=timeout)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def start_ingest(env: Mapping[str, str], *args: str) -> RunningIngest:
    """`pathrank ingest` with small batches (so a kill lands between batches)."""
    return RunningIngest(env, "--batch-size", "500", *args)


def service_manager(services: Mapping[str, Any]) -> ServiceManager:
    """The manager of the test servers, to stop, kill and restart them."""
    n = services["neo4j"]
    return ServiceManager(
        cache_dir=FilePath(services["cache_dir"]),
        neo4j=Neo4jConfig(
            bolt_port=int(n["bolt_uri"].rsplit(":", 1)[1]),
            http_port=int(n["http_url"].rsplit(":", 1)[1]),
            user=n["user"],
            heap=os.environ.get("PATHRANK_NEO4J_HEAP", "4g"),
            pagecache=os.environ.get("PATHRANK_NEO4J_PAGECACHE", "2g"),
        ),
        kafka=KafkaConfig(
            port=int(services["kafka"]["bootstrap"].rsplit(":", 1)[1]),
            controller_port=int(os.environ.get("PATHRANK_KAFKA_CONTROLLER_PORT", "9093")),
            heap=os.environ.get("PATHRANK_KAFKA_HEAP", "1g"),
        ),
    )


# (customer, pages, outcome, start, length, turnarounds, segments, time of the ending marker)
PathSummary = tuple[str, tuple[str, ...], str, int, int, int, tuple[str, ...], int | None]

# What each marker type ends a path as (docs/paths.md, rule 6).
MARKER_OUTCOMES = {"resolution": "RESOLVED", "escalation": "ESCALATED"}


@dataclass(frozen=True)
class Snapshot:
    """The parts of the graph docs/graph-model.md defines, in comparable form."""

    paths: frozenset[PathSummary]
    transitions: dict[tuple[str, str], tuple[int, int]]
    visited: dict[tuple[str, str], int]
    clicks: int
    markers: int = 0
    orphan_markers: int = 0
    # Each path's click times, by (customer, start); the reference fills it, the graph's
    # snapshot does not, and equality ignores it.
    times: dict[tuple[str, int], tuple[int, ...]] = field(default_factory=dict, compare=False)


def snapshot(driver: Driver) -> Snapshot:
    graph = TestGraph(driver)
    walked = graph.walked_paths()
    for w in walked:  # the FIRST/NEXT/LAST chain walks exactly the path's clicks
        assert w.chain_pages == w.path.pages, w
        assert w.chain_keys == w.path.keys, w
        assert len(w.path.keys) == w.path.length
        # The Path's own properties say what its relationships say.
        assert w.path.segments == w.in_segments, w
        if w.ended_by is None:
            assert w.path.ended_by is None, w
        else:
            key, kind, _ = w.ended_by
            assert (w.path.ended_by, w.path.outcome.value) == (key, MARKER_OUTCOMES[kind]), w
    records, _, _ = driver.execute_query(READ_MARKERS)
    [row] = records
    assert row["badSegments"] == 0, "a Segment's key and value do not make its id"
    return Snapshot(
        paths=frozenset(
            (
                w.path.customer_id,
                w.path.pages,
                w.path.outcome.value,
                w.path.start,
                w.path.length,
                w.path.turnarounds,
                w.in_segments,
                None if w.ended_by is None else w.ended_by[2],
            )
            for w in walked
        ),
        transitions=graph.transitions(),
        visited=graph.visited(),
        clicks=graph.counts().clicks,
        markers=row["markers"],
        orphan_markers=row["orphans"],
    )


# ---- the reference ------------------------------------------------------------------------


def _ms(raw: Any) -> int:
    """Epoch seconds, epoch milliseconds (values > 10^11) or ISO-8601 with a zone."""
    if isinstance(raw, str):
        try:
            raw = float(raw)
        except ValueError:
            return round(datetime.fromisoformat(raw).timestamp() * 1000)
    return round(raw) if raw > 10**11 else round(raw * 1000)


def _resolved(raw: Any) -> bool:
    return raw in (True, 1, "true", "True", "1")


def reference(events: Iterable[Mapping[str, Any]], timeout_ms: int = TIMEOUT_MS) -> Snapshot:
    """What docs/paths.md says the graph must hold for these events (in arrival order),
    written independently of ingest's code."""
    # Per customer: (ts, arrival, page, resolved, type, attributes); type None for a click.
    events_of: dict[str, list[tuple[int, int, str, bool, str | None, dict[str, str]]]] = {}
    seen: set[tuple[str, str]] = set()
    for arrival, e in enumerate(events):
        customer = str(e.get("customer_id", e.get("CustomerID", e.get("userid"))))
        page = str(e.get("page_id", e.get("NextPageID", e.get("pageid_target", ""))))
        ts = _ms(e.get("timestamp", e.get("TimeStamp", e.get("epochtime"))))
        resolved = _resolved(e.get("is_resolved", e.get("IsResolved", e.get("case_status", 0))))
        kind = e.get("event_type", e.get("type"))
        marker = kind if kind in MARKER_OUTCOMES else None
        content = [customer, ts, page, resolved, *([marker] if marker else [])]
        key = str(e.get("event_id") or orjson.dumps(content).decode())
        if (customer, key) in seen:  # a duplicate: the first arrival counts
            continue
        seen.add((customer, key))
        attributes = dict(e.get("attributes") or {})
        events_of.setdefault(customer, []).append((ts, arrival, page, resolved, marker, attributes))
    watermark = max(ts for es in events_of.values() for ts, *_ in es)

    paths: list[PathSummary] = []
    times: dict[tuple[str, int], tuple[int, ...]] = {}
    moves: Counter[tuple[str, str]] = Counter()
    turned: Counter[tuple[str, str]] = Counter()
    visited: dict[tuple[str, str], int] = {}
    markers = orphans = 0
    for customer, mine in events_of.items():
        mine.sort(key=lambda ev: ev[:2])  # by time, ties by arrival
        clicks = [ev for ev in mine if ev[4] is None]
        for page, n in Counter(ev[2] for ev in clicks).items():
            visited[(customer, page)] = n
        # A run is its clicks (ts, page, attributes); it ends with an outcome and the time
        # of the marker that ended it, if one did.
        runs: list[tuple[list[tuple[int, str, dict[str, str]]], str, int | None]] = []
        run: list[tuple[int, str, dict[str, str]]] = []
        for ts, _, page, resolved, marker, attributes in mine:
            if marker is not None:
                markers += 1
                # It ends the run whose last click is at most the timeout before it.
                if run and ts - run[-1][0] <= timeout_ms:
                    runs.append((run, MARKER_OUTCOMES[marker], ts))
                    run = []
                else:
                    orphans += 1
                continue
            if run and ts - run[-1][0] > timeout_ms:
                runs.append((run, "ABANDONED", None))
                run = []
            run.append((ts, page, attributes))
            if resolved:
                runs.append((run, "RESOLVED", None))
                run = []
        if run:
            idle = watermark - run[-1][0]
            runs.append((run, "OPEN" if idle <= timeout_ms else "ABANDONED", None))
        for steps, outcome, ended_at in runs:
            pages = tuple(page for _, page, _ in steps)
            turns = [
                i
                for i in range(1, len(pages) - 1)
                if pages[i + 1] == pages[i - 1] and pages[i] != pages[i - 1]
            ]
            segments: dict[str, str] = {}
            for _, _, attributes in steps:  # the earliest click's value wins
                for name, value in attributes.items():
                    segments.setdefault(name, value)
            summary = (
                customer,
                pages,
                outcome,
                steps[0][0],
                len(pages),
                len(turns),
                tuple(sorted(f"{k}={v}" for k, v in segments.items())),
                ended_at,
            )
            paths.append(summary)
            times[(customer, steps[0][0])] = tuple(ts for ts, _, _ in steps)
            for i in range(1, len(pages)):
                moves[(pages[i - 1], pages[i])] += 1
                turned[(pages[i - 1], pages[i])] += i in turns
    return Snapshot(
        paths=frozenset(paths),
        transitions={k: (v, turned[k]) for k, v in moves.items()},
        visited=visited,
        clicks=sum(visited.values()),
        markers=markers,
        orphan_markers=orphans,
        times=times,
    )


def live_path_stats() -> PathStats:
    """pathStats as the API reads it, live from the test graph."""

    async def read() -> PathStats:
        async with wiring().graph_reads()() as reads:
            return await reads.paths.stats()

    return asyncio.run(read())


def load_events(driver: Driver, events: list[Mapping[str, Any]], batch: int = 5000) -> None:
    """Ingest events straight through the store (what the worker does, minus Kafka)."""
    wiring().load(driver, events, now_ms=NOW_MS, batch_size=batch)


# Every path with the clicks its FIRST/NEXT/LAST chain walks.
READ_PATHS = f"""
MATCH (p:Path)
WHERE $customer IS NULL OR p.customerId = $customer
MATCH (p)-[:FIRST]->(first:Click)
MATCH (p)-[:LAST]->(last:Click)
MATCH chain = (first)-[:NEXT*0..]->(last)
RETURN p {properties_of(Path).projection()} AS path, [c IN nodes(chain) | c.key] AS chainKeys,
       [c IN nodes(chain) | [(c)-[:ON]->(pg) | pg.id][0]] AS chainPages,
       [(p)-[:ENDED_BY]->(m:Marker) | [m.key, m.type, m.ts]] AS endedBy,
       [(p)-[:IN_SEGMENT]->(s:Segment) | s.id] AS segments
ORDER BY p.customerId, p.start
"""

READ_MARKERS = """
RETURN COUNT { MATCH (m:Marker) } AS markers,
       COUNT { MATCH (m:Marker) WHERE NOT EXISTS { (m)<-[:ENDED_BY]-(:Path) } } AS orphans,
       COUNT { MATCH (s:Segment) WHERE s.id <> s.key + '=' + s.value } AS badSegments
"""

READ_TRANSITIONS = """
MATCH (a:Page)-[t:TRANSITION]->(b:Page)
RETURN a.id AS source, b.id AS target, t.count AS count, t.turnarounds AS turnarounds
"""

READ_VISITED = """
MATCH (c:Customer)-[v:VISITED]->(p:Page)
RETURN c.id AS customer, p.id AS page, v.count AS count
"""


@dataclass(frozen=True, slots=True)
class WalkedPath:
    """A stored path with what its FIRST/NEXT/LAST chain walks."""

    path: Path
    chain_keys: tuple[str, ...]
    chain_pages: tuple[str, ...]
    ended_by: tuple[str, str, int] | None = None  # the ENDED_BY marker's key, type and ts
    in_segments: tuple[str, ...] = ()  # the ids of its IN_SEGMENT Segments, sorted


class TestGraph:
    """The graph as the ingest tests read it back: paths, aggregates, sizes."""

    __test__ = False  # not a test class

    def __init__(self, driver: Driver) -> None:
        self.driver = driver
        self._w = wiring()
        self._store = self._w.path_store(driver)
        self._admin = self._w.admin(driver)

    def walked_paths(self, customer_id: str | None = None) -> list[WalkedPath]:
        records, _, _ = self.driver.execute_query(READ_PATHS, customer=customer_id)
        return [
            WalkedPath(
                from_properties(Path, r["path"]),
                tuple(r["chainKeys"]),
                tuple(r["chainPages"]),
                _one_ending(r["endedBy"]),
                tuple(sorted(r["segments"])),
            )
            for r in records
        ]

    def ensure_schema(self) -> None:
        self._admin.ensure_schema()

    def clear(self) -> None:
        self._admin.clear()

    def counts(self) -> GraphCounts:
        return self._admin.counts()

    def paths(self, customer_id: str | None = None) -> list[Path]:
        return [w.path for w in self.walked_paths(customer_id)]

    def transitions(self) -> dict[tuple[str, str], tuple[int, int]]:
        records, _, _ = self.driver.execute_query(READ_TRANSITIONS)
        return {(r["source"], r["target"]): (r["count"], r["turnarounds"]) for r in records}

    def visited(self) -> dict[tuple[str, str], int]:
        records, _, _ = self.driver.execute_query(READ_VISITED)
        return {(r["customer"], r["page"]): r["count"] for r in records}

    def click_owners(self, keys: list[str]) -> dict[str, str]:
        return self._store.click_owners(keys)


def _one_ending(rows: list[list[Any]]) -> tuple[str, str, int] | None:
    assert len(rows) <= 1, f"a path ended by {len(rows)} markers"
    return (str(rows[0][0]), str(rows[0][1]), int(rows[0][2])) if rows else None


def clean_graph(driver: Driver) -> TestGraph:
    graph = TestGraph(driver)
    graph.ensure_schema()
    graph.clear()
    return graph
