"""Where an HTTP query executes: in a pool of threads, each with its own event loop, never on
the server's event loop.

Resolving fields is Python work (graphql-core and Strawberry, ~5 us a field): a query the
limits allow can still take a few hundred milliseconds of CPU, and on the server's one event
loop every other request, `/healthz` included, waited for it. In a thread it shares the CPU
with them instead (the interpreter switches threads every few milliseconds), and the server
answers its time budget on time even while a query is in the middle of a long stretch of
Python: the answer is the same TIMEOUT error, and the thread's own budget stops the query at
its next read. The graph's reads hop back to the server's loop, where the driver lives
(graph_model.reader). Subscriptions stay on the server's loop (they wait, they do not work).
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

T = TypeVar("T")

# Queries executing at once; more wait for a thread (their budget runs meanwhile).
EXECUTION_THREADS: Final = 8
# The query's own budget (extensions/budget.py) answers first when it can: it cancels the
# reads and counts the timeout. The server steps in only this much later.
GRACE_S: Final = 0.25

_local = threading.local()


def _thread_loop() -> asyncio.AbstractEventLoop:
    """The calling pool thread's own event loop, made on its first query."""
    loop: asyncio.AbstractEventLoop | None = getattr(_local, "loop", None)
    if loop is None:
        loop = _local.loop = asyncio.new_event_loop()
    return loop


@dataclass
class _Job:
    """One query handed to a thread; `abandoned` once the server answered it (its budget ran
    out first), so that a thread that gets to it late does not start it at all."""

    make: Callable[[], Coroutine[Any, Any, Any]]
    abandoned: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> Any:
        with self._lock:
            if self.abandoned:
                return None
        return _thread_loop().run_until_complete(self.make())

    def abandon(self) -> None:
        with self._lock:
            self.abandoned = True


class Executor:
    """Runs coroutines off the server's event loop and waits for them there."""

    def __init__(self, threads: int = EXECUTION_THREADS) -> None:
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="graphql")

    async def run(
        self,
        make: Callable[[], Coroutine[Any, Any, T]],
        budget_s: float,
        on_timeout: Callable[[], T],
        exempt: Callable[[], bool] = lambda: False,
    ) -> T:
        """`make()`'s result, run in a pool thread (with this task's context variables), or
        `on_timeout()` once `budget_s` (and a grace) has passed without one, unless the
        operation turned out to be `exempt()` from the budget (a mutation), which is then
        awaited to its end."""
        job = _Job(make)
        context = contextvars.copy_context()
        future = asyncio.get_running_loop().run_in_executor(self._pool, context.run, job.run)
        try:
            result: T = await asyncio.wait_for(asyncio.shield(future), budget_s + GRACE_S)
        except TimeoutError:
            if exempt():
                return await future  # type: ignore[no-any-return]
            job.abandon()
            future.add_done_callback(_retrieve)  # its late outcome is nobody's
            return on_timeout()
        return result

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
