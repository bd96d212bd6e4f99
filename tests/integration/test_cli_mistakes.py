"""What an operator gets wrong, and what each command answers: one line on stderr, a non-zero
exit, and nothing changed. Against the real servers, with the real `pathrank` script."""

from __future__ import annotations

import os
import pty
import re
import select
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver, GraphDatabase
from neo4j.exceptions import Neo4jError

from algorithms.analyze import STEPS
from simulator import SimulationConfig, simulate
from tests.conftest import PATHRANK, REPO, run_cli
from tests.integration.ingest_helpers import NOW_MS, clean_graph, fresh_names, wiring


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single line a failed command wrote on stderr."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("pathrank: error: "), lines[0]
    return lines[0]


def _current_run(driver: Driver) -> tuple[str | None, int]:
    """The current run, and how many runs are recorded."""
    records, _, _ = driver.execute_query(
        "OPTIONAL MATCH (m:Meta {id: 'analysis'}) WITH m.run AS run "
        "RETURN run, COUNT { MATCH (r:AnalysisRun) } AS runs"
    )
    return records[0]["run"], records[0]["runs"]


@pytest.fixture(scope="module")
def analysed(neo4j_driver: Driver) -> dict[str, Any]:
    """A small graph in January 2026, analysed once."""
    clean_graph(neo4j_driver)
    w = wiring()
    sim = simulate(SimulationConfig(seed=3, events=800, days=5))
    w.load(neo4j_driver, sim.events, sim.pages, now_ms=NOW_MS)
    run = w.analysis(neo4j_driver).run()
    return {"run": run.id}


# ---- analyze ---------------------------------------------------------------------------------


def test_analyze_of_a_window_without_data_changes_nothing(
    analysed: dict[str, Any], neo4j_driver: Driver
) -> None:
    before = _current_run(neo4j_driver)
    assert before[0] == analysed["run"]
    result = run_cli("analyze", "--since", "2031-03-01")
    assert result.returncode == 1
    line = one_line(result)
    assert "no completed path started in [2031-03-01" in line
    assert "the current results stay current" in line
    assert _current_run(neo4j_driver) == before  # the same run current, no run recorded


def test_analyze_of_an_empty_graph_says_so_and_allow_empty_forces_it(
    analysed: dict[str, Any], neo4j_driver: Driver
) -> None:
    wiring().admin(neo4j_driver).clear()
    result = run_cli("analyze")
    assert result.returncode == 1
    assert "no completed path is in the graph" in one_line(result)
    assert _current_run(neo4j_driver) == (None, 0)  # no FAILED run, nothing at all
    forced = run_cli("analyze", "--allow-empty")
    assert forced.returncode == 0, forced.stderr
    assert "0 clicks, 0 paths, 0 pages" in forced.stdout
    run, runs = _current_run(neo4j_driver)
    assert run is not None
    assert runs == 1


# ---- demo ------------------------------------------------------------------------------------


def test_demo_with_its_port_taken_writes_nothing(
    services: dict[str, Any], neo4j_driver: Driver, tmp_path: Path
) -> None:
    (tmp_path / "demo-truth.json").write_text("mine")
    pages_before = neo4j_driver.execute_query("MATCH (p:Page) RETURN count(p) AS n")[0][0]["n"]
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = subprocess.run(
            [PATHRANK, "demo", "--port", str(port), "--events", "2000"],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
            env={**os.environ, **fresh_names()},
            check=False,
        )
    assert result.returncode == 1
    line = one_line(result)
    assert f"cannot listen on 127.0.0.1:{port}" in line
    assert "--port" in line
    assert (tmp_path / "demo-truth.json").read_text() == "mine"
    assert neo4j_driver.execute_query("MATCH (p:Page) RETURN count(p) AS n")[0][0]["n"] == (
        pages_before
    )


# ---- produce ---------------------------------------------------------------------------------


@pytest.fixture
def topic_env() -> dict[str, str]:
    return fresh_names()


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("export.jsonl", os.urandom(4096).replace(b"\n", b"x"), "is not a text export"),
        ("empty.jsonl", b"", "is empty: there is nothing to produce"),
        ("blank.csv", b"\n\n", "is empty: there is nothing to produce"),
        ("header.csv", b"customer_id,page_id,timestamp\n", "has a header and no rows"),
        (
            "two-missing.csv",
            b"customer_id,when\nc1,2026-01-01T00:00:00Z\n",
            "has no column for page_id, timestamp (its columns: customer_id, when)",
        ),
    ],
    ids=["binary", "empty", "blank-csv", "header-only", "two-columns-missing"],
)
def test_produce_of_a_file_it_cannot_read_is_one_line(
    services: dict[str, Any],
    tmp_path: Path,
    topic_env: dict[str, str],
    name: str,
    content: bytes,
    expected: str,
) -> None:
    path = tmp_path / name
    path.write_bytes(b"\x00" + content if name == "export.jsonl" else content)
    result = run_cli("produce", str(path), env=topic_env)
    assert result.returncode == 1
    assert expected in one_line(result)
    assert result.stdout == ""  # nothing produced, not even a summary


def _on_a_terminal(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run `pathrank` with a pseudo-terminal as stdout and stderr (as in a shell): its exit
    code and everything it printed."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [PATHRANK, *args],
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
        cwd=REPO,
        env={**os.environ, "COLUMNS": "160", **(env or {})},
    )
    os.close(terminal)
    chunks = []
    while True:
        ready, _, _ = select.select([controller], [], [], 1)
        if ready:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            chunks.append(chunk)
        elif process.poll() is not None:
            break
    os.close(controller)
    code = process.wait(60)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode(errors="replace"))
    return code, text


def test_produce_shows_a_bar_of_its_rows_on_a_terminal_and_not_in_a_log(
    services: dict[str, Any], tmp_path: Path, topic_env: dict[str, str]
) -> None:
    rows = [f"c{i},p{i % 3},2026-01-0{1 + i % 5}T10:00:00Z" for i in range(7)]
    export = tmp_path / "clicks.csv"
    export.write_text("customer_id,page_id,timestamp\n" + "\n".join(rows) + "\n")
    code, shown = _on_a_terminal("produce", str(export), env=topic_env)
    assert code == 0, shown
    assert "7/7" in shown  # the rows, not the header
    assert "8/8" not in shown
    assert "eta" in shown
    piped = run_cli("produce", str(export), env=topic_env)
    assert piped.returncode == 0
    assert piped.stderr == ""  # no bar where nobody watches
    assert piped.stdout.strip() == f"produced 7 events to {topic_env['PATHRANK_TOPIC']}; " + (
        "skipped 0 bad lines"
    )


def test_analyze_shows_its_steps_as_a_bar_on_a_terminal(analysed: dict[str, Any]) -> None:
    code, shown = _on_a_terminal("analyze", "--allow-empty")
    assert code == 0, shown
    steps = len(STEPS)
    assert re.search(rf"\b{steps}/{steps}\b", shown), shown
    assert "eta" in shown


# ---- services --------------------------------------------------------------------------------


@pytest.fixture
def cache(tmp_path: Path, services: dict[str, Any]) -> dict[str, str]:
    """Settings of a private cache dir sharing the assembled servers, with free ports."""
    root = tmp_path / "cache"
    (root / "run").mkdir(parents=True)
    (root / "dist").symlink_to(Path(services["cache_dir"]) / "dist")
    env = {"PATHRANK_CACHE_DIR": str(root)}
    for name in ("NEO4J_BOLT", "NEO4J_HTTP", "KAFKA", "KAFKA_CONTROLLER"):
        with socket.create_server(("127.0.0.1", 0)) as probe:
            env[f"PATHRANK_{name}_PORT"] = str(probe.getsockname()[1])
    return env


def _zombie() -> tuple[subprocess.Popen[str], int]:
    """A process whose parent (another pathrank, say) never reaps it: (the parent, its pid)."""
    parent = subprocess.Popen(
        [
            "python3",
            "-c",
            "import subprocess, sys, time; c = subprocess.Popen(['true']); "
            "print(c.pid, flush=True); time.sleep(120)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    pid = int(parent.stdout.readline())
    deadline = time.monotonic() + 30
    while "Z" not in Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return parent, pid


def test_a_dead_server_is_told_apart_and_down_returns(cache: dict[str, str]) -> None:
    parent, pid = _zombie()
    try:
        Path(cache["PATHRANK_CACHE_DIR"], "run", "kafka.pid").write_text(str(pid))
        status = run_cli("services", "status", env=cache)
        assert status.returncode == 0, status.stderr
        assert f"kafka  exited: its process {pid} has exited" in status.stdout
        assert "neo4j  down" in status.stdout
        started = time.monotonic()
        down = run_cli("services", "down", env=cache, timeout=60)
        assert down.returncode == 0
        assert time.monotonic() - started < 30  # it used to wait on the zombie for ever
        assert not Path(cache["PATHRANK_CACHE_DIR"], "run", "kafka.pid").exists()
    finally:
        parent.kill()
        parent.wait()


def test_a_port_held_by_a_connection_is_taken(cache: dict[str, str]) -> None:
    """Not a listener: the local end of an outgoing connection (an ephemeral port)."""
    with (
        socket.create_server(("127.0.0.1", 0)) as listener,
        socket.create_connection(listener.getsockname()) as client,
    ):
        held = client.getsockname()[1]
        result = run_cli("services", "up", env={**cache, "PATHRANK_NEO4J_HTTP_PORT": str(held)})
    assert result.returncode == 1
    line = one_line(result)
    assert f"port {held} is in use, not by our neo4j" in line
    assert "PATHRANK_NEO4J_HTTP_PORT" in line


def test_a_refused_login_is_reported_as_such(
    services: dict[str, Any], cache: dict[str, str]
) -> None:
    """A status whose password file is wrong, against the running Neo4j (its pid recorded)."""
    n = services["neo4j"]
    root = Path(cache["PATHRANK_CACHE_DIR"])
    (root / "neo4j").mkdir()
    (root / "neo4j" / "password").write_text("not-the-password\n")
    (root / "run" / "neo4j.pid").write_text(str(n["pid"]))
    env = {**cache, "PATHRANK_NEO4J_BOLT_PORT": n["bolt_uri"].rsplit(":", 1)[1]}
    status = run_cli("services", "status", env=env)
    assert status.returncode == 0, status.stderr
    assert "neo4j  refused: Neo4j on" in status.stdout
    assert "rejected user 'neo4j'" in status.stdout


def test_a_user_locked_by_failed_logins_is_not_called_down(services: dict[str, Any]) -> None:
    """Three wrong passwords lock the user for a few seconds: even the right one is refused
    meanwhile, and status says that, not `neo4j down`."""
    n = services["neo4j"]
    for _ in range(3):
        with (
            pytest.raises(Neo4jError),
            GraphDatabase.driver(n["bolt_uri"], auth=(n["user"], "wrong")) as driver,
        ):
            driver.verify_connectivity()
    status = run_cli("services", "status")
    try:
        assert status.returncode == 0, status.stderr
        assert "neo4j  refused:" in status.stdout, status.stdout
    finally:
        deadline = time.monotonic() + 60  # wait out the lock for the tests that follow
        while True:
            try:
                with GraphDatabase.driver(n["bolt_uri"], auth=(n["user"], n["password"])) as d:
                    d.verify_connectivity()
                break
            except Neo4jError:
                assert time.monotonic() < deadline
                time.sleep(0.5)


# ---- the command line itself -----------------------------------------------------------------


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert re.fullmatch(r"pathrank \d+\.\d+\.\d+\S*\n", result.stdout)


# Each kind: the group, an argument, ranges, lists, choices, flags.
COMMANDS = [(), ("produce",), ("analyze",), ("forget",), ("simulate",), ("services", "up")]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "pathrank")
def test_help_reads_as_sentences_with_plain_value_names(command: tuple[str, ...]) -> None:
    result = run_cli(*command, "--help", env={"COLUMNS": "200"})
    assert result.returncode == 0
    text = result.stdout
    for python_type in ("<bool>", "<str>", "<int>", "<float", "<list[", "<file>", "[x>=", "{"):
        assert python_type not in text, python_type
    for line in text.splitlines():  # an option's help ends its sentence
        found = re.match(r"^│ (--[\w-]+).*?  (\S.*?)\s*│$", line)
        if found and not found.group(2).startswith("[default"):
            assert found.group(2).rstrip().endswith((".", "]")), line


def test_the_kafka_properties_reach_produce(tmp_path: Path, topic_env: dict[str, str]) -> None:
    """A property librdkafka does not know is refused by the very client produce makes."""
    properties = tmp_path / "kafka.properties"
    properties.write_text("no.such.property=1\n")
    export = tmp_path / "clicks.jsonl"
    export.write_text('{"customer_id": "c1", "page_id": "p1", "timestamp": 1767600000000}\n')
    env = {**topic_env, "PATHRANK_KAFKA_PROPERTIES": str(properties)}
    result = run_cli("produce", str(export), env=env)
    assert result.returncode == 1
    assert "No such configuration property" in one_line(result)
    assert "no.such.property" in result.stderr
