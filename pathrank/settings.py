"""Settings from `PATHRANK_*` environment variables (frozen, validated once)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from pathrank.services.credentials import read_password
from pathrank.services.errors import ServiceError
from pathrank.services.layout import Layout

# JVM-style memory sizes: 512m, 4g.
_SIZE = r"^[1-9][0-9]*[kmgKMG]$"


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "pathrank"


class Settings(BaseSettings):
    """Everything the CLI needs to reach Neo4j and Kafka and to shape paths."""

    model_config = SettingsConfigDict(env_prefix="PATHRANK_", frozen=True, extra="ignore")

    # Neo4j. Unset, the password is the local one `services up` generates (neo4j_password()).
    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr | None = None
    neo4j_database: str = "neo4j"

    # Kafka
    kafka_bootstrap: str = "127.0.0.1:9092"
    topic: str = "clickstream"
    pages_topic: str = "pages"
    group: str = "pathrank-ingest"

    # Path semantics (DESIGN.md section 3 and 4)
    inactivity_timeout_s: float = Field(default=1800.0, gt=0)
    quick_turnaround_s: float = Field(default=10.0, gt=0)

    # API
    api_key: str | None = None
    # Answer repeated queries of an unchanged graph from memory (docs/api.md "Response cache").
    api_cache: bool = True

    # Local services (`pathrank services`)
    cache_dir: Path = Field(default_factory=_default_cache_dir)
    neo4j_bolt_port: int = 7687
    neo4j_http_port: int = 7474
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    neo4j_heap: str = Field(default="4g", pattern=_SIZE)
    neo4j_pagecache: str = Field(default="2g", pattern=_SIZE)
    kafka_heap: str = Field(default="1g", pattern=_SIZE)


def neo4j_password(settings: Settings) -> str:
    """The password to log in to Neo4j with: PATHRANK_NEO4J_PASSWORD when set (a remote Neo4j),
    else the one the first `pathrank services up` generated in the cache dir."""
    override = settings.neo4j_password
    if override is not None and override.get_secret_value():
        return override.get_secret_value()
    path = Layout(settings.cache_dir).neo4j_password
    password = read_password(path)
    if password is None:
        raise ServiceError(
            f"no Neo4j password yet: `pathrank services up` generates the local one (in {path}); "
            "for another Neo4j set PATHRANK_NEO4J_PASSWORD"
        )
    return password
