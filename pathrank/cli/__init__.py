"""The `pathrank` command line: the composition root that wires settings to packages.

One module per group of commands; each registers on `app`. Analysis (graphdatascience,
scipy), the API and the simulator are imported by the commands that use them: importing them
all cost every `pathrank ingest` ~2.7 s before its first poll.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import typer

from ingest.sources.page_rules import PageRulesError

# Each module adds its commands to `app` when imported.
from pathrank.cli import analysis, data, demo, history, reset, serve, services  # noqa: F401
from pathrank.cli.common import CliError, app, err
from pathrank.cli.help import readable
from pathrank.services import ServiceError


def main() -> None:
    """Entry point: every known failure becomes one line on stderr and exit status 1."""
    command = typer.main.get_command(app)
    readable(command)
    try:
        command.main(prog_name="pathrank", standalone_mode=False)
    except CliError as exc:
        _fail(str(exc), exc.exit_code)
    except (ServiceError, PageRulesError) as exc:
        _fail(str(exc))
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("pathrank: aborted")
        sys.exit(130)
    except Exception as exc:  # the CLI promises one readable line
        # Usage errors (bad command, option or value) come from typer's click layer.
        message = getattr(exc, "format_message", None)
        if callable(message):
            code = int(getattr(exc, "exit_code", 2))
            if not str(message()).strip():  # `pathrank` alone: the help was printed
                sys.exit(code)
            _fail(str(message()), code)
        _fail(f"{type(exc).__name__}: {exc}")


def _fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr, whatever the message held, then a non-zero exit."""
    err.print("pathrank: error: " + " ".join(message.split()), markup=False)
    sys.exit(code)
