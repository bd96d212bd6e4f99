"""`pathrank services up|down|status`: both servers, started and stopped together."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel

from pathrank.services import process
from pathrank.services.errors import ServiceError
from pathrank.services.kafka_server import KafkaConfig, KafkaServer
from pathrank.services.layout import Layout
from pathrank.services.neo4j_server import Neo4jConfig, Neo4jServer
from pathrank.services.tools import java_executable
from pathrank.services.versions import VERSIONS, Versions


class Neo4jStatus(BaseModel):
    bolt_uri: str
    http_url: str
    browser_url: str
    user: str
    password: str
    up: bool
    pid: int | None
    version: str
    gds_version: str
    log: str


class KafkaStatus(BaseModel):
    bootstrap: str
    up: bool
    pid: int | None
    version: str
    log: str


class ServicesStatus(BaseModel):
    neo4j: Neo4jStatus
    kafka: KafkaStatus
    cache_dir: str

    @property
    def all_up(self) -> bool:
        return self.neo4j.up and self.kafka.up


class _Server(Protocol):
    name: str
    console_log: Path
    log: Path

    def ports(self) -> list[int]: ...
    def pid(self) -> int | None: ...
    def prepare(self) -> Path: ...
    def start(self, dist: Path) -> None: ...
    def answers(self, timeout: float = 3.0) -> bool: ...
    def wait_ready(self, timeout: float) -> None: ...
    def stop(self) -> bool: ...


class ServiceManager:
    def __init__(
        self,
        cache_dir: Path,
        neo4j: Neo4jConfig,
        kafka: KafkaConfig,
        versions: Versions = VERSIONS,
    ) -> None:
        self.layout = Layout(cache_dir)
        self.versions = versions
        self.neo4j = Neo4jServer(self.layout, versions, neo4j)
        self.kafka = KafkaServer(self.layout, versions, kafka)

    def _servers(self) -> list[_Server]:
        return [self.neo4j, self.kafka]

    def status(self) -> ServicesStatus:
        n, k = self.neo4j, self.kafka
        return ServicesStatus(
            neo4j=Neo4jStatus(
                bolt_uri=n.bolt_uri,
                http_url=n.http_url,
                browser_url=f"{n.http_url}/browser/",
                user=n.config.user,
                password=n.config.password,
                up=n.pid() is not None and n.answers(),
                pid=n.pid(),
                version=self.versions.neo4j,
                gds_version=self.versions.gds,
                log=str(n.log),
            ),
            kafka=KafkaStatus(
                bootstrap=k.bootstrap,
                up=k.pid() is not None and k.answers(),
                pid=k.pid(),
                version=self.versions.kafka,
                log=str(k.log),
            ),
            cache_dir=str(self.layout.root),
        )

    def up(self, timeout: float = 180.0, on_step: _StepReporter | None = None) -> dict[str, float]:
        """Start whatever is not running (a no-op for servers up); returns seconds per step."""
        report = on_step or (lambda _msg: None)
        timings: dict[str, float] = {}
        to_start: list[_Server] = []
        for server in self._servers():
            if server.pid() is not None:
                continue  # ours, already running (wait_ready below confirms it answers)
            busy = [p for p in server.ports() if process.port_open(p)]
            if busy:
                raise ServiceError(
                    f"port {busy[0]} is busy but not by our {server.name}: stop that process "
                    f"or set PATHRANK_{'NEO4J_BOLT' if server.name == 'neo4j' else 'KAFKA'}_PORT"
                )
            to_start.append(server)
        if to_start:
            java_executable()  # fail fast, before any download, when Java 17 is missing
        for server in to_start:
            report(f"assembling {server.name} (cached after the first time)")
            t0 = time.monotonic()
            dist = server.prepare()
            timings[f"{server.name}_assemble_s"] = time.monotonic() - t0
            report(f"starting {server.name}")
            server.start(dist)
        for server in self._servers():
            t0 = time.monotonic()
            server.wait_ready(timeout)
            timings[f"{server.name}_ready_s"] = time.monotonic() - t0
        return timings

    def down(self) -> list[str]:
        """Stop both; returns the names of the servers that were running."""
        return [s.name for s in reversed(self._servers()) if s.stop()]


class _StepReporter(Protocol):
    def __call__(self, message: str, /) -> None: ...
