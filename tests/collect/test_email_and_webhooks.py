"""The email pixel, signed click redirects and webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import urlsplit

from helpers.collect import ServeFactory, basic, new_key
from personae.collect.signing import tracking_url

WEBHOOK_CONFIG = """
collect:
  flush_seconds: 60
  webhooks:
    shop:
      source: shopify
      items: $.orders
      event: Order Completed
      user_id: $.customer.id
      email: $.customer.email
      timestamp: $.created_at
      message_id: $.id
      properties: $
      signature: {scheme: body, header: X-Shop-Hmac, secret: s3cret, prefix: "sha256="}
    open:
      event: $.kind
      user_id: $.user
"""


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_pixel_records_an_open_and_returns_a_gif(serve: ServeFactory) -> None:
    s = serve()
    url = tracking_url(
        s.collector.secret,
        "http://testserver",
        "open",
        "newsletter",
        {"userId": "u1", "email": "a@b.fr", "campaign": "spring"},
    )
    response = s.client.get(_path(url))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/gif"
    assert response.content.startswith(b"GIF89a")
    with_key = s.client.get(f"/v1/pixel.gif?writeKey={s.key}&anonymousId=a9")
    assert with_key.status_code == 200
    rows = sorted(s.rows(), key=lambda r: r["source"])
    assert [(r["source"], r["event"]) for r in rows] == [
        ("newsletter", "Email Opened"),
        ("web", "Email Opened"),
    ]
    payload = json.loads(rows[0]["payload"])
    assert payload["properties"] == {"campaign": "spring"}
    assert payload["context"]["traits"] == {"email": "a@b.fr"}


def test_click_redirects_only_signed_urls(serve: ServeFactory) -> None:
    s = serve()
    url = tracking_url(
        s.collector.secret,
        "http://testserver",
        "click",
        "newsletter",
        {"userId": "u1"},
        url="https://shop.example/sale?x=1",
    )
    response = s.client.get(_path(url), follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "https://shop.example/sale?x=1"
    tampered = _path(url).replace("shop.example", "evil.example")
    assert s.client.get(tampered, follow_redirects=False).status_code == 400
    unsigned = s.client.get("/v1/r?url=https://evil.example&userId=u", follow_redirects=False)
    assert unsigned.status_code == 400 and unsigned.json()["code"] == "unsigned_url"
    (row,) = s.rows()
    assert row["event"] == "Email Link Clicked"
    assert json.loads(row["payload"])["properties"]["url"] == "https://shop.example/sale?x=1"


def test_webhook_mapping_and_signature(serve: ServeFactory) -> None:
    s = serve(WEBHOOK_CONFIG)
    body = json.dumps(
        {
            "orders": [
                {
                    "id": "o1",
                    "customer": {"id": "c1", "email": "c1@x.fr"},
                    "created_at": "2026-01-02T03:04:05Z",
                    "total": 9,
                },
                {
                    "id": "o2",
                    "customer": {"id": "c2"},
                    "created_at": "2026-01-02T03:04:06Z",
                    "total": 3,
                },
            ]
        }
    ).encode()
    signature = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    good = s.client.post("/v1/webhook/shop", content=body, headers={"X-Shop-Hmac": signature})
    assert good.status_code == 200, good.text
    bad = s.client.post("/v1/webhook/shop", content=body, headers={"X-Shop-Hmac": "sha256=00"})
    assert bad.status_code == 401 and bad.json()["code"] == "invalid_signature"
    # an unsigned webhook needs a write key of its own source
    unsigned = {"kind": "Signed Up", "user": "u7"}
    assert s.client.post("/v1/webhook/open", json=unsigned).status_code == 401
    own = basic(new_key(s.root, "open"))
    assert s.client.post("/v1/webhook/open", json=unsigned, headers=own).status_code == 200
    rows = {r["message_id"]: r for r in s.rows()}
    assert rows["o1"]["source"] == "shopify" and rows["o1"]["user_id"] == "c1"
    assert rows["o1"]["event"] == "Order Completed"
    assert json.loads(rows["o1"]["payload"])["properties"]["total"] == 9
    (signed_up,) = [r for r in rows.values() if r["event"] == "Signed Up"]
    assert signed_up["source"] == "open" and signed_up["user_id"] == "u7"
