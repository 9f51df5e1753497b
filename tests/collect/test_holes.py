"""Regression tests for the holes that probing found (issue 17, item 8)."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import time
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from helpers.collect import BASE_CONFIG, ServeFactory, basic, new_key, write_project
from personae.activate.events import export_events
from personae.cli.main import app
from personae.collect.app import create_app
from personae.collect.collector import Collector
from personae.collect.webhooks import sign
from personae.config import load_config
from personae.config.loader import parse_config
from personae.errors import ConfigError
from personae.ingest.collected import load_collected
from personae.project import Project

SIGNED_CONFIG = """
collect:
  flush_seconds: 60
  webhooks:
    stripe:
      message_id: $.id
      signature: {secret: whsec}
    legacy:
      signature: {scheme: body, header: X-Shop-Hmac, secret: s3cret, prefix: "sha256="}
    open:
      source: crm
"""


def _track(client: TestClient, key: str, message_id: str) -> int:
    body = {"userId": "u", "event": "E", "messageId": message_id}
    return client.post("/v1/track", json=body, headers=basic(key)).status_code


def test_one_source_cannot_suppress_another_sources_message(serve: ServeFactory) -> None:
    s = serve()
    shop = new_key(s.root, "shop")
    assert _track(s.client, s.key, "order-1001") == 200  # the web key goes first
    assert _track(s.client, shop, "order-1001") == 200
    assert _track(s.client, shop, "order-1001") == 200  # a retry of shop's is still one
    rows = s.rows()
    assert sorted(r["source"] for r in rows) == ["shop", "web"]
    assert s.collector.duplicates == 1


def test_dedupe_window_rebuilt_per_source(tmp_path: Path) -> None:
    root = write_project(tmp_path)
    web, shop = new_key(root, "web"), new_key(root, "shop")
    collector = Collector(root, load_config(root).collect)
    with TestClient(create_app(collector)) as client:
        assert _track(client, web, "m1") == 200
    collector = Collector(root, load_config(root).collect)
    with TestClient(create_app(collector)) as client:
        assert _track(client, shop, "m1") == 200
        assert _track(client, web, "m1") == 200
        assert client.get("/health").json()["duplicates"] == 1
        assert client.get("/health").json()["accepted"] == 1


def test_warehouse_load_dedupes_per_source(tmp_path: Path) -> None:
    root = write_project(tmp_path, BASE_CONFIG + "  dedupe_hours: 0\n")
    web, shop = new_key(root, "web"), new_key(root, "shop")
    collector = Collector(root, load_config(root).collect)
    with TestClient(create_app(collector)) as client:
        for key in (web, shop, shop):
            assert _track(client, key, "order-1001") == 200
    with Project.load(root) as project:
        result = load_collected(project)
        rows = project.engine.rows("SELECT source FROM raw_collected ORDER BY source")
    assert rows == [("shop",), ("web",)]
    assert result.duplicates == 1


def _nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def test_deep_json_refuses_that_message_alone(serve: ServeFactory) -> None:
    s = serve()
    batch = [
        {"type": "track", "userId": "u", "event": "Good"},
        {"type": "track", "userId": "u", "event": "Deep", "properties": _nested(300)},
    ]
    response = s.client.post(
        "/v1/batch", content=json.dumps({"batch": batch}), headers=basic(s.key)
    )
    assert response.status_code == 200, response.text
    (refused,) = response.json()["rejected"]
    assert refused["index"] == 1 and refused["code"] == "invalid_message"
    assert "nest it less deeply" in refused["message"]
    assert [r["event"] for r in s.rows()] == ["Good"]


def test_out_of_range_times_are_refused_and_corrections_clamped(
    serve: ServeFactory, tmp_path: Path
) -> None:
    s = serve()
    absurd = {
        "userId": "u",
        "event": "E",
        "sentAt": "0001-01-01T00:00:00Z",
        "timestamp": "9999-12-31T23:59:59Z",
    }
    response = s.post("/v1/track", absurd)
    assert response.status_code == 400 and response.json()["code"] == "invalid_timestamp"
    assert "between 1900-01-01 and 2200-01-01" in response.json()["message"]
    late = {"userId": "u", "event": "Late", "sentAt": "1950-01-01", "timestamp": "2150-01-01"}
    early = {"userId": "u", "event": "Early", "sentAt": "2150-01-01", "timestamp": "1950-01-01"}
    assert s.post("/v1/track", late).status_code == 200
    assert s.post("/v1/track", early).status_code == 200
    rows = {r["event"]: r for r in s.rows()}
    assert rows["Late"]["timestamp"] == rows["Late"]["received_at"]  # never after arrival
    assert rows["Early"]["timestamp"] == dt.datetime(1900, 1, 1)
    with Project.load(s.root) as project:
        assert export_events(project, tmp_path / "out.jsonl") == 2


def test_non_ascii_signatures_are_refused_not_crashes(serve: ServeFactory) -> None:
    s = serve(SIGNED_CONFIG)
    clicked = s.client.get(
        "/v1/r?url=https://shop.example&userId=u&source=web&sig=%C3%A9", follow_redirects=False
    )
    assert clicked.status_code == 400 and clicked.json()["code"] == "unsigned_url"
    for hook, header in (("legacy", "X-Shop-Hmac"), ("stripe", "X-Personae-Signature")):
        response = s.client.post(
            f"/v1/webhook/{hook}", content=b"{}", headers={header: "sha256=é".encode()}
        )
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "invalid_signature"


def test_unsigned_webhook_takes_only_a_key_of_its_own_source(serve: ServeFactory) -> None:
    s = serve(SIGNED_CONFIG)
    own = basic(new_key(s.root, "crm"))
    body = {"event": "Signed Up", "userId": "u7"}
    response = s.client.post("/v1/webhook/open", json=body, headers=basic(s.key))
    assert response.status_code == 403 and response.json()["code"] == "wrong_source"
    assert "personae keys create crm" in response.json()["message"]
    assert s.client.post("/v1/webhook/open", json=body, headers=own).status_code == 200
    assert [r["source"] for r in s.rows()] == ["crm"]


def test_signed_webhooks_reject_stale_and_replayed_deliveries(serve: ServeFactory) -> None:
    s = serve(SIGNED_CONFIG)
    body = json.dumps({"event": "Paid", "userId": "u1", "id": "evt_1"}).encode()

    def post(header: str) -> Any:
        return s.client.post(
            "/v1/webhook/stripe", content=body, headers={"X-Personae-Signature": header}
        )

    now = int(time.time())
    fresh = sign("whsec", body, now)
    assert post(fresh).status_code == 200
    replayed = post(fresh)
    assert replayed.status_code == 409 and replayed.json()["code"] == "replayed_signature"
    stale = post(sign("whsec", body, now - 400))
    assert stale.status_code == 401 and stale.json()["code"] == "stale_signature"
    assert "s old, more than the 300 s allowed" in stale.json()["message"]
    forged = post(sign("other", body, now))
    assert forged.status_code == 401 and forged.json()["code"] == "invalid_signature"
    unstamped = s.client.post("/v1/webhook/stripe", content=body)
    assert unstamped.status_code == 401
    assert "t=<unix seconds>,v1=" in unstamped.json()["message"]
    # a second secret during a rotation: any v1 may match
    rotated = f"{sign('whsec', body, now + 1)},v1={'0' * 64}"
    assert post(rotated).status_code == 200
    assert [r["message_id"] for r in s.rows()] == ["evt_1"]  # the repeat is deduplicated


def test_public_url_replaces_the_host_header(serve: ServeFactory) -> None:
    s = serve(BASE_CONFIG + "  public_url: https://collect.shop.fr/\n")
    settings = s.client.get(
        f"/v1/projects/{s.key}/settings", headers={"Host": "evil.example"}
    ).json()["integrations"]["Segment.io"]
    assert settings["apiHost"] == "collect.shop.fr/v1" and settings["protocol"] == "https"
    slashed = s.client.post(
        "/v1/track/", json={}, headers={"Host": "evil.example"}, follow_redirects=False
    )
    assert "evil.example" not in slashed.headers.get("location", "")
    with pytest.raises(ConfigError, match=r"https://collect\.shop\.fr"):
        parse_config("collect:\n  public_url: collect.shop.fr\n")


def test_rejection_list_is_capped(serve: ServeFactory) -> None:
    s = serve()
    response = s.client.post(
        "/v1/batch",
        content=b'{"batch": [' + b",".join([b"1"] * 5000) + b"]}",
        headers=basic(s.key),
    )
    assert response.status_code == 400
    body = response.json()
    assert len(body["rejected"]) == 100 and body["rejected_count"] == 5000
    assert len(response.content) < 20_000
    mixed = [{"type": "track", "userId": "u", "event": "E"}, *([1] * 300)]
    partial = s.post("/v1/batch", {"batch": mixed}).json()
    assert len(partial["rejected"]) == 100 and partial["rejected_count"] == 300


def test_the_key_is_checked_before_the_body_is_read(serve: ServeFactory) -> None:
    s = serve()
    bogus = {**basic("nope_nope"), "Content-Encoding": "gzip"}
    response = s.client.post("/v1/batch", content=b"not gzip at all", headers=bogus)
    assert response.status_code == 401 and response.json()["code"] == "invalid_write_key"
    unparsable = s.client.post("/v1/batch", content=b"[" * 100_000)
    assert unparsable.status_code == 401 and unparsable.json()["code"] == "missing_write_key"
    wrong = s.client.post("/v1/t", content=b'{"writeKey": "x_y", "userId": [[[[')
    assert wrong.status_code == 401 and wrong.json()["code"] == "invalid_write_key"
    gzipped = s.client.post(
        "/v1/t", content=gzip.compress(b"{}"), headers={"Content-Encoding": "gzip"}
    )
    assert gzipped.status_code == 401 and "Basic-auth" in gzipped.json()["message"]
    # analytics.js: text/plain JSON with the key in the body still works
    body = json.dumps({"writeKey": s.key, "userId": "u", "event": "E"})
    ok = s.client.post("/v1/t", content=body, headers={"Content-Type": "text/plain"})
    assert ok.status_code == 200, ok.text


@pytest.mark.parametrize(
    ("config", "path", "suggestion"),
    [
        ("sources:\n  my-crm: {kind: people, path: crm.csv}\n", "sources.my-crm", "my_crm"),
        ("collect:\n  sources: [Web Shop]\n", "collect.sources.0", "web_shop"),
        ("collect:\n  webhooks:\n    shop: {source: 2shop}\n", "webhooks.shop.source", "s_2shop"),
        ("collect:\n  webhooks:\n    my-hook: {}\n", "collect.webhooks.my-hook", "my_hook"),
    ],
)
def test_source_names_must_be_safe_identifiers(config: str, path: str, suggestion: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(config)
    assert path in str(caught.value) and repr(suggestion) in str(caught.value)


def test_keys_create_refuses_an_unsafe_source_name(tmp_path: Path) -> None:
    root = write_project(tmp_path)
    result = CliRunner().invoke(app, ["--project", str(root), "keys", "create", "my-crm"])
    assert result.exit_code == 1 and "my_crm" in result.output


def test_second_serve_with_the_same_id_fails_before_listening(tmp_path: Path) -> None:
    root = write_project(tmp_path)
    first = Collector(root, load_config(root).collect)
    first.claim()
    try:
        result = CliRunner().invoke(app, ["--project", str(root), "serve", "--port", "1"])
    finally:
        first.close()
        first._release_id()
    assert result.exit_code == 1
    assert "already running" in result.output and "listening on" not in result.output
