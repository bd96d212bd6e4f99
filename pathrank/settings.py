"""Settings from `PATHRANK_*` environment variables (frozen, validated once)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import orjson
from pydantic import AwareDatetime, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from graph_model.search.text import QueryRedactionError, QueryText
from ingest.events import DEFAULT_MAX_CLOCK_SKEW_S, MAX_ID_BYTES
from ingest.search import DEFAULT_SEARCH_EVENTS, DEFAULT_SEARCH_PAGE

# JVM-style memory sizes: 512m, 4g.
_SIZE = r"^[1-9][0-9]*[kmgKMG]$"


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "pathrank"


class Settings(BaseSettings):
    """Everything the CLI needs to reach Neo4j and Kafka and to shape paths."""

    model_config = SettingsConfigDict(env_prefix="PATHRANK_", frozen=True, extra="ignore")

    # Neo4j. Unset, the password is the local one `services up` generates (Wiring.password).
    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr | None = None
    neo4j_database: str = "neo4j"

    # Kafka
    kafka_bootstrap: str = "127.0.0.1:9092"
    topic: str = "clickstream"
    pages_topic: str = "pages"
    group: str = "pathrank-ingest"
    # New topics get this many partitions: the unit of parallel ingest (docs/scaling.md).
    topic_partitions: int = Field(default=3, ge=1)
    # librdkafka client properties for every Kafka client (TLS, SASL: docs/security.md).
    kafka_properties: Path | None = None
    batch_size: int = Field(default=5000, ge=1, le=100_000)
    # How long ingest waits for a batch to fill before writing what it has: less is fresher
    # (live assist's latency), more writes fewer, larger batches of a slow stream.
    batch_wait_s: float = Field(default=0.5, gt=0, le=10)
    # A click timestamped further ahead of this machine's clock is a dead letter (events.md).
    max_clock_skew_s: float = Field(default=DEFAULT_MAX_CLOCK_SKEW_S, ge=0, le=86_400)
    # A click timestamped before this is a dead letter (events.md): ISO-8601 with a zone.
    min_timestamp: AwareDatetime = datetime.fromisoformat("2000-01-01T00:00:00+00:00")

    # Path semantics (docs/paths.md)
    inactivity_timeout_s: float = Field(default=1800.0, gt=0)
    quick_turnaround_s: float = Field(default=10.0, gt=0)
    # An event more than this behind its customer's latest stored event is too late: a dead
    # letter (docs/paths.md, "Allowed lateness"). 3 days.
    allowed_lateness_s: float = Field(default=259_200.0, ge=0)
    # Retention (docs/paths.md, "Retention"): the Click nodes of paths that ended more than
    # this many days before the watermark, and that no accepted late event can change, are
    # compacted away. Unset: clicks are kept for ever.
    click_retention_days: float | None = Field(default=None, gt=0)
    # Click nodes an ingest batch compacts at most (0: only `pathrank compact` does).
    compact_per_batch: int = Field(default=10_000, ge=0)

    # Live assist (docs/assist.md): ingest scores open paths and announces at-risk changes.
    assist: bool = True
    assist_topic: str = "assist"
    assist_threshold: float = Field(default=0.2, ge=0, le=1)
    assist_min_clicks: int = Field(default=3, ge=1)
    # How often ingest checks whether a newer analysis completed (one short read).
    assist_refresh_s: float = Field(default=5.0, gt=0, le=3600)
    # Origins of pages (another site's help center) that may open the `atRisk` WebSocket,
    # comma-separated (`*`: any); the server's own pages always may.
    assist_origins: Annotated[tuple[str, ...], NoDecode] = ()

    # Analysis: a lock whose heartbeat is older than this belongs to a run that died (its
    # process or its machine), and is taken over (docs/analytics.md, "Running the analysis").
    analysis_lock_stale_s: float = Field(default=120.0, gt=0)
    # Tests only: make the analysis fail at a step, "<step>:raise|kill|stop|sleep[:seconds]"
    # (pathrank.faults).
    analysis_fault: str | None = None
    # Tests only: make ingest misbehave as a batch's write starts or ends,
    # "write|written[@n]:raise|kill|stop|sleep[:seconds]" (pathrank.faults).
    ingest_fault: str | None = None

    # Foreign sources (docs/sources.md): which event names are outcome markers, comma-separated.
    resolution_events: str = ""
    escalation_events: str = ""
    # Page rules (a TOML file) for the collector and `ingest --format`; produce's --page-rules
    # overrides it.
    page_rules: Path | None = None
    # Searches (docs/sources.md, "Searches"): Segment/RudderStack `track` names that are
    # searches, the reserved page of search steps, and expressions redacted from queries
    # (one regular expression, or a JSON list of them).
    search_events: str = ",".join(sorted(DEFAULT_SEARCH_EVENTS))
    search_page: str = DEFAULT_SEARCH_PAGE
    query_redact: Annotated[tuple[str, ...], NoDecode] = ()

    # API (docs/api.md "Security" and "Limits")
    api_key: SecretStr | None = None
    # Every /graphql and /metrics request needs the key, not only runAnalysis.
    api_key_for_reads: bool = False
    # Host names the API answers (comma-separated; `*.example.com`, `*` for any); empty: the
    # --host it listens on and the loopback names.
    api_allowed_hosts: Annotated[tuple[str, ...], NoDecode] = ()
    # Each query's execution budget in seconds (not runAnalysis); each Neo4j read times out
    # after 10 s, or this if less.
    api_time_budget_s: float = Field(default=10.0, gt=0, le=600)
    # Answer repeated queries of an unchanged graph from memory (docs/api.md "Response cache").
    api_cache: bool = True
    # `pathrank serve` (API and collector): a request's headers and body must arrive within
    # this many seconds (else 408, connection closed); a connection that sends nothing for
    # the idle timeout is closed.
    http_body_timeout_s: float = Field(default=20.0, gt=0, le=600)
    http_idle_timeout_s: float = Field(default=5.0, ge=1, le=600)
    # While Kafka or Neo4j is down, each source of repeated log lines (a Kafka client, the
    # driver, failed reads) logs one line per this many seconds (pathrank.logs).
    log_repeat_s: float = Field(default=60.0, gt=0, le=3600)
    # The collector (docs/sources.md): off unless a write key is set.
    write_key: SecretStr | None = None
    # Origins of pages that may send events from the browser (CORS), comma-separated (`*`:
    # any, without cookies); empty: none.
    collector_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # The Snowplow routes need this key (header X-PathRank-Key or query parameter
    # pathrank_key) when set; unset, anyone who reaches them can send events.
    snowplow_key: SecretStr | None = None
    collector_max_body_bytes: int = Field(default=512 * 1024, ge=1024, le=64 * 1024 * 1024)

    # The work queue and its alerts (docs/alerts.md). Webhook URLs, comma-separated (a Slack
    # incoming-webhook URL gets Slack's message format); the secret signs every body.
    webhook_urls: Annotated[tuple[str, ...], NoDecode] = ()
    webhook_secret: SecretStr | None = None
    # A new work item is announced when it stands for at least this many tickets a week.
    alert_tickets_per_week: float = Field(default=1.0, ge=0)
    # Retries: base x 2^(attempts before) seconds, at most the max, until the last attempt.
    webhook_retry_base_s: float = Field(default=5.0, gt=0, le=3600)
    webhook_retry_max_s: float = Field(default=3600.0, gt=0, le=86_400)
    webhook_max_attempts: int = Field(default=20, ge=1, le=1000)
    webhook_timeout_s: float = Field(default=10.0, gt=0, le=120)
    # How often `pathrank serve` looks for alerts to deliver.
    webhook_poll_s: float = Field(default=2.0, gt=0, le=600)

    # Local services (`pathrank services`)
    cache_dir: Path = Field(default_factory=_default_cache_dir)
    neo4j_bolt_port: int = 7687
    neo4j_http_port: int = 7474
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    neo4j_heap: str = Field(default="4g", pattern=_SIZE)
    neo4j_pagecache: str = Field(default="2g", pattern=_SIZE)
    kafka_heap: str = Field(default="1g", pattern=_SIZE)

    @field_validator(
        "api_allowed_hosts", "assist_origins", "collector_origins", "webhook_urls", mode="before"
    )
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(name.strip() for name in value.split(",") if name.strip())
        return value

    @field_validator("query_redact", mode="before")
    @classmethod
    def _split_expressions(cls, value: object) -> object:
        """One expression, or a JSON list of them (commas belong to regular expressions)."""
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                try:
                    loaded = orjson.loads(value)
                except orjson.JSONDecodeError as exc:
                    raise ValueError(f"not a JSON list of expressions: {exc}") from None
                return tuple(loaded) if isinstance(loaded, list) else loaded
            return (value,) if value else ()
        return value

    @field_validator("query_redact")
    @classmethod
    def _check_expressions(cls, expressions: tuple[str, ...]) -> tuple[str, ...]:
        try:
            QueryText.of(expressions)
        except QueryRedactionError as exc:
            raise ValueError(str(exc)) from None
        return expressions

    @field_validator("search_page")
    @classmethod
    def _check_search_page(cls, page: str) -> str:
        """A page id as events may send one: not blank, no control character, 512 bytes."""
        if not page.strip() or any(c < " " or c == "\x7f" for c in page):
            raise ValueError("not a page id: blank, or with a control character")
        if len(page.encode("utf-8", "surrogatepass")) > MAX_ID_BYTES:
            raise ValueError(f"not a page id: longer than {MAX_ID_BYTES} bytes")
        return page

    @field_validator("api_allowed_hosts")
    @classmethod
    def _check_wildcards(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        for name in names:
            if "*" in name[1:] or (name.startswith("*") and name != "*" and name[1] != "."):
                raise ValueError(f"{name!r}: a wildcard is `*` (any host) or `*.example.com`")
        return names

    @field_validator("assist_origins", "collector_origins")
    @classmethod
    def _check_origins(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        for origin in origins:
            if origin != "*" and (not _is_web_url(origin) or urlsplit(origin).path):
                raise ValueError(f"{origin!r}: an origin is `https://host[:port]` (or `*`)")
        return origins

    @field_validator("webhook_urls")
    @classmethod
    def _check_webhooks(cls, urls: tuple[str, ...]) -> tuple[str, ...]:
        for url in urls:
            if not _is_web_url(url):
                # Not the URL itself: a webhook URL is a secret (Slack's carry a token).
                raise ValueError(f"a webhook URL is http(s)://host/... (got {url[:8]!r}...)")
        return urls

    @property
    def resolution_event_names(self) -> frozenset[str]:
        return _names(self.resolution_events)

    @property
    def escalation_event_names(self) -> frozenset[str]:
        return _names(self.escalation_events)

    @property
    def search_event_names(self) -> frozenset[str]:
        return _names(self.search_events)

    @model_validator(mode="after")
    def _retention_covers_the_lateness(self) -> Settings:
        days = self.click_retention_days
        if days is not None and days * 86_400 < self.allowed_lateness_s:
            raise ValueError(
                f"PATHRANK_CLICK_RETENTION_DAYS ({days:g} days) is shorter than "
                f"PATHRANK_ALLOWED_LATENESS_S ({self.allowed_lateness_s:g} s): clicks that "
                "may still change would be compacted away"
            )
        return self

    @model_validator(mode="after")
    def _markers_are_one_kind(self) -> Settings:
        both = self.resolution_event_names & self.escalation_event_names
        if both:
            raise ValueError(
                f"{', '.join(sorted(both))} in both PATHRANK_RESOLUTION_EVENTS and "
                "PATHRANK_ESCALATION_EVENTS"
            )
        markers = self.resolution_event_names | self.escalation_event_names
        searches = markers & self.search_event_names
        if searches:
            raise ValueError(
                f"{', '.join(sorted(searches))} in both PATHRANK_SEARCH_EVENTS and a marker "
                "setting (PATHRANK_RESOLUTION_EVENTS, PATHRANK_ESCALATION_EVENTS)"
            )
        return self


def _is_web_url(url: str) -> bool:
    """An http(s) URL with a host: what origins and webhooks both name."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _names(listed: str) -> frozenset[str]:
    return frozenset(name.strip() for name in listed.split(",") if name.strip())
