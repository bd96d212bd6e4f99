"""What the collector of a real `pathrank serve` answers to requests it cannot take (a wrong
write key, a body over the limit, malformed bodies, invalid events among valid ones), and
that it is off without a write key (docs/sources.md "The collector"); read back from the real
Kafka."""

from __future__ import annotations

import gzip
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.integration.api_server import serve
from tests.integration.collector_helpers import (
    MAX_BODY,
    PAYLOAD,
    T0,
    TP2,
    WRITE_KEY,
    landed_for,
    ms,
    segment_page,
)
from tests.integration.kafka_read import read_topics


def test_wrong_or_missing_write_key_is_401_and_nothing_is_produced(
    collector: str, collector_topic: str, kafka_bootstrap: str
) -> None:
    body = {"batch": [segment_page("unauthorized-1", "u-1")]}
    wrong = httpx.post(f"{collector}/v1/batch", json=body, auth=("not-the-key", ""))
    missing = httpx.post(f"{collector}/v1/batch", json=body)
    in_body = httpx.post(f"{collector}/v1/batch", json=body | {"writeKey": "nope"})
    assert [wrong.status_code, missing.status_code, in_body.status_code] == [401, 401, 401]
    assert wrong.json() == {"code": "unauthorized", "message": "wrong or missing write key"}
    # The key in the body (Segment's other way) is accepted when there is no header.
    accepted = httpx.post(
        f"{collector}/v1/batch",
        json={"batch": [segment_page("authorized-1", "a-1")], "writeKey": WRITE_KEY},
    )
    assert accepted.status_code == 200, accepted.text
    landed = landed_for(
        kafka_bootstrap, collector_topic, {"unauthorized-1", "authorized-1"}, expect=1
    )
    assert [r.key for r in landed] == [b"authorized-1"]


def test_bodies_over_the_limit_are_413(
    collector: str, collector_topic: str, kafka_bootstrap: str
) -> None:
    batch = {"batch": [segment_page("big-1", f"b-{i}") for i in range(600)]}
    raw = json.dumps(batch).encode()
    assert len(raw) > MAX_BODY
    plain = httpx.post(
        f"{collector}/v1/batch",
        content=raw,
        auth=(WRITE_KEY, ""),
        headers={"content-type": "application/json"},
    )
    packed = gzip.compress(raw)
    assert len(packed) < MAX_BODY  # small on the wire, over the limit once inflated
    zipped = httpx.post(
        f"{collector}/v1/batch",
        content=packed,
        auth=(WRITE_KEY, ""),
        headers={"content-type": "application/json", "content-encoding": "gzip"},
    )
    snowplow = httpx.post(f"{collector}{TP2}", content=b"{" + b" " * MAX_BODY + b"}")
    assert [plain.status_code, zipped.status_code, snowplow.status_code] == [413, 413, 413]
    assert landed_for(kafka_bootstrap, collector_topic, {"big-1"}, expect=0) == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"schema": "iglu:com.acme/other/jsonschema/1-0-0", "data": [{"e": "pv"}]}',
        json.dumps({"schema": PAYLOAD, "data": []}).encode(),
        b"[1, 2]",
    ],
)
def test_malformed_tp2_is_400(collector: str, body: bytes) -> None:
    response = httpx.post(
        f"{collector}{TP2}", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.text.startswith("malformed body")


def test_malformed_segment_bodies_are_400(collector: str) -> None:
    for body in (b"{", b'{"batch": 3}', b"\x1f\x8bnot really gzip"):
        headers = {"content-encoding": "gzip"} if body.startswith(b"\x1f") else {}
        response = httpx.post(
            f"{collector}/v1/batch", content=body, auth=(WRITE_KEY, ""), headers=headers
        )
        assert response.status_code == 400, (body, response.text)


def test_an_invalid_event_is_a_dead_letter_and_the_rest_is_produced(
    collector: str, collector_topic: str, kafka_bootstrap: str
) -> None:
    good = segment_page("mixed-1", "mixed-good")
    late_clock = segment_page("mixed-2", "mixed-badtime") | {"timestamp": "yesterday"}
    no_page = {
        "type": "page",
        "userId": "mixed-3",
        "timestamp": T0.isoformat(),
        "messageId": "mixed-nopage",
    }
    response = httpx.post(
        f"{collector}/v1/batch", json={"batch": [good, late_clock, no_page]}, auth=(WRITE_KEY, "")
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True, "produced": 1, "dead_letters": 2, "skipped": 0}
    tp2 = {
        "schema": PAYLOAD,
        "data": [
            {
                "e": "pv",
                "url": "https://help.example.com/hc/en-us/articles/5-a",
                "uid": "mixed-4",
                "dtm": str(ms(T0)),
            },
            {"e": "pv", "uid": "mixed-5", "dtm": str(ms(T0))},
        ],
    }
    assert httpx.post(f"{collector}{TP2}", json=tp2).status_code == 200

    every = read_topics(kafka_bootstrap, [collector_topic, f"{collector_topic}.dlq"], quiet_s=2.0)
    produced = {
        r.key: r.event["page_id"]
        for r in every
        if r.topic == collector_topic and r.key is not None and r.key.startswith(b"mixed-")
    }
    dead = {
        _sender(orjson.loads(r.value)): r.headers
        for r in every
        if r.topic == f"{collector_topic}.dlq" and b"mixed-" in r.value
    }
    assert produced == {b"mixed-1": "article-301", b"mixed-4": "article-5"}
    assert {sender: h["dlq.reason"] for sender, h in dead.items()} == {
        "mixed-2": "invalid timestamp: unparseable",
        "mixed-3": "missing page URL",
        "mixed-5": "missing page URL",
    }
    assert {sender: h["dlq.source.path"] for sender, h in dead.items()} == {
        "mixed-2": "/v1/batch",
        "mixed-3": "/v1/batch",
        "mixed-5": TP2,
    }
    nopage = next(
        r for r in every if r.topic == f"{collector_topic}.dlq" and b"mixed-nopage" in r.value
    )
    assert orjson.loads(nopage.value) == no_page  # the event as it was sent


def _sender(event: dict[str, Any]) -> str:
    return str(event.get("userId") or event.get("uid"))


def test_identify_is_accepted_and_ignored(collector: str) -> None:
    response = httpx.post(
        f"{collector}/v1/identify", json={"userId": "x", "traits": {"a": 1}}, auth=(WRITE_KEY, "")
    )
    assert response.status_code == 200
    assert response.json()["skipped"] == 1


def test_without_a_write_key_the_collector_is_off(services: dict[str, Any], tmp_path: Path) -> None:
    with serve(services, PATHRANK_TOPIC=f"off-{uuid.uuid4().hex[:8]}") as url:
        segment = httpx.post(f"{url}/v1/batch", json={"batch": []}, auth=("x", ""))
        snowplow = httpx.get(f"{url}/i?e=pv")
    assert segment.status_code == 404
    assert segment.json()["message"] == "the collector is off: set PATHRANK_WRITE_KEY to turn it on"
    assert (snowplow.status_code, snowplow.text) == (
        404,
        "the collector is off: set PATHRANK_WRITE_KEY to turn it on",
    )
