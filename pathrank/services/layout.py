"""Where the cached servers and their state live (outside the repository)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    """~/.cache/pathrank by default: dist/ holds read-only servers, the rest is state."""

    root: Path

    @property
    def dist(self) -> Path:
        return self.root / "dist"

    @property
    def maven_log(self) -> Path:
        return self.root / "maven.log"

    @property
    def run(self) -> Path:
        return self.root / "run"

    def home(self, server: str) -> Path:
        return self.root / server

    @property
    def neo4j_password(self) -> Path:
        """Inside Neo4j's home: deleting that folder drops the database and its password."""
        return self.home("neo4j") / "password"
