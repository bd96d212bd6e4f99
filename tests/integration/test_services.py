"""`pathrank services` against the real servers: status, Browser, Kafka, errors."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError

from tests.conftest import run_cli

# The constant every installation had before `services up` generated passwords.
OLD_PASSWORD = "pathrank-local"
EVIL = "http://evil.example"


def test_status_json_has_the_documented_shape(services: dict[str, Any]) -> None:
    assert set(services) >= {"neo4j", "kafka"}
    assert set(services["neo4j"]) >= {"bolt_uri", "http_url", "user", "password", "up"}
    assert set(services["kafka"]) >= {"bootstrap", "up"}
    port = os.environ.get("PATHRANK_NEO4J_BOLT_PORT", "7687")
    assert services["neo4j"]["bolt_uri"] == f"bolt://127.0.0.1:{port}"
    assert Path(services["neo4j"]["log"]).is_file()
    assert Path(services["kafka"]["log"]).is_file()


def test_up_when_up_is_a_fast_no_op(services: dict[str, Any]) -> None:
    before = json.loads(run_cli("services", "status", "--json").stdout)
    pids = (before["neo4j"]["pid"], before["kafka"]["pid"])  # other tests may restart Neo4j
    t0 = time.monotonic()
    again = run_cli("services", "up")
    assert again.returncode == 0, again.stderr
    assert time.monotonic() - t0 < 30
    status = json.loads(run_cli("services", "status", "--json").stdout)
    assert (status["neo4j"]["pid"], status["kafka"]["pid"]) == pids


def test_neo4j_browser_answers(services: dict[str, Any]) -> None:
    response = httpx.get(services["neo4j"]["http_url"] + "/browser/", timeout=10)
    assert response.status_code == 200
    assert "<html" in response.text.lower()


def test_neo4j_is_loopback_only_and_needs_auth(services: dict[str, Any]) -> None:
    response = httpx.get(services["neo4j"]["http_url"] + "/db/neo4j/tx", timeout=10)
    assert response.status_code == 401


def _preflight(http_url: str, path: str, origin: str) -> httpx.Response:
    """What a browser asks before a cross-origin POST with credentials."""
    return httpx.options(
        http_url + path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
        timeout=10,
    )


@pytest.mark.parametrize("path", ["/db/neo4j/tx/commit", "/db/neo4j/query/v2"])
def test_a_foreign_web_page_may_not_call_the_http_api(services: dict[str, Any], path: str) -> None:
    response = _preflight(services["neo4j"]["http_url"], path, EVIL)
    allowed = response.headers.get_list("access-control-allow-origin")
    assert EVIL not in allowed
    assert "*" not in allowed


def test_the_browser_origin_may_call_the_http_api(services: dict[str, Any]) -> None:
    n = services["neo4j"]
    own = n["http_url"]  # Browser is served from here: /browser/
    preflight = _preflight(own, "/db/neo4j/tx/commit", own)
    assert preflight.headers.get_list("access-control-allow-origin") == [own]
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    response = httpx.post(
        own + "/db/neo4j/tx/commit",
        json={"statements": [{"statement": "RETURN 41 + 1 AS answer"}]},
        auth=(n["user"], n["password"]),
        headers={"Origin": own},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers.get_list("access-control-allow-origin") == [own]
    assert response.json()["results"][0]["data"][0]["row"] == [42]


def _status(env: dict[str, str]) -> dict[str, Any]:
    return dict(json.loads(run_cli("services", "status", "--json", env=env).stdout))


def _assert_down(env: dict[str, str]) -> None:
    status = _status(env)
    assert not status["neo4j"]["up"]
    assert not status["kafka"]["up"]


def _up(env: dict[str, str]) -> dict[str, Any]:
    """`services up`, and the status it leaves: both servers up."""
    up = run_cli("services", "up", env=env)
    assert up.returncode == 0, up.stderr
    status = _status(env)
    assert status["neo4j"]["up"]
    assert status["kafka"]["up"]
    return status


def _down(env: dict[str, str]) -> None:
    """`services down`, naming what it stopped, and both servers down."""
    down = run_cli("services", "down", env=env)
    assert down.returncode == 0, down.stderr
    assert "neo4j" in down.stdout
    assert "kafka" in down.stdout
    _assert_down(env)


def _assert_generated_password(cache_dir: Path, password: str) -> None:
    """The documented file holds it, only its owner may read it, and it is not the constant."""
    stored = cache_dir / "neo4j" / "password"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stored.read_text().strip() == password
    assert password != OLD_PASSWORD
    assert len(password) >= 24


def _login(bolt_uri: str, password: str) -> None:
    with GraphDatabase.driver(bolt_uri, auth=("neo4j", password)) as driver:
        driver.execute_query("RETURN 1", database_="neo4j")


def test_status_shows_the_generated_password(services: dict[str, Any]) -> None:
    n = services["neo4j"]
    _assert_generated_password(Path(services["cache_dir"]), n["password"])
    text = run_cli("services", "status")
    assert text.returncode == 0, text.stderr
    assert f"password {n['password']}" in text.stdout
    _login(n["bolt_uri"], n["password"])
    with pytest.raises(AuthError):
        _login(n["bolt_uri"], OLD_PASSWORD)


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def test_every_server_listens_on_127_0_0_1_only(services: dict[str, Any]) -> None:
    ports = [
        int(services["neo4j"]["bolt_uri"].rsplit(":", 1)[1]),
        int(services["neo4j"]["http_url"].rsplit(":", 1)[1]),
        int(services["kafka"]["bootstrap"].rsplit(":", 1)[1]),
        int(os.environ.get("PATHRANK_KAFKA_CONTROLLER_PORT", "9093")),
    ]
    # 127.0.0.2 reaches this machine too (all of 127/8 is loopback on Linux): a server bound
    # to 0.0.0.0, and so reachable from the network, would answer there.
    assert [p for p in ports if not _accepts("127.0.0.1", p)] == []
    assert [p for p in ports if _accepts("127.0.0.2", p)] == []


def test_kafka_roundtrip_on_a_fresh_topic(kafka_bootstrap: str) -> None:
    topic = f"smoke-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    for future in admin.create_topics(
        [NewTopic(topic, num_partitions=3, replication_factor=1)]
    ).values():
        future.result(timeout=30)
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "acks": "all"})
    sent = {f"customer-{i}".encode(): f"click-{i}".encode() for i in range(30)}
    for key, value in sent.items():
        producer.produce(topic, key=key, value=value)
    assert producer.flush(30) == 0
    consumer = Consumer(
        {"bootstrap.servers": kafka_bootstrap, "group.id": topic, "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([topic])
    received: dict[bytes, bytes] = {}
    deadline = time.monotonic() + 60
    try:
        while len(received) < len(sent) and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is not None and msg.error() is None:
                received[msg.key()] = msg.value()
    finally:
        consumer.close()
    assert received == sent


def test_bad_subcommand_is_one_line_and_non_zero() -> None:
    result = run_cli("services", "sideways")
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert "sideways" in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def private_env(tmp_path: Path, services: dict[str, Any]) -> dict[str, str]:
    """Settings for a second, private pair of servers: own cache dir and ports.

    The assembled servers are shared by symlink so no download is repeated.
    """
    real_dist = Path(services["cache_dir"]) / "dist"
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "dist").symlink_to(real_dist)
    return {
        "PATHRANK_CACHE_DIR": str(tmp_path / "cache"),
        "PATHRANK_NEO4J_BOLT_PORT": str(_free_port()),
        "PATHRANK_NEO4J_HTTP_PORT": str(_free_port()),
        "PATHRANK_KAFKA_PORT": str(_free_port()),
        "PATHRANK_KAFKA_CONTROLLER_PORT": str(_free_port()),
        "PATHRANK_NEO4J_HEAP": "512m",
        "PATHRANK_NEO4J_PAGECACHE": "64m",
        "PATHRANK_KAFKA_HEAP": "256m",
    }


@pytest.fixture
def private_services(private_env: dict[str, str]) -> Iterator[dict[str, str]]:
    yield private_env
    run_cli("services", "down", env=private_env)


def test_a_private_instance_from_up_to_down_with_its_own_ports_and_a_migrated_password(
    private_services: dict[str, str],
) -> None:
    """One private pair of servers (two starts, the second warm) for the whole life of an
    installation: down, up on its own ports, what drivers and Neo4j Browser are told, an
    installation from before generated passwords migrated by the next `up`, then down."""
    env = private_services
    cache = Path(env["PATHRANK_CACHE_DIR"])
    bolt, http = env["PATHRANK_NEO4J_BOLT_PORT"], env["PATHRANK_NEO4J_HTTP_PORT"]
    bolt_uri = f"bolt://127.0.0.1:{bolt}"
    _assert_down(env)

    status = _up(env)
    assert status["neo4j"]["bolt_uri"].endswith(bolt)
    assert status["kafka"]["bootstrap"].endswith(env["PATHRANK_KAFKA_PORT"])
    first = status["neo4j"]["password"]
    _assert_generated_password(cache, first)

    # What a neo4j:// driver is told to connect to, for every role.
    with GraphDatabase.driver(f"neo4j://127.0.0.1:{bolt}", auth=("neo4j", first)) as d:
        records, _, _ = d.execute_query(
            "CALL dbms.routing.getRoutingTable({}, 'neo4j')", database_="neo4j"
        )
    servers = records[0]["servers"]
    assert sorted(s["role"] for s in servers) == ["READ", "ROUTE", "WRITE"]
    assert all(s["addresses"] == [f"127.0.0.1:{bolt}"] for s in servers), servers

    # What Neo4j Browser reads first to find Bolt.
    discovery = httpx.get(
        f"http://127.0.0.1:{http}/", headers={"Accept": "application/json"}, timeout=10
    ).json()
    assert discovery["bolt_routing"] == f"neo4j://127.0.0.1:{bolt}"
    assert discovery["bolt_direct"] == f"bolt://127.0.0.1:{bolt}"
    assert discovery["transaction"].startswith(f"http://127.0.0.1:{http}/")
    own = f"http://127.0.0.1:{http}"
    preflight = _preflight(own, "/db/neo4j/tx/commit", own)
    assert preflight.headers.get_list("access-control-allow-origin") == [own]

    # Turn it into an installation from before generated passwords: the database has the
    # old constant and there is no password file.
    with GraphDatabase.driver(bolt_uri, auth=("neo4j", first)) as driver:
        driver.execute_query(
            "ALTER CURRENT USER SET PASSWORD FROM $old TO $new",
            old=first,
            new=OLD_PASSWORD,
            database_="system",
        )
    (cache / "neo4j" / "password").unlink()
    _down(env)

    migrated = _up(env)["neo4j"]["password"]
    _assert_generated_password(cache, migrated)
    assert migrated != first
    _login(bolt_uri, migrated)
    with pytest.raises(AuthError):
        _login(bolt_uri, OLD_PASSWORD)

    _down(env)


def test_busy_port_is_one_clear_line(private_env: dict[str, str]) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        result = run_cli(
            "services", "up", env={**private_env, "PATHRANK_NEO4J_BOLT_PORT": str(port)}
        )
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert f"port {port} is in use, not by our neo4j" in result.stderr
    assert "PATHRANK_NEO4J_BOLT_PORT" in result.stderr


def test_missing_java_is_one_clear_line(private_env: dict[str, str], tmp_path: Path) -> None:
    bare = tmp_path / "bin"
    bare.mkdir()
    env = {**private_env, "PATH": str(bare), "JAVA_HOME": ""}
    result = run_cli("services", "up", env=env)
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert "java not found" in result.stderr


def test_missing_maven_is_one_clear_line(private_env: dict[str, str], tmp_path: Path) -> None:
    # A cache without assembled servers must download them, which needs mvn.
    cache = Path(private_env["PATHRANK_CACHE_DIR"])
    (cache / "dist").unlink()
    bare = tmp_path / "bin"
    bare.mkdir()
    java = shutil.which("java")
    assert java is not None
    (bare / "java").symlink_to(os.path.realpath(java))
    result = run_cli("services", "up", env={**private_env, "PATH": str(bare), "JAVA_HOME": ""})
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert "mvn not found" in result.stderr


def test_server_that_fails_to_start_names_its_log(private_services: dict[str, str]) -> None:
    # A heap too small for Neo4j makes the JVM exit at once: `up` must say so, with the log.
    # (An existing store skips the password step, which would fail first for the same reason.)
    env = {**private_services, "PATHRANK_NEO4J_HEAP": "8m"}
    (Path(env["PATHRANK_CACHE_DIR"]) / "neo4j" / "data" / "databases").mkdir(parents=True)
    result = run_cli("services", "up", "--timeout", "60", env=env)
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert "Neo4j exited during startup" in result.stderr
    assert "console.log" in result.stderr


def test_invalid_setting_is_one_clear_line(private_env: dict[str, str]) -> None:
    result = run_cli("services", "up", env={**private_env, "PATHRANK_NEO4J_HEAP": "lots"})
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert "neo4j_heap" in result.stderr
