"""Write keys through the CLI, signed URLs, and the warehouse lock."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers.collect import write_project
from personae.cli.main import app
from personae.collect.keys import KeyStore
from personae.collect.paths import CollectPaths
from personae.errors import PersonaeError
from personae.lock import WarehouseLockTimeout, warehouse_lock

runner = CliRunner()


def invoke(root: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--project", str(root), *args])
    return result.exit_code, result.output


def test_keys_create_list_revoke(tmp_path: Path) -> None:
    root = write_project(tmp_path, "collect:\n  sources: [web, app]\n")
    code, out = invoke(root, "keys", "create", "web")
    assert code == 0, out
    secret = out.strip().splitlines()[-1]
    store = KeyStore(CollectPaths.of(root).keys)
    found = store.verify(secret)
    assert found is not None and found.source == "web"
    stored = CollectPaths.of(root).keys.read_text()
    assert secret not in stored and secret.partition("_")[2] not in stored
    assert "hash" in json.loads(stored)["keys"][0]
    code, out = invoke(root, "keys", "list")
    assert code == 0 and found.key_id in out and "web" in out and secret not in out
    code, out = invoke(root, "keys", "create", "crm")
    assert code == 1 and "collect.sources" in out
    code, out = invoke(root, "keys", "revoke", found.key_id)
    assert code == 0
    assert KeyStore(CollectPaths.of(root).keys).verify(secret) is None
    code, out = invoke(root, "keys", "revoke", "nope")
    assert code == 1 and "Error" in out


def test_sign_url_command(tmp_path: Path) -> None:
    root = write_project(tmp_path, "{}\n")
    code, out = invoke(
        root,
        "collect",
        "sign-url",
        "--source",
        "news",
        "--base",
        "https://t.example",
        "--url",
        "https://shop.example",
        "--user-id",
        "u1",
        "--param",
        "campaign=x",
    )
    assert code == 0, out
    assert out.startswith("https://t.example/v1/r?") and "sig=" in out
    code, out = invoke(root, "collect", "sign-url", "--source", "n", "--base", "https://t")
    assert code == 1 and "--user-id" in out


def test_warehouse_lock_excludes_and_times_out(tmp_path: Path) -> None:
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with warehouse_lock(tmp_path):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    started = time.monotonic()
    expected = "another personae process holds the warehouse"
    with pytest.raises(WarehouseLockTimeout, match=expected), warehouse_lock(tmp_path, 0.3):
        pass
    assert time.monotonic() - started >= 0.3
    assert issubclass(WarehouseLockTimeout, PersonaeError)
    release.set()
    thread.join()
    with warehouse_lock(tmp_path, timeout=1):
        pass
