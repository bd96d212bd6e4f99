"""Detached server processes tracked by pid files, and loopback port probes.

A server is started by whichever `pathrank` process ran `services up` (the demo's, which
then serves for hours): its parent until that process exits. A thread of that process waits
for it, so a server that dies is reaped at once instead of staying a zombie; and a zombie
left by any other parent counts as dead here, not as a server still running (Linux: its
state in /proc)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when a server could listen on host:port: nothing holds it, listening or not (a
    connection using it as its local port, in the ephemeral range, holds it too). Bound as
    Java binds (SO_REUSEADDR): a port whose old connections only linger in TIME_WAIT is
    free."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def recorded_pid(pid_file: Path) -> int | None:
    """The pid in pid_file, alive or not."""
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def read_pid(pid_file: Path) -> int | None:
    """The pid in pid_file if that process is still alive, else None."""
    pid = recorded_pid(pid_file)
    return pid if pid is not None and pid_alive(pid) else None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours is dead for our purposes (and reaped here).
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return not exited(pid)


def exited(pid: int) -> bool:
    """Whether the process has exited: gone, or a zombie its parent (another `pathrank`) has
    not reaped. Without /proc, only kill(pid, 0) can tell (a zombie then looks alive)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return Path("/proc/self").exists()  # reaped meanwhile (or no /proc at all)
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] in (["Z"], ["X"])


def start_detached(
    args: Sequence[str], cwd: Path, env: Mapping[str, str], console_log: Path, pid_file: Path
) -> int:
    """Start a server in its own session so it outlives the CLI; record its pid."""
    console_log.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with console_log.open("ab") as sink:
        proc = subprocess.Popen(
            list(args),
            cwd=cwd,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            umask=0o077,  # what the server writes is its owner's only (services.privacy)
        )
    pid_file.write_text(str(proc.pid))
    # Reaped the moment it exits, for as long as this process lives (see the module's doc).
    threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()
    return proc.pid


def stop(pid_file: Path, timeout: float = 60.0) -> bool:
    """SIGTERM the recorded process, SIGKILL it after `timeout`; True if one was running."""
    pid = read_pid(pid_file)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        while pid_alive(pid):
            time.sleep(0.1)
    pid_file.unlink(missing_ok=True)
    return True
