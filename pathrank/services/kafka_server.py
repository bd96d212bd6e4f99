"""Apache Kafka 3.9 in KRaft mode (one broker that is its own controller)."""

from __future__ import annotations

import base64
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient

from ingest.kafka_client import logged
from pathrank.services import process
from pathrank.services.assemble import assemble_kafka
from pathrank.services.errors import ServiceError
from pathrank.services.layout import Layout
from pathrank.services.local_server import LocalServer
from pathrank.services.privacy import keep_private
from pathrank.services.tools import java_executable
from pathrank.services.versions import Versions

HEALTH_TOPIC = "pathrank.health"


@dataclass(frozen=True)
class KafkaConfig:
    port: int
    controller_port: int
    heap: str


class KafkaServer(LocalServer[KafkaConfig]):
    name = "kafka"
    log_name = "server.log"
    stop_timeout_s = 60.0

    def __init__(self, layout: Layout, versions: Versions, config: KafkaConfig) -> None:
        super().__init__(layout, versions, config)
        self.bootstrap = f"127.0.0.1:{config.port}"

    def ports(self) -> list[int]:
        return [self.config.port, self.config.controller_port]

    def _server_properties(self) -> str:
        c = self.config
        return "\n".join(
            [
                "# Written by `pathrank services up`; edits are overwritten.",
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.voters=1@127.0.0.1:{c.controller_port}",
                f"listeners=PLAINTEXT://127.0.0.1:{c.port},CONTROLLER://127.0.0.1:{c.controller_port}",
                f"advertised.listeners=PLAINTEXT://127.0.0.1:{c.port}",
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "inter.broker.listener.name=PLAINTEXT",
                f"log.dirs={self.home / 'data'}",
                "num.partitions=1",
                # One broker: every internal topic has one replica; few partitions start fast.
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=4",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "transaction.state.log.num.partitions=4",
                "group.initial.rebalance.delay.ms=0",
                "auto.create.topics.enable=true",
                "log.retention.hours=-1",
                "",
            ]
        )

    def _log4j_properties(self) -> str:
        return "\n".join(
            [
                "log4j.rootLogger=INFO, file",
                "log4j.appender.file=org.apache.log4j.RollingFileAppender",
                f"log4j.appender.file.File={self.log}",
                "log4j.appender.file.MaxFileSize=20MB",
                "log4j.appender.file.MaxBackupIndex=2",
                "log4j.appender.file.layout=org.apache.log4j.PatternLayout",
                "log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n",
                "log4j.logger.kafka=INFO",
                "log4j.logger.org.apache.kafka=INFO",
                "",
            ]
        )

    def _java(self, dist: Path, main: str, *args: str) -> list[str]:
        return [
            str(java_executable()),
            f"-Xms{self.config.heap}",
            f"-Xmx{self.config.heap}",
            "-XX:+UseG1GC",
            f"-Dlog4j.configuration=file:{self.home / 'config' / 'log4j.properties'}",
            "-cp",
            str(dist / "libs" / "*"),
            main,
            *args,
        ]

    def prepare(self) -> Path:
        """Assemble (once), write the config, format KRaft storage the first time only."""
        dist = assemble_kafka(self.layout.dist, self.versions, self.layout.maven_log)
        for sub in ("config", "data", "logs"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        props = self.home / "config" / "server.properties"
        props.write_text(self._server_properties())
        (self.home / "config" / "log4j.properties").write_text(self._log4j_properties())
        if not (self.home / "data" / "meta.properties").exists():
            self._format(dist, props)
        keep_private(self.home)  # its log segments hold every click
        return dist

    def _format(self, dist: Path, props: Path) -> None:
        """Format KRaft storage once; one retry, since a loaded machine can fail a JVM start."""
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        # `--cluster-id=`: an id starting with "-" (1 in 64) is otherwise taken for an option.
        args = ["format", f"--cluster-id={cluster_id}", "-c", str(props), "--ignore-formatted"]
        output = ""
        for _attempt in range(2):
            result = subprocess.run(
                self._java(dist, "kafka.tools.StorageTool", *args),
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode == 0:
                return
            output = (result.stdout + result.stderr).strip()
            time.sleep(1)
        raise ServiceError(f"Kafka storage format failed: {output[-300:] or 'no output'}")

    def start(self, dist: Path) -> None:
        args = self._java(dist, "kafka.Kafka", str(self.home / "config" / "server.properties"))
        process.start_detached(args, self.home, {}, self.console_log, self.pid_file)

    def answers(self, timeout: float = 3.0) -> bool:
        """True when the broker lists its metadata (cheap; used by `status`)."""
        if not process.port_open(self.config.port):
            return False
        try:
            admin = AdminClient(
                {
                    "bootstrap.servers": self.bootstrap,
                    "socket.timeout.ms": 2000,
                    **logged("services"),
                }
            )
            admin.list_topics(timeout=timeout)
        except KafkaException:
            return False
        return True

    def accepts_produce(self, timeout: float) -> bool:
        """True once a message to the health topic is acknowledged."""
        delivered: list[bool] = []

        def on_delivery(err: object, _msg: object) -> None:
            delivered.append(err is None)

        producer = Producer(
            {
                "bootstrap.servers": self.bootstrap,
                "message.timeout.ms": int(timeout * 1000),
                "acks": "all",
                **logged("services"),
            }
        )
        producer.produce(HEALTH_TOPIC, value=b"ping", on_delivery=on_delivery)
        producer.flush(timeout + 1)
        return delivered == [True]

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pid() is None:
                raise ServiceError(f"Kafka exited during startup (see {self.log})")
            if process.port_open(self.config.port) and self.accepts_produce(5.0):
                return
            time.sleep(0.5)
        raise ServiceError(
            f"Kafka did not accept a produce on {self.bootstrap} in {timeout:.0f}s (see {self.log})"
        )
