"""What both local servers share: where their state, logs and pid live."""

from __future__ import annotations

from typing import Generic, TypeVar

from pathrank.services import process
from pathrank.services.layout import Layout
from pathrank.services.versions import Versions

C = TypeVar("C")


class LocalServer(Generic[C]):
    name: str
    log_name: str  # the server's own log, in its logs/ folder
    stop_timeout_s: float  # how long a clean shutdown may take before the process is killed

    def __init__(self, layout: Layout, versions: Versions, config: C) -> None:
        self.layout = layout
        self.versions = versions
        self.config = config
        self.home = layout.home(self.name)
        self.pid_file = layout.run / f"{self.name}.pid"
        self.console_log = self.home / "logs" / "console.log"
        self.log = self.home / "logs" / self.log_name

    def pid(self) -> int | None:
        """Its pid while it runs (not once it has exited, reaped or not)."""
        return process.read_pid(self.pid_file)

    def recorded_pid(self) -> int | None:
        """The pid `services up` recorded, running or not (removed by `services down`)."""
        return process.recorded_pid(self.pid_file)

    def stop(self) -> bool:
        """Stop the server if it runs; True if it was running."""
        return process.stop(self.pid_file, timeout=self.stop_timeout_s)
