"""The collection API under test: a project, its collector, an in-process client."""

from __future__ import annotations

import base64
import socket
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from personae.collect.collector import Collector
from personae.collect.keys import KeyStore
from personae.collect.paths import CollectPaths

BASE_CONFIG = """
sources: {}
collect:
  flush_seconds: 60
"""


def write_project(root: Path, config: str = BASE_CONFIG) -> Path:
    (root / "personae.yml").write_text(textwrap.dedent(config), encoding="utf-8")
    return root


def new_key(root: Path, source: str = "web") -> str:
    return KeyStore(CollectPaths.of(root).keys).create(source)[1]


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Served:
    """A project, its collector and an in-process client with a write key."""

    def __init__(self, root: Path, client: TestClient, collector: Collector, key: str) -> None:
        self.root = root
        self.client = client
        self.collector = collector
        self.key = key

    def post(self, path: str, body: Any, **kwargs: Any) -> Any:
        headers = {**basic(self.key), **kwargs.pop("headers", {})}
        return self.client.post(path, json=body, headers=headers, **kwargs)

    def rows(self) -> list[dict[str, Any]]:
        """Every stored row (flushes first)."""
        import pyarrow.parquet as pq

        from personae.collect.flush import parquet_files

        self.collector.flush()
        rows: list[dict[str, Any]] = []
        for path in parquet_files(self.collector.events):
            rows.extend(pq.read_table(path).to_pylist())
        return rows


ServeFactory = Callable[..., Served]
