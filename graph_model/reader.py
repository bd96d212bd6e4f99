"""The API's way of running a read: one auto-commit statement on the async driver, timed,
bounded by a transaction timeout, its failures typed.

Every per-aggregate read class (`graph_model.<aggregate>.reads`) runs its statements through
one shared `Reader`, so the observers (metrics, tests) and the timeout are set in one place.

The async driver belongs to the event loop it was opened on (the reader's home). The API
resolves queries on loops of their own, in threads (graphql_api/execution.py): a read
awaited there runs on the home loop and its answer comes back; cancelling the wait cancels
the read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Final

from neo4j import READ_ACCESS, AsyncDriver, Query, Record
from neo4j.exceptions import (
    ClientError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)

from graph_model.errors import GraphUnavailableError, QueryTimeoutError
from graph_model.run.cypher import RESULTS_INTACT
from graph_model.run.record import RETIRED_RESULTS_GRACE_S
from graph_model.version import READ_VERSION

# Called after every statement with its name and duration in seconds.
QueryObserver = Callable[[str, float], None]

# A replaced run's results are deleted no sooner than the grace period after the switch, so
# a request that took less than this since it pinned its run cannot have seen a deletion (the
# margin covers a step of the database's clock).
PIN_TRUSTED_S: Final = RETIRED_RESULTS_GRACE_S / 3


@dataclass
class AnalysisPin:
    """The analysis run one API request reads: the first statement of analysis results reads
    the current run, every later one reads that same run (`graph_model.statements.
    of_analysis`). `stale`: statements that ran at once read different runs (a switch in
    between), or the run was deleted under a long request: the request must run again."""

    run: str | None = None
    pinned: bool = False
    stale: bool = False
    started: float = field(default_factory=time.monotonic)

    def observe(self, run: str | None) -> None:
        if not self.pinned:
            self.pinned, self.run = True, run
        elif run != self.run:
            self.stale = True


_PIN: ContextVar[AnalysisPin | None] = ContextVar("analysis_pin", default=None)


@contextmanager
def pinned_analysis() -> Iterator[AnalysisPin]:
    """Every read of analysis results in this context (one API request: its resolvers and
    DataLoader tasks inherit the context) sees one run."""
    pin = AnalysisPin()
    token = _PIN.set(pin)
    try:
        yield pin
    finally:
        _PIN.reset(token)


# Each read's transaction timeout, unless the caller asks for less.
READ_TIMEOUT_S: Final = 10.0


class Reader:
    def __init__(
        self, driver: AsyncDriver, database: str, timeout_s: float = READ_TIMEOUT_S
    ) -> None:
        self.driver = driver
        self.database = database
        self.timeout_s = timeout_s
        self._observers: list[QueryObserver] = []
        try:
            self._home: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # made outside a loop: its reads run where they are awaited
            self._home = None

    def add_observer(self, observer: QueryObserver) -> None:
        self._observers.append(observer)

    async def run(self, name: str, text: str, **params: Any) -> list[Record]:
        home = self._home
        if home is None or asyncio.get_running_loop() is home:
            return await self._run(name, text, params)
        return await asyncio.wrap_future(
            asyncio.run_coroutine_threadsafe(self._run(name, text, params), home)
        )

    async def _run(self, name: str, text: str, params: dict[str, Any]) -> list[Record]:
        started = time.perf_counter()
        query = Query(text, timeout=self.timeout_s, metadata={"app": "pathrank-api", "read": name})
        try:
            # An auto-commit read: RUN and PULL go out in one flush, where a managed
            # transaction adds BEGIN and a COMMIT round trip (about a fifth of the API's CPU
            # per request in a profile). No bookmarks: reads need no causal chain with our
            # own writes. Not retried: an outage surfaces as GraphUnavailableError.
            async with self.driver.session(
                database=self.database, default_access_mode=READ_ACCESS
            ) as session:
                result = await session.run(query, params)
                records = [record async for record in result]
        except (ServiceUnavailable, SessionExpired) as exc:
            raise GraphUnavailableError(f"Neo4j is unavailable: {exc}") from exc
        except ClientError as exc:
            if "TransactionTimedOut" in (exc.code or ""):
                raise QueryTimeoutError(f"{name} took longer than {self.timeout_s}s") from exc
            raise
        except DriverError as exc:
            raise GraphUnavailableError(f"Neo4j driver error: {exc}") from exc
        finally:
            elapsed = time.perf_counter() - started
            for observer in self._observers:
                observer(name, elapsed)
        return records

    async def rows(self, name: str, text: str, **params: Any) -> list[Mapping[str, Any]]:
        """A list statement's single record: its `rows` (one record, not one per row: fewer
        Bolt messages, about a third faster on the async driver)."""
        records = await self.run(name, text, **params)
        return list(records[0]["rows"]) if records else []

    async def analysed(self, name: str, text: str, **params: Any) -> Any:
        """The `rows` of an `of_analysis` statement, read from the run the request has pinned
        (the current run when none is pinned yet, or outside a request)."""
        pin = _PIN.get()
        pinned = pin is not None and pin.pinned
        run = pin.run if pin is not None and pin.pinned else None
        records = await self.run(name, text, pinned=pinned, run=run, **params)
        if not records:
            return None
        if pin is not None:
            pin.observe(records[0]["run"])
        return records[0]["rows"]

    async def analysed_rows(self, name: str, text: str, **params: Any) -> list[Mapping[str, Any]]:
        """`analysed` for a list statement."""
        return list(await self.analysed(name, text, **params) or [])

    async def still_readable(self, pin: AnalysisPin) -> bool:
        """Whether everything a request read of its pinned run was there all along: a short
        request (the usual) needs no query."""
        if pin.stale:
            return False
        if not pin.pinned or pin.run is None or time.monotonic() - pin.started < PIN_TRUSTED_S:
            return True
        records = await self.run("results_intact", RESULTS_INTACT, run=pin.run)
        return bool(records and records[0]["intact"])

    async def ping(self) -> None:
        """Raise GraphUnavailableError unless the database answers a query."""
        try:
            await self.run("ping", "RETURN 1 AS ok")
        except Neo4jError as exc:
            raise GraphUnavailableError(str(exc)) from exc

    async def graph_version(self) -> str | None:
        """A token that changes with every write our software makes: equal tokens mean the
        same data. None before the first write (or while a clear has removed it)."""
        records = await self.run("graph_version", READ_VERSION)
        value = records[0]["version"] if records else None
        return None if value is None else str(value)


def unique(ids: Sequence[Any]) -> list[Any]:
    """Ids once each, in first-seen order (a DataLoader batch may repeat none, but callers may)."""
    return list(dict.fromkeys(ids))


class Neo4jReads:
    """Base of each aggregate's Neo4j reads: they run their statements through one Reader."""

    def __init__(self, reader: Reader) -> None:
        self._r = reader
