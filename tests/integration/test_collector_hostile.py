"""What a public collector receives every day, through a real `pathrank serve`, the official
Segment client, the Snowplow tracker and raw HTTP (a lone surrogate or bytes that are not
UTF-8 can only be sent as raw bytes), read back from the real Kafka and ingested into the
real Neo4j (docs/events.md "Text and ids", docs/sources.md "What an open collector lets others
do"): valid events arrive, invalid ones are dead letters with their bytes as sent and a
reason, ids are kept exactly, two customers with the same event id keep both clicks, and
the collector answers only its origins, its host names and, for Snowplow, its key."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import requests
from segment.analytics import Client as SegmentClient
from snowplow_tracker import Emitter, Subject, Tracker
from snowplow_tracker.events import PageView

from tests.integration.api_server import serve
from tests.integration.collector_helpers import PAYLOAD, T0, TP2, WRITE_KEY, ms, segment_client
from tests.integration.ingest_helpers import TestGraph, fresh_names, ingest_until_idle
from tests.integration.kafka_read import Landed, read_topics

SNOWPLOW_KEY = "sp-" + uuid.uuid4().hex[:8]
ORIGIN = "https://help.example.com"
FLOOR = "timestamp before the earliest accepted (PATHRANK_MIN_TIMESTAMP)"


@pytest.fixture(scope="module")
def topic() -> str:
    return f"hostile-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def base(services: dict[str, Any], topic: str) -> Iterator[str]:
    with serve(
        services,
        PATHRANK_WRITE_KEY=WRITE_KEY,
        PATHRANK_TOPIC=topic,
        PATHRANK_COLLECTOR_ORIGINS=ORIGIN,
        PATHRANK_SNOWPLOW_KEY=SNOWPLOW_KEY,
    ) as url:
        yield url


def landed(bootstrap: str, topic: str, marker: bytes) -> tuple[list[Landed], list[Landed]]:
    """The records holding `marker` (a test's tag) on the topic and on its dead-letter topic."""
    every = read_topics(bootstrap, [topic, f"{topic}.dlq"], quiet_s=2.0)
    mine = [r for r in every if marker in r.value]
    return [r for r in mine if r.topic == topic], [r for r in mine if r.topic != topic]


def post_raw(base: str, body: bytes) -> httpx.Response:
    return httpx.post(
        f"{base}/v1/batch",
        content=body,
        auth=(WRITE_KEY, ""),
        headers={"content-type": "application/json"},
    )


def page(user: str, message_id: str, **properties: Any) -> dict[str, Any]:
    return {
        "type": "page",
        "userId": user,
        "messageId": message_id,
        "timestamp": T0.isoformat(),
        "properties": {"path": "/hc/en-us/articles/1-a", **properties},
    }


def test_a_lone_surrogate_through_the_segment_client_costs_no_valid_event(
    base: str, topic: str, kafka_bootstrap: str
) -> None:
    """What browsers produce when they cut a string: `"title": "trunc \\ud83d"`. The batch
    is not refused: the event with it arrives, so does the one beside it; an id with one is
    that event's dead letter."""
    errors: list[object] = []
    client = segment_client(base, errors)
    client.page(
        user_id="ls-1", properties={"path": "/a", "title": "trunc \ud83d"}, message_id="ls-m1"
    )
    client.page(user_id="ls-2", properties={"path": "/b", "title": "fine"}, message_id="ls-m2")
    client.page(user_id="ls-\ud83d", properties={"path": "/c"}, message_id="ls-m3")
    client.flush()
    client.join()
    assert errors == []  # no 400: Segment's clients would not send the batch again
    produced, dead = landed(kafka_bootstrap, topic, b"ls-m")
    assert sorted((r.key, r.event["page_id"]) for r in produced) == [
        (b"ls-1", "/a"),
        (b"ls-2", "/b"),
    ]
    [letter] = dead
    assert letter.headers["dlq.reason"] == "invalid customer_id: not valid Unicode"
    sent = json.loads(letter.value)  # the message as the client wrote it, escape and all
    assert (sent["userId"], sent["messageId"]) == ("ls-\ud83d", "ls-m3")
    assert b'"ls-\\ud83d"' in letter.value


def test_raw_bytes_that_are_not_unicode_and_deep_nesting_keep_their_bytes(
    base: str, topic: str, kafka_bootstrap: str
) -> None:
    """Bytes that are not UTF-8: in a title the event arrives; in an id or a page id, that
    event is a dead letter, byte for byte as sent; so is an event nested 300 levels deep."""
    good = json.dumps(page("raw-1", "raw-m1")).encode()
    bad_title = (
        json.dumps(page("raw-2", "raw-m2", title="t")).encode().replace(b'"t"', b'"caf\xe9"')
    )
    bad_id = json.dumps(page("raw-3", "raw-m3")).encode().replace(b"raw-3", b"raw-\xff3")
    bad_path = json.dumps(page("raw-4", "raw-m4")).encode().replace(b"1-a", b"1-\xe9")
    deep: dict[str, Any] = {"type": "page", "messageId": "raw-m5", "properties": {}}  # no user
    nested: Any = {"x": 1}
    for _ in range(300):
        nested = {"p": nested}
    deep["properties"]["nested"] = nested
    deep_bytes = json.dumps(deep).encode()
    sent = [good, bad_title, bad_id, bad_path, deep_bytes]
    response = post_raw(base, b'{"batch": [' + b", ".join(sent) + b"]}")
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True, "produced": 2, "dead_letters": 3, "skipped": 0}
    produced, dead = landed(kafka_bootstrap, topic, b"raw-m")
    assert sorted(r.key for r in produced) == [b"raw-1", b"raw-2"]
    assert {r.headers["dlq.reason"]: r.value for r in dead} == {
        "invalid customer_id: not valid Unicode": bad_id,
        "invalid page_id: not valid Unicode": bad_path,
        "missing userId and anonymousId": deep_bytes,  # 300 levels deep, not empty
    }


def test_page_ids_are_kept_exactly_or_dead_lettered_with_a_reason(
    base: str, topic: str, kafka_bootstrap: str
) -> None:
    newline = page("pid-1", "pid-m1") | {"properties": {"path": "/nl/a\nb"}}
    nul = page("pid-2", "pid-m2") | {"properties": {"path": "\x00"}}
    kept = page("pid-3", "pid-m3") | {"properties": {"path": "/nl/ab c/ü"}}
    response = httpx.post(
        f"{base}/v1/batch", json={"batch": [newline, nul, kept]}, auth=(WRITE_KEY, "")
    )
    assert response.json()["produced"] == 1
    pixel = httpx.get(
        f"{base}/i",
        params={"e": "pv", "uid": "pid-4", "url": "https://h.example/x\ny", "eid": "pid-m4",
                "pathrank_key": SNOWPLOW_KEY, "dtm": str(ms(T0))},
    )  # fmt: skip
    assert pixel.status_code == 200
    produced, dead = landed(kafka_bootstrap, topic, b"pid-m")
    assert [(r.key, r.event["page_id"]) for r in produced] == [(b"pid-3", "/nl/ab c/ü")]
    reasons = {sender(r): r.headers["dlq.reason"] for r in dead}
    assert reasons == {
        "pid-1": "invalid page URL: a control character",
        "pid-2": "invalid page URL: a control character",  # not "/"
        "pid-4": "invalid page URL: a control character",
    }
    paths = {
        sender(r): json.loads(r.value)["properties"]["path"] for r in dead if r.value[:1] == b"{"
    }
    assert paths == {"pid-1": "/nl/a\nb", "pid-2": "\x00"}  # as sent


def sender(letter: Landed) -> str:
    """Who sent a dead letter: a Segment message's userId, a pixel's uid."""
    if letter.value[:1] == b"{":
        return str(json.loads(letter.value)["userId"])
    return dict(parse_qsl(letter.value.decode()))["uid"]


def test_timestamps_0_and_1970_are_dead_letters(
    base: str, topic: str, kafka_bootstrap: str
) -> None:
    zero = page("ts-1", "ts-m1") | {"timestamp": 0}
    epoch = page("ts-2", "ts-m2") | {"timestamp": "1970-01-01T00:00:00Z"}
    fine = page("ts-3", "ts-m3")
    assert (
        httpx.post(
            f"{base}/v1/batch", json={"batch": [zero, epoch, fine]}, auth=(WRITE_KEY, "")
        ).json()["dead_letters"]
        == 2
    )
    query = (
        f"e=pv&uid=ts-4&eid=ts-m4&url=https%3A%2F%2Fh.example%2Fa&ttm=0&pathrank_key={SNOWPLOW_KEY}"
    )
    assert httpx.get(f"{base}/i?{query}").status_code == 200
    produced, dead = landed(kafka_bootstrap, topic, b"ts-m")
    assert [r.key for r in produced] == [b"ts-3"]
    assert sorted(r.headers["dlq.reason"] for r in dead) == [FLOOR] * 3
    [pixel] = [r for r in dead if r.key == b"ts-4"]
    assert pixel.value == query.encode()  # the query string as sent


def test_two_customers_with_the_same_event_id_both_keep_their_clicks(
    base: str, topic: str, kafka_bootstrap: str, store: TestGraph
) -> None:
    """Nobody who knows an event id can suppress another customer's click."""
    errors: list[object] = []
    client = SegmentClient(
        WRITE_KEY, host=base, max_retries=0, on_error=lambda e, _b: errors.append(e)
    )
    for user in ("same-a", "same-b"):
        client.page(
            user_id=user, properties={"path": "/same"}, message_id="same-id-1", timestamp=T0
        )
    client.flush()
    client.join()
    for uid in ("same-c", "same-d"):
        pixel = httpx.get(
            f"{base}/i",
            params={"e": "pv", "uid": uid, "eid": "same-id-2", "url": "https://h.example/same",
                    "dtm": str(ms(T0)), "pathrank_key": SNOWPLOW_KEY},
        )  # fmt: skip
        assert pixel.status_code == 200
    assert errors == []
    names = fresh_names() | {"PATHRANK_TOPIC": topic}
    ingest_until_idle(names)
    assert store.key_owners(["same-id-1", "same-id-2"]) == {
        "same-id-1": ["same-a", "same-b"],
        "same-id-2": ["same-c", "same-d"],
    }


def test_cors_answers_only_the_configured_origins(base: str) -> None:
    body = {"batch": [page("cors-1", "cors-m1")]}
    ours = httpx.post(
        f"{base}/v1/batch", json=body, auth=(WRITE_KEY, ""), headers={"origin": ORIGIN}
    )
    assert ours.headers["access-control-allow-origin"] == ORIGIN
    assert ours.headers["access-control-allow-credentials"] == "true"
    evil = "https://evil.example"
    for method, path, kwargs in (
        ("POST", "/v1/batch", {"json": body, "auth": (WRITE_KEY, "")}),
        ("OPTIONS", "/v1/batch", {}),
        ("OPTIONS", TP2, {}),
        ("GET", "/i", {"params": {"e": "pp", "pathrank_key": SNOWPLOW_KEY}}),
    ):
        response = httpx.request(method, f"{base}{path}", headers={"origin": evil}, **kwargs)
        assert "access-control-allow-origin" not in response.headers, (method, path)
        assert "access-control-allow-credentials" not in response.headers, (method, path)


def test_the_collector_answers_only_the_api_s_host_names(
    base: str, topic: str, kafka_bootstrap: str
) -> None:
    host = {"host": "evil.example"}
    body = {"batch": [page("host-1", "host-m1")]}
    refused = [
        httpx.post(f"{base}/v1/batch", json=body, auth=(WRITE_KEY, ""), headers=host),
        httpx.post(f"{base}{TP2}", json={"schema": PAYLOAD, "data": []}, headers=host),
        httpx.get(f"{base}/i", params={"e": "pv", "uid": "host-2", "eid": "host-m2"}, headers=host),
    ]
    assert [r.status_code for r in refused] == [400, 400, 400]
    assert landed(kafka_bootstrap, topic, b"host-m") == ([], [])


def test_the_snowplow_routes_need_the_key_when_one_is_set(
    base: str, topic: str, kafka_bootstrap: str
) -> None:
    event = {
        "e": "pv",
        "uid": "key-1",
        "eid": "key-m1",
        "url": "https://h.example/k",
        "dtm": str(ms(T0)),
    }
    assert httpx.get(f"{base}/i", params=event).status_code == 401
    assert httpx.get(f"{base}/i", params=event | {"pathrank_key": "wrong"}).status_code == 401
    assert httpx.post(f"{base}{TP2}", json={"schema": PAYLOAD, "data": [event]}).status_code == 401
    # The tracker, its key in a header of its session; the pixel with it in the query.
    session = requests.Session()
    session.headers["X-PathRank-Key"] = SNOWPLOW_KEY
    failures: list[object] = []
    port = urlsplit(base).port
    emitter = Emitter("127.0.0.1", protocol="http", port=port, method="post", batch_size=1,
                      session=session, on_failure=lambda n, e: failures.append(n))  # fmt: skip
    tracker = Tracker("hostile", emitter, subject=Subject().set_user_id("key-2"))
    tracker.track(PageView("https://h.example/key-m2", true_timestamp=ms(T0)))
    emitter.flush()
    assert failures == []
    pixel = httpx.get(
        f"{base}/i", params=event | {"uid": "key-3", "eid": "key-m3", "pathrank_key": SNOWPLOW_KEY}
    )
    assert pixel.status_code == 200
    produced, dead = landed(kafka_bootstrap, topic, b"key-m")
    assert sorted(r.key for r in produced) == [b"key-2", b"key-3"]
    assert dead == []
