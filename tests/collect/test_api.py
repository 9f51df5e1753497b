"""The Segment HTTP Tracking API in process: endpoints, auth, batches, bodies, CORS."""

from __future__ import annotations

import gzip
import json

import orjson

from helpers.collect import ServeFactory, basic

TRACK = {
    "userId": "u1",
    "event": "Order Completed",
    "properties": {"revenue": 42.5},
    "messageId": "m-1",
    "timestamp": "2026-01-01T10:00:00Z",
    "sentAt": "2026-01-01T10:00:00Z",
}


def test_track_is_stored_with_200_success(serve: ServeFactory) -> None:
    s = serve()
    response = s.post("/v1/track", TRACK)
    assert response.status_code == 200
    assert response.json() == {"success": True}
    (row,) = s.rows()
    assert row["message_id"] == "m-1"
    assert row["type"] == "track" and row["event"] == "Order Completed"
    assert row["source"] == "web" and row["user_id"] == "u1"
    assert json.loads(row["payload"])["properties"] == {"revenue": 42.5}


def test_every_endpoint_and_short_path(serve: ServeFactory) -> None:
    s = serve()
    calls = {
        "identify": {"userId": "u", "traits": {"email": "a@b.fr"}},
        "track": {"userId": "u", "event": "E"},
        "page": {"anonymousId": "a", "name": "Home"},
        "screen": {"anonymousId": "a", "name": "Main"},
        "group": {"userId": "u", "groupId": "g"},
        "alias": {"userId": "u", "previousId": "a"},
    }
    for kind, body in calls.items():
        assert s.post(f"/v1/{kind}", body).status_code == 200, kind
        assert s.post(f"/v1/{kind[0]}", body).status_code == 200, kind
    batch = {"batch": [{"type": k, **b} for k, b in calls.items()]}
    for path in ("/v1/batch", "/v1/import", "/v1/b"):
        assert s.post(path, batch).status_code == 200
    types = sorted(r["type"] for r in s.rows())
    assert types == sorted(list(calls) * 5)


def test_write_key_in_body_and_text_plain(serve: ServeFactory) -> None:
    s = serve()
    body = json.dumps({**TRACK, "writeKey": s.key})
    response = s.client.post("/v1/t", content=body, headers={"Content-Type": "text/plain"})
    assert response.status_code == 200
    (row,) = s.rows()
    assert "writeKey" not in json.loads(row["payload"])  # the secret is never stored


def test_gzip_body(serve: ServeFactory) -> None:
    s = serve()
    body = gzip.compress(orjson.dumps({"batch": [{"type": "track", **TRACK}]}))
    headers = {**basic(s.key), "Content-Encoding": "gzip", "Content-Type": "application/json"}
    assert s.client.post("/v1/batch", content=body, headers=headers).status_code == 200
    assert len(s.rows()) == 1


def test_unknown_and_missing_keys_are_401(serve: ServeFactory) -> None:
    s = serve()
    assert s.client.post("/v1/track", json=TRACK).status_code == 401
    bad = s.client.post("/v1/track", json=TRACK, headers=basic("nope_nope"))
    assert bad.status_code == 401 and bad.json()["code"] == "invalid_write_key"
    assert s.rows() == []


def test_batch_with_bad_messages_stores_the_good_ones(serve: ServeFactory) -> None:
    s = serve()
    batch = [
        {"type": "track", "userId": "u", "event": "Good", "messageId": "g1"},
        {"type": "track", "event": "No identity"},
        {"type": "bogus", "userId": "u"},
        {"type": "track", "userId": "u", "event": "Big", "properties": {"x": "y" * 40_000}},
        {"type": "track", "userId": "u", "event": "Good", "messageId": "g2"},
    ]
    response = s.post("/v1/batch", {"batch": batch})
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert [(r["index"], r["code"]) for r in body["rejected"]] == [
        (1, "missing_identity"),
        (2, "invalid_type"),
        (3, "message_too_large"),
    ]
    assert sorted(r["message_id"] for r in s.rows()) == ["g1", "g2"]


def test_all_bad_batch_is_400_with_the_reasons(serve: ServeFactory) -> None:
    s = serve()
    response = s.post("/v1/batch", {"batch": [{"type": "track", "event": "x"}]})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_batch"
    assert response.json()["rejected"][0]["code"] == "missing_identity"


def test_oversized_message_and_batch(serve: ServeFactory) -> None:
    s = serve()
    big = {**TRACK, "properties": {"x": "y" * 33_000}}
    assert s.post("/v1/track", big).status_code == 413
    huge = {"batch": [{"type": "track", **TRACK, "messageId": str(i)} for i in range(3000)]}
    response = s.post("/v1/batch", huge)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_malformed_inputs_are_400(serve: ServeFactory) -> None:
    s = serve()
    h = basic(s.key)
    cases = [
        s.client.post("/v1/track", content=b"{not json", headers=h),
        s.client.post("/v1/track", content=b"[1, 2]", headers=h),
        s.client.post("/v1/track", content=b"", headers=h),
        s.post("/v1/track", {"userId": "u"}),  # no event name
        s.post("/v1/track", {"userId": ["u"], "event": "E"}),  # wrong type
        s.post("/v1/track", {"userId": "u", "event": "E", "properties": [1]}),
        s.post("/v1/track", {"userId": "u", "event": "E", "timestamp": "yesterday"}),
        s.post("/v1/batch", {"batch": "nope"}),
        s.client.post(
            "/v1/batch", content=b"\x1f\x8b garbage", headers={**h, "Content-Encoding": "gzip"}
        ),
    ]
    for response in cases:
        assert response.status_code == 400, response.text
        assert set(response.json()) >= {"code", "message"}
    assert s.rows() == []


def test_unicode_edge_cases_round_trip(serve: ServeFactory) -> None:
    s = serve()
    odd = "Zoë 🎉 \u202e\u0000 ﬁ 𝔘 \ud7ff"
    assert s.post("/v1/track", {"userId": odd, "event": odd, "properties": {odd: odd}}).is_success
    lone = b'{"userId": "u", "event": "\\ud800"}'
    assert s.client.post("/v1/track", content=lone, headers=basic(s.key)).status_code == 400
    (row,) = s.rows()
    assert row["user_id"] == odd.strip() and row["event"] == odd
    assert json.loads(row["payload"])["properties"] == {odd: odd}


def test_cors_preflight_and_headers(serve: ServeFactory) -> None:
    s = serve()
    preflight = s.client.options(
        "/v1/t",
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    response = s.post("/v1/track", TRACK, headers={"Origin": "https://shop.example"})
    assert response.headers["access-control-allow-origin"] == "*"


def test_settings_for_analytics_js(serve: ServeFactory) -> None:
    s = serve()
    response = s.client.get(f"/v1/projects/{s.key}/settings")
    assert response.status_code == 200
    segment = response.json()["integrations"]["Segment.io"]
    assert segment["apiKey"] == s.key and segment["apiHost"] == "testserver/v1"
    assert s.client.get("/v1/projects/unknown_key/settings").status_code == 401


def test_rate_limit_answers_429_with_retry_after(serve: ServeFactory) -> None:
    s = serve("collect:\n  rate_limit: {per_second: 1, burst: 3}\n")
    batch = {"batch": [{"type": "track", "userId": "u", "event": "E"}] * 3}
    assert s.post("/v1/batch", batch).status_code == 200
    response = s.post("/v1/track", TRACK)
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["code"] == "rate_limited"


def test_health(serve: ServeFactory) -> None:
    s = serve()
    s.post("/v1/track", TRACK)
    health = s.client.get("/health").json()
    assert health["status"] == "ok" and health["accepted"] == 1


def test_duplicates_are_acknowledged_once_stored(serve: ServeFactory) -> None:
    s = serve()
    for _ in range(3):
        assert s.post("/v1/track", TRACK).status_code == 200
    assert len(s.rows()) == 1
