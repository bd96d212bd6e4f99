"""What the collector tests share: the write key they serve with, the Snowplow paths, a clock
an hour ago, the official clients pointed at a served collector, and its records read back
from Kafka."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from segment.analytics import Client as SegmentClient
from snowplow_tracker import Emitter

from tests.integration.kafka_read import Landed, read_topics

WRITE_KEY = "wk-" + uuid.uuid4().hex[:8]
MAX_BODY = 64 * 1024  # PATHRANK_COLLECTOR_MAX_BODY_BYTES of the `collector` fixture
TP2 = "/com.snowplowanalytics.snowplow/tp2"
PAYLOAD = "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4"
# Help-center article URLs to page ids.
ARTICLES = r"""
[[rule]]
match = '^/hc/[a-z]{2}(-[a-z]{2})?/articles/(\d+)'
page = 'article-$2'
"""
# ... and the search page is no page.
RULES = (
    ARTICLES
    + r"""
[[rule]]
match = '^/hc/[a-z-]+/search'
exclude = true
"""
)
# An hour ago, to the second: inside validation's clock window, exact in every format.
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def ms(at: datetime) -> int:
    return int(at.timestamp()) * 1000


def collector_settings(folder: Path) -> dict[str, str]:
    """The settings of a collector with our write key, RULES (written into `folder`) and the
    SDKs' resolution and escalation events."""
    rules = folder / "rules.toml"
    rules.write_text(RULES)
    return {
        "PATHRANK_WRITE_KEY": WRITE_KEY,
        "PATHRANK_RESOLUTION_EVENTS": "Article Helpful,article_helpful",
        "PATHRANK_ESCALATION_EVENTS": "Ticket Created,open_chat",
        "PATHRANK_PAGE_RULES": str(rules),
    }


def segment_client(url: str, errors: list[object], client_class: Any = SegmentClient) -> Any:
    """Segment's SDK (or RudderStack's, its fork) sending to the collector at `url` with our
    write key, gzipped, without retries, its errors appended to `errors`."""
    return client_class(
        WRITE_KEY, host=url, gzip=True, max_retries=0, on_error=lambda e, _b: errors.append(e)
    )


def emitter(url: str, failures: list[object], method: str = "post", **options: Any) -> Emitter:
    """The Snowplow tracker's emitter sending to the collector at `url`, its failures
    appended to `failures`."""
    return Emitter(
        "127.0.0.1",
        protocol="http",
        port=urlsplit(url).port,
        method=method,
        on_failure=lambda n, events: failures.append((n, events)),
        **options,
    )


def landed_for(bootstrap: str, topic: str, customers: set[str], expect: int) -> list[Landed]:
    """The records of these customers on the topic and its dead-letter topic."""
    every = read_topics(bootstrap, [topic, f"{topic}.dlq"], expect=None, quiet_s=2.0)
    mine = [r for r in every if r.key is not None and r.key.decode() in customers]
    deadline_reads = 0
    while len(mine) < expect and deadline_reads < 5:  # deliveries are acknowledged; reads may lag
        every = read_topics(bootstrap, [topic, f"{topic}.dlq"], expect=None, quiet_s=2.0)
        mine = [r for r in every if r.key is not None and r.key.decode() in customers]
        deadline_reads += 1
    return mine


def segment_page(user: str, message_id: str) -> dict[str, Any]:
    """A Segment page call as sent over HTTP, at T0."""
    return {
        "type": "page",
        "userId": user,
        "messageId": message_id,
        "timestamp": T0.isoformat(),
        "properties": {"path": "/hc/en-us/articles/301-z"},
    }
