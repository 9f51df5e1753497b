"""A shop's JSON API on a local HTTP server (customers and orders, paginated by page
number), the dlt pipeline of docs/sources.md run against it, and dlt's DuckDB layout
written by hand for the tests that need no dlt run."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import duckdb
import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "sources.md"
#: the base URL the documented pipeline names, replaced by the local server's
DOCUMENTED_URL = "https://shop.example.com/api/"
PAGE_SIZE = 2


@dataclass
class ShopAPI:
    """What the API serves; edit the lists between two pipeline runs."""

    customers: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    #: the paths requested, for asserting that pagination happened
    requests: list[str] = field(default_factory=list)
    url: str = ""


@contextmanager
def shop_api(api: ShopAPI) -> Iterator[ShopAPI]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            url = urlparse(self.path)
            api.requests.append(self.path)
            items = {"/api/customers": api.customers, "/api/orders": api.orders}.get(url.path)
            if items is None:
                self.send_error(404)
                return
            page = int(parse_qs(url.query).get("page", ["1"])[0])
            pages = max(1, -(-len(items) // PAGE_SIZE))
            start = (page - 1) * PAGE_SIZE
            body = json.dumps(
                {"data": items[start : start + PAGE_SIZE], "page": page, "total_pages": pages}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_port}/api/"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()


def documented(language: str, section: str = "## dlt") -> str:
    """The one ``language`` code block of the section of docs/sources.md."""
    text = DOCS.read_text()
    start = text.index(f"\n{section}\n")
    end = text.index("\n## ", start + 1)
    blocks = re.findall(rf"^```{language}\n(.*?)^```", text[start:end], re.M | re.S)
    assert len(blocks) == 1, f"{section} holds one {language} block"
    return str(blocks[0])


def isolate_dlt(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """dlt's state and config under ``folder``; no telemetry."""
    monkeypatch.setenv("DLT_DATA_DIR", str(folder / "dlt_data"))
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    monkeypatch.setenv("DLT_PROJECT_DIR", str(folder))
    monkeypatch.chdir(folder)


def run_documented_pipeline(api: ShopAPI, destination: str) -> list[str]:
    """Run docs/sources.md's dlt script against ``api`` in the current folder, into
    ``duckdb`` (shop.duckdb) or ``filesystem`` (shop_bucket, Parquet); its load ids."""
    script = documented("python").replace(DOCUMENTED_URL, api.url)
    if destination == "filesystem":
        script = script.replace(
            'dlt.destinations.duckdb("shop.duckdb")', 'dlt.destinations.filesystem("shop_bucket")'
        ).replace("pipeline.run(shop)", 'pipeline.run(shop, loader_file_format="parquet")')
    script = script.replace("print(pipeline.run(shop", "info = (pipeline.run(shop")
    namespace: dict[str, Any] = {}
    exec(compile(script, str(DOCS), "exec"), namespace)  # the documented script
    return list(namespace["info"].loads_ids)


def write_dlt_duckdb(
    path: Path,
    table: str,
    rows: list[dict[str, Any]],
    load_id: str,
    *,
    dataset: str = "shop_data",
    completed: bool = True,
) -> None:
    """Append ``rows`` to ``dataset.table`` of a DuckDB file as dlt's duckdb destination
    lays them out (``_dlt_load_id``, ``_dlt_id``, ``_dlt_loads``), without dlt."""
    with duckdb.connect(str(path)) as con:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {dataset}")
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {dataset}._dlt_loads (load_id VARCHAR NOT NULL, "
            "schema_name VARCHAR, status BIGINT NOT NULL, inserted_at TIMESTAMPTZ NOT NULL, "
            "schema_version_hash VARCHAR)"
        )
        columns = list(rows[0])
        typed = ", ".join(f"{c} VARCHAR" for c in columns)
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {dataset}.{table} "
            f"({typed}, _dlt_load_id VARCHAR NOT NULL, _dlt_id VARCHAR NOT NULL)"
        )
        for number, row in enumerate(rows):
            marks = ", ".join("?" for _ in columns)
            con.execute(
                f"INSERT INTO {dataset}.{table} ({', '.join(columns)}, _dlt_load_id, _dlt_id) "
                f"VALUES ({marks}, ?, ?)",
                [*(row[c] for c in columns), load_id, f"{load_id}-{number}"],
            )
        if completed:
            con.execute(
                f"INSERT INTO {dataset}._dlt_loads VALUES (?, 'shop', 0, now(), 'h')", [load_id]
            )


def complete_load(path: Path, load_id: str, dataset: str = "shop_data") -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(
            f"INSERT INTO {dataset}._dlt_loads VALUES (?, 'shop', 0, now(), 'h')", [load_id]
        )
