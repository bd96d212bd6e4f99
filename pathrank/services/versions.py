"""Every server version, pinned in this one place and handed to the Maven poms."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Versions:
    neo4j: str = "5.26.30"
    # GDS 2.13 is the line built for Neo4j 5.26; 2.13.9 runs on 5.26.30 (checked).
    gds: str = "2.13.9"
    neo4j_browser: str = "5.24.0"
    kafka: str = "3.9.2"
    slf4j: str = "1.7.36"

    def neo4j_properties(self) -> dict[str, str]:
        return {
            "neo4j.version": self.neo4j,
            "gds.version": self.gds,
            "neo4j.browser.version": self.neo4j_browser,
        }

    def kafka_properties(self) -> dict[str, str]:
        return {"kafka.version": self.kafka, "slf4j.version": self.slf4j}

    @property
    def neo4j_dist_name(self) -> str:
        return f"neo4j-{self.neo4j}-gds-{self.gds}-browser-{self.neo4j_browser}"

    @property
    def kafka_dist_name(self) -> str:
        return f"kafka-{self.kafka}"


VERSIONS = Versions()
