"""The official Python SDKs, unchanged, against the server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from helpers.collect import free_port, new_key, write_project
from personae.collect.app import create_app
from personae.collect.collector import Collector
from personae.collect.flush import parquet_files
from personae.config import load_config


class LiveServer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.collector = Collector(root, load_config(root).collect)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(self.collector), host="127.0.0.1", port=self.port, log_level="error"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()))

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def rows(self) -> list[dict[str, Any]]:
        import pyarrow.parquet as pq

        self.collector.flush()
        return [
            r for p in parquet_files(self.collector.events) for r in pq.read_table(p).to_pylist()
        ]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[LiveServer, str]]:
    root = write_project(tmp_path, "collect:\n  flush_seconds: 60\n")
    key = new_key(root, "backend")
    with LiveServer(root) as server:
        yield server, key


def test_segment_analytics_python(live: tuple[LiveServer, str]) -> None:
    from segment.analytics.client import Client

    server, key = live
    errors: list[Any] = []
    client = Client(key, host=server.url, sync_mode=True, on_error=lambda e, b: errors.append(e))
    client.identify("user-1", {"email": "Zoe@Example.fr", "firstName": "Zoë"})
    client.track("user-1", "Order Completed", {"revenue": 19.99, "items": ["a", "é"]})
    client.page("user-1", "Docs", "Home", {"url": "https://x.example"})
    client.group("user-1", "acme", {"plan": "pro"})
    client.alias("anon-1", "user-1")
    client.screen("user-1", "App", "Cart")
    client.flush()
    assert errors == []
    rows = {r["type"]: r for r in server.rows()}
    assert set(rows) == {"identify", "track", "page", "group", "alias", "screen"}
    track = json.loads(rows["track"]["payload"])
    assert track["properties"] == {"revenue": 19.99, "items": ["a", "é"]}
    assert track["context"]["library"]["name"] == "analytics-python"
    assert rows["track"]["source"] == "backend"
    assert rows["alias"]["previous_id"] == "anon-1"
    assert json.loads(rows["identify"]["payload"])["traits"]["firstName"] == "Zoë"

    from segment.analytics.request import APIError

    bad = Client("wrong_key", host=server.url, sync_mode=True, max_retries=0)
    with pytest.raises(APIError) as raised:  # sync mode raises what on_error would get
        bad.track("user-1", "Nope")
    assert raised.value.status == 401
    assert raised.value.code == "invalid_write_key"
    assert raised.value.message == "unknown, revoked or expired key"


def test_rudder_sdk_python_basic_auth_and_gzip(live: tuple[LiveServer, str]) -> None:
    from rudderstack.analytics.client import Client

    server, key = live
    errors: list[Any] = []
    client = Client(
        key, host=server.url, sync_mode=True, gzip=True, on_error=lambda e, b: errors.append(e)
    )
    for i in range(25):
        client.track(f"user-{i}", "Item Viewed", {"n": i}, anonymous_id=f"anon-{i}")
    client.identify("user-1", {"email": "u1@example.fr"})
    client.flush()
    assert errors == []
    rows = server.rows()
    assert len(rows) == 26
    assert sorted(r["user_id"] for r in rows if r["type"] == "track")[:2] == ["user-0", "user-1"]


def test_health_over_the_network(live: tuple[LiveServer, str]) -> None:
    server, _ = live
    assert httpx.get(f"{server.url}/health").json()["status"] == "ok"
