"""Regression tests for the holes that probing found (issue 17, item 8)."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from helpers.collect import BASE_CONFIG, ServeFactory, basic, new_key, write_project
from personae.collect.app import create_app
from personae.collect.collector import Collector
from personae.config import load_config
from personae.ingest.collected import load_collected
from personae.project import Project


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
