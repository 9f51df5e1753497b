"""One JSON error shape for the whole API: exactly ``code`` and ``message`` (strings),
plus ``rejected`` and ``rejected_count`` only for a batch whose every message was
refused."""

from __future__ import annotations

from helpers.collect import ServeFactory, basic


def test_every_error_has_the_same_shape(serve: ServeFactory) -> None:
    s = serve("collect:\n  rate_limit: {per_second: 1, burst: 1}\n")
    h = basic(s.key)
    responses = [
        s.client.post("/v1/track", content=b"{", headers=h),  # 400
        s.client.post("/v1/track", json={"userId": "u", "event": "E"}),  # 401
        s.client.get("/nowhere"),  # 404
        s.client.get("/v1/track"),  # 405
        s.client.post("/v1/track", content=b"x" * 40_000, headers=h),  # 413
        s.client.get("/v1/r?url=https://evil.example"),  # 400 unsigned
        s.client.post("/v1/webhook/unknown", json={}),  # 404
    ]
    s.post("/v1/track", {"userId": "u", "event": "E"})
    responses.append(s.post("/v1/track", {"userId": "u", "event": "E"}))  # 429
    statuses = [r.status_code for r in responses]
    assert statuses == [400, 401, 404, 405, 413, 400, 404, 429]
    for response in responses:
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert set(body) == {"code", "message"}, body
        assert isinstance(body["code"], str) and body["code"].islower()
        assert isinstance(body["message"], str) and body["message"]


def test_all_rejected_batch_adds_only_rejected_and_its_count(serve: ServeFactory) -> None:
    s = serve()
    body = s.post("/v1/batch", {"batch": [{"type": "nope"}]}).json()
    assert set(body) == {"code", "message", "rejected", "rejected_count"}
    assert body["rejected_count"] == 1
    assert set(body["rejected"][0]) == {"index", "code", "message"}
