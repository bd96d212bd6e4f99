"""The analysis lock: one run at a time, across processes and machines, held in Neo4j.

The lock is the `(:Meta {id: 'analysis-lock'})` node: the holding run's id, its process
(host, pid, the pid namespace it is in) and two times from the database's clock, when it
started and its heartbeat, refreshed by a thread while the run lives. Taking it is one
transaction that also records the run RUNNING. A lock whose heartbeat is older than
`stale_after_s`, or whose process is on this machine and gone, is taken over; its run is
then marked FAILED. The switch to a run's results checks, in its own transaction, that the
run still holds the lock, so a run that lost it (paused past the bound) cannot switch.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from neo4j import Driver, ManagedTransaction

from graph_model.run import cypher as q
from graph_model.run.record import AnalysisLockedError, LockHolder, LockLostError
from graph_model.version import bump_graph_version

log = logging.getLogger("analysis")

DEFAULT_STALE_AFTER_S = 120.0


@dataclass(frozen=True, slots=True)
class ProcessIdentity:
    """This process as a lock holder: its pid means something only in its `key`, the kernel
    boot and pid namespace it runs in (None where that cannot be known)."""

    host: str
    pid: int
    key: str | None

    @staticmethod
    def here() -> ProcessIdentity:
        return ProcessIdentity(socket.gethostname(), os.getpid(), _process_key())

    def describe(self) -> str:
        return f"{self.host} pid {self.pid}"

    def sees_gone(self, holder: LockHolder) -> bool:
        """The holder's process ran where this one runs, and no longer exists."""
        return (
            holder.process_key is not None
            and holder.process_key == self.key
            and not (_alive(holder.pid))
        )


def _process_key() -> str | None:
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return None
    return f"{boot}:{namespace}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's
        return True
    return True


@dataclass(frozen=True, slots=True)
class _Attempt:
    holder: LockHolder | None  # None: acquired
    now_ms: int
    started_at: int = 0


WaitReporter = Callable[[str], None]


class Neo4jAnalysisLock:
    def __init__(
        self,
        driver: Driver,
        database: str,
        *,
        stale_after_s: float = DEFAULT_STALE_AFTER_S,
        me: ProcessIdentity | None = None,
        poll_s: float = 1.0,
    ) -> None:
        self.driver = driver
        self.database = database
        self.stale_after_ms = int(stale_after_s * 1000)
        self.me = me or ProcessIdentity.here()
        self.poll_s = poll_s
        # Several beats per bound, so one slow beat never makes a live run look dead.
        self.heartbeat_s = max(0.2, min(10.0, stale_after_s / 6))

    def acquire(
        self, run_id: str, *, wait_s: float | None = None, on_wait: WaitReporter | None = None
    ) -> HeldLock:
        """Take the lock for `run_id` (and record the run RUNNING), or raise
        AnalysisLockedError naming the holder: at once, or after waiting up to `wait_s`."""
        t0 = time.monotonic()
        announced = False
        while True:
            with self.driver.session(database=self.database) as session:
                attempt = session.execute_write(self._attempt, run_id)
            if attempt.holder is None:
                return HeldLock(self, run_id, attempt.started_at)
            waited = time.monotonic() - t0
            if wait_s is None or waited >= wait_s:
                raise AnalysisLockedError(
                    attempt.holder, attempt.now_ms, waited if wait_s else None
                )
            if on_wait is not None and not announced:
                on_wait(f"waiting for {attempt.holder.describe(attempt.now_ms)}")
                announced = True
            time.sleep(min(self.poll_s, max(0.0, wait_s - waited)))

    def _attempt(self, tx: ManagedTransaction, run_id: str) -> _Attempt:
        tx.run(q.CLAIM_LOCK).consume()
        r = tx.run(q.READ_LOCK).single(strict=True)
        now = int(r["now"])
        if r["run"] is not None:
            holder = LockHolder(
                run_id=r["run"],
                host=r["host"],
                pid=int(r["pid"]),
                started_at=int(r["startedAt"]),
                heartbeat=int(r["heartbeat"]),
                process_key=r["processKey"],
            )
            why = self._stale(holder, now)
            if why is None:
                return _Attempt(holder, now)
            error = f"{why}; the lock was taken over by run {run_id}"
            tx.run(q.FAIL_RUN, run=holder.run_id, record={}, error=error).consume()
            log.warning("analysis run %s: %s", holder.run_id, error)
        started = tx.run(
            q.TAKE_LOCK,
            run=run_id,
            host=self.me.host,
            pid=self.me.pid,
            processKey=self.me.key,
            holder=self.me.describe(),
        ).single(strict=True)["startedAt"]
        tx.run(
            q.FAIL_DEAD_RUNS,
            run=run_id,
            error=f"its process stopped without recording the end (found by run {run_id})",
        ).consume()
        bump_graph_version(tx)  # the RUNNING record is news to analysisRuns
        return _Attempt(None, now, int(started))

    def _stale(self, holder: LockHolder, now_ms: int) -> str | None:
        """Why the holder is dead, or None while it may be alive."""
        if self.me.sees_gone(holder):
            return f"its process {holder.pid} on {holder.host} is gone"
        silent = now_ms - holder.heartbeat
        if silent > self.stale_after_ms:
            return f"its heartbeat stopped {silent / 1000:.0f}s ago"
        return None

    def _beat(self, run_id: str) -> bool:
        records, _, _ = self.driver.execute_query(q.HEARTBEAT, run=run_id, database_=self.database)
        return bool(records and records[0]["held"])

    def _release(self, run_id: str) -> None:
        # One attempt, not retried: with the database gone, the heartbeat goes stale instead.
        with self.driver.session(database=self.database) as session:
            session.run(q.RELEASE_LOCK, run=run_id).consume()


class HeldLock:
    """The lock while a run holds it: a context manager that beats the heartbeat and
    releases the lock at the end."""

    def __init__(self, lock: Neo4jAnalysisLock, run_id: str, started_at: int) -> None:
        self.lock = lock
        self.run_id = run_id
        self.started_at = started_at  # epoch ms, the database's clock
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._thread = threading.Thread(target=self._beating, name="analysis-heartbeat")
        self._thread.daemon = True

    def __enter__(self) -> HeldLock:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        with suppress(Exception):  # a dead database: the lock goes stale instead
            self.lock._release(self.run_id)

    def check(self) -> None:
        """Raise LockLostError if another run has taken the lock over."""
        if self._lost.is_set():
            raise LockLostError(
                f"analysis run {self.run_id} lost the lock (its heartbeat was late)"
            )

    def _beating(self) -> None:
        while not self._stop.wait(self.lock.heartbeat_s):
            try:
                if not self.lock._beat(self.run_id):
                    self._lost.set()
                    return
            except Exception as exc:  # the next beat may get through; staleness decides
                log.warning("analysis heartbeat failed: %s", str(exc).splitlines()[0])
