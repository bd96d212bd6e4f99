"""Neo4j 5.26 Community + OpenGDS + Neo4j Browser, run straight from Maven jars."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable

from pathrank.services import process
from pathrank.services.assemble import assemble_neo4j
from pathrank.services.credentials import LEGACY_PASSWORD, ensure_password, read_password
from pathrank.services.errors import ServiceError
from pathrank.services.layout import Layout
from pathrank.services.local_server import LocalServer
from pathrank.services.privacy import keep_private, offline_browser
from pathrank.services.tools import java_executable
from pathrank.services.versions import Versions

# The options Neo4j's own launcher passes to the JVM (neo4j.conf server.jvm.additional).
_JVM_OPTIONS = [
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "-Dlog4j2.disable.jmx=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
]

_ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
# Neo4j's codes for a login it refuses: a wrong password, a user locked by failed logins.
_SECURITY = "Neo.ClientError.Security."
_ADMIN = "org.neo4j.server.startup.Neo4jAdminCommand"


@dataclass(frozen=True)
class Neo4jConfig:
    bolt_port: int
    http_port: int
    user: str
    heap: str
    pagecache: str
    # Tried once when the generated password is rejected: a database from before passwords
    # were generated (the old constant, or the PATHRANK_NEO4J_PASSWORD it was set up with).
    legacy_passwords: tuple[str, ...] = (LEGACY_PASSWORD,)


class Neo4jServer(LocalServer[Neo4jConfig]):
    name = "neo4j"
    log_name = "neo4j.log"
    stop_timeout_s = 90.0

    def __init__(self, layout: Layout, versions: Versions, config: Neo4jConfig) -> None:
        super().__init__(layout, versions, config)
        self.password_file = layout.neo4j_password
        self.bolt_uri = f"bolt://127.0.0.1:{config.bolt_port}"
        self.http_url = f"http://127.0.0.1:{config.http_port}"

    def ports(self) -> list[int]:
        return [self.config.bolt_port, self.config.http_port]

    def password(self) -> str | None:
        """The generated password, or None before the first `services up`."""
        return read_password(self.password_file)

    def _conf_text(self, dist: Path) -> str:
        h = self.home
        return "\n".join(
            [
                "# Written by `pathrank services up`; edits are overwritten.",
                "server.default_listen_address=127.0.0.1",
                "server.default_advertised_address=127.0.0.1",
                f"server.bolt.listen_address=127.0.0.1:{self.config.bolt_port}",
                f"server.http.listen_address=127.0.0.1:{self.config.http_port}",
                # Without these the routing table and the discovery document at / name the
                # default port 7687, sending neo4j:// clients and Browser to another instance.
                f"server.bolt.advertised_address=127.0.0.1:{self.config.bolt_port}",
                f"server.http.advertised_address=127.0.0.1:{self.config.http_port}",
                # The default `*` lets any web page the user opens call the HTTP API with
                # credentials; Browser itself is served from this origin.
                f"dbms.security.http_access_control_allow_origin={self.http_url}",
                "server.https.enabled=false",
                "dbms.security.auth_enabled=true",
                # Three wrong passwords lock the user for this long (Neo4j's default, 5 s, is
                # shorter than `services status` takes to start on a busy machine, which
                # must be able to say the login is refused rather than seeing it work).
                "dbms.security.auth_lock_time=10s",
                "dbms.security.procedures.unrestricted=gds.*",
                "dbms.usage_report.enabled=false",
                # Neo4j Browser, served by this server, runs on the user's machine: it sends no
                # usage data (Segment, Canny) and fetches guides from this machine only. (Neo4j
                # 5 no longer declares browser.allow_outgoing_connections: it would refuse to
                # start with it; its web fonts and Sentry: services.privacy.)
                "client.allow_telemetry=false",
                "browser.remote_content_hostname_whitelist=localhost,127.0.0.1",
                f"server.directories.plugins={dist / 'plugins'}",
                f"server.directories.data={h / 'data'}",
                f"server.directories.logs={h / 'logs'}",
                f"server.directories.run={h / 'run'}",
                f"server.directories.import={h / 'import'}",
                f"server.memory.heap.max_size={self.config.heap}",
                f"server.memory.pagecache.size={self.config.pagecache}",
                "db.tx_log.rotation.retention_policy=512M size",
                # Analysis of 1M clicks projects a few million relationships at once.
                "dbms.memory.transaction.total.max=0",
                "",
            ]
        )

    def _java(self, dist: Path, main: str, *args: str, heap: str | None = None) -> list[str]:
        classpath = (
            ":".join(str(dist / d / "*") for d in ("plugins", "lib")) + f":{self.home}/conf/*"
        )
        memory = [f"-Xms{heap}", f"-Xmx{heap}"] if heap else []
        return [str(java_executable()), *memory, *_JVM_OPTIONS, "-cp", classpath, main, *args]

    def _env(self) -> dict[str, str]:
        return {"NEO4J_HOME": str(self.home), "NEO4J_CONF": str(self.home / "conf")}

    def ensure_password(self) -> str:
        """Generate the password the first time (before the first start, or for a database
        from before generated passwords, which wait_ready then migrates)."""
        return ensure_password(self.password_file)

    def prepare(self) -> Path:
        """Assemble (once), write the config, set the password before the first start."""
        dist = assemble_neo4j(self.layout.dist, self.versions, self.layout.maven_log)
        for sub in ("conf", "data", "logs", "run", "import"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        (self.home / "conf" / "neo4j.conf").write_text(self._conf_text(dist))
        self.ensure_password()
        if not (self.home / "data" / "databases").exists():
            # `@file` (picocli's argument file): the password never appears in `ps`.
            result = subprocess.run(
                self._java(dist, _ADMIN, "dbms", "set-initial-password", f"@{self.password_file}"),
                env={**self._env(), "PATH": "/usr/bin:/bin"},
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise ServiceError(
                    f"neo4j-admin set-initial-password failed: {result.stderr.strip()[-300:]}"
                )
        for browser in (dist / "lib").glob("neo4j-browser-*.jar"):
            offline_browser(browser)
        keep_private(self.home)  # the store, and auth.ini with the users' password hashes
        return dist

    def start(self, dist: Path) -> None:
        args = self._java(
            dist,
            _ENTRY_POINT,
            f"--home-dir={self.home}",
            f"--config-dir={self.home / 'conf'}",
            heap=self.config.heap,
        )
        process.start_detached(args, self.home, self._env(), self.console_log, self.pid_file)

    def _answers_with(self, password: str, timeout: float) -> bool:
        """True when Bolt accepts `password` and runs a query; AuthError when it rejects it."""
        if not process.port_open(self.config.bolt_port):
            return False
        try:
            with GraphDatabase.driver(
                self.bolt_uri, auth=(self.config.user, password), connection_timeout=timeout
            ) as driver:
                driver.execute_query("RETURN 1", database_="neo4j")
            return True
        except AuthError:
            raise  # a Neo4jError too, but a rejected password is not "not up yet"
        except Neo4jError as exc:
            if (exc.code or "").startswith(_SECURITY):  # e.g. locked after failed logins
                raise AuthError(exc.message) from exc
            return False
        except (ServiceUnavailable, OSError):
            return False

    def answers(self, timeout: float = 3.0) -> bool:
        """True when Bolt accepts our credentials and runs a query."""
        # No password file yet: a server started before generated passwords (`up` migrates it).
        password = self.password() or LEGACY_PASSWORD
        try:
            return self._answers_with(password, timeout)
        except AuthError as exc:
            raise ServiceError(self._rejected(exc)) from exc

    def _rejected(self, exc: AuthError) -> str:
        return (
            f"Neo4j on {self.bolt_uri} rejected user {self.config.user!r} with the password in "
            f"{self.password_file} ({exc.message}); to start over with an empty database, run "
            f"`pathrank services down` and delete {self.home}"
        )

    def _migrate(self, password: str, rejected: AuthError) -> None:
        """Change a legacy password to the generated one (a database set up by an older
        pathrank). Each candidate is tried once: Neo4j locks the user after 3 failed logins."""
        for old in dict.fromkeys(self.config.legacy_passwords):
            try:
                with GraphDatabase.driver(
                    self.bolt_uri, auth=(self.config.user, old), connection_timeout=5.0
                ) as driver:
                    driver.execute_query(
                        "ALTER CURRENT USER SET PASSWORD FROM $old TO $new",
                        old=old,
                        new=password,
                        database_="system",
                    )
            except AuthError:
                continue
            except (ServiceUnavailable, Neo4jError, OSError) as exc:
                raise ServiceError(f"could not change the password of Neo4j: {exc}") from exc
            return
        raise ServiceError(self._rejected(rejected))

    def wait_ready(self, timeout: float) -> None:
        password = self.ensure_password()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pid() is None:
                raise ServiceError(f"Neo4j exited during startup (see {self.console_log})")
            try:
                if self._answers_with(password, timeout=3.0):
                    return
            except AuthError as exc:
                self._migrate(password, exc)
                continue
            time.sleep(0.5)
        raise ServiceError(
            f"Neo4j did not answer on {self.bolt_uri} in {timeout:.0f}s (see {self.log})"
        )
