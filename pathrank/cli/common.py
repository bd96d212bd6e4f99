"""What every command module shares: the app, the consoles, settings and the checks."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer
from neo4j import Driver
from neo4j.exceptions import AuthError, ServiceUnavailable
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ingest.kafka_client import load_properties, use_properties
from pathrank import logs
from pathrank.services.process import port_open
from pathrank.settings import Settings
from pathrank.wiring import Wiring

app = typer.Typer(
    name="pathrank",
    help="Customer PathRank: clickstream paths in Neo4j, analysed with Graph Data Science.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def _show_version(asked: bool) -> None:
    if asked:
        try:
            number = version("customer-pathrank")
        except PackageNotFoundError:  # run from a checkout that was never installed
            number = "unknown"
        out.print(f"pathrank {number}")
        raise typer.Exit


@app.callback()
def _every_command(
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_show_version,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Customer PathRank: clickstream paths in Neo4j, analysed with Graph Data Science."""
    logs.for_command(err)  # librdkafka's lines and ours, on stderr, outages throttled
    path = settings().kafka_properties
    if path is not None:  # before any Kafka client is made
        try:
            use_properties(load_properties(path))
        except (OSError, ValueError) as exc:
            raise CliError(f"PATHRANK_KAFKA_PROPERTIES: {exc}") from exc


class CliError(Exception):
    """An error reported as one line on stderr with a non-zero exit (`exit_code`)."""

    exit_code = 1


class BusyError(CliError):
    """Another analysis run holds the lock."""

    exit_code = 3


# A command may run others with adjusted settings (the demo: its own topics and group).
_settings_override: ContextVar[Settings | None] = ContextVar("settings_override", default=None)


def settings() -> Settings:
    return _settings_override.get() or Settings()


@contextmanager
def settings_override(adjusted: Settings) -> Iterator[None]:
    token = _settings_override.set(adjusted)
    try:
        yield
    finally:
        _settings_override.reset(token)


def wiring() -> Wiring:
    return Wiring(settings())


def check_kafka(bootstrap: str) -> None:
    """One readable line instead of librdkafka retrying forever against nothing."""
    host, _, port = bootstrap.rpartition(":")
    if not port_open(int(port), host or "127.0.0.1", timeout=3.0):
        raise CliError(f"Kafka is not reachable at {bootstrap} (try `pathrank services up`)")


def check_port(host: str, port: int, hint: str = "") -> None:
    """CliError unless a server could listen on host:port now."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        socket.create_server((host, port), family=family).close()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CliError(
            f"cannot listen on {host}:{port}: {reason}" + (f"; {hint}" if hint else "")
        ) from exc


def require_neo4j(driver: Driver, s: Settings) -> None:
    try:
        driver.verify_connectivity()
    except (ServiceUnavailable, OSError) as exc:
        raise CliError(
            f"Neo4j is not reachable at {s.neo4j_uri} (try `pathrank services up`)"
        ) from exc
    except AuthError as exc:
        raise CliError(f"Neo4j at {s.neo4j_uri} rejected user {s.neo4j_user!r}") from exc


def progress() -> Progress:
    """A bar with the count done, the time taken and the time left, on a terminal only
    (redirected to a file or a CI log it would be a line per refresh)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=err,
        transient=False,
        disable=not err.is_terminal,
    )
