"""A real ``personae serve`` with encryption on, started from a loose umask: its WAL and
Parquet files are private from the start and hold no e-mail in plaintext."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

import personae
from helpers.collect import basic, free_port, write_project
from personae.cli.main import app
from personae.collect.flush import parquet_files, read_events_file
from personae.collect.paths import CollectPaths
from personae.collect.wal import list_segments
from personae.project import Project
from personae.protect.encryption import KEY_ENV
from personae.protect.files import loose_files

TESTS = Path(__file__).resolve().parents[1]
#: the personae under test (this source tree), for the server's process too
SOURCE = Path(personae.__file__).resolve().parents[1]
EMAIL = "camille.durand@example.org"


def _serve(root: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "personae", "--project", str(root), "serve", "--port", str(port)],
        env={**os.environ, "PYTHONPATH": os.pathsep.join((str(SOURCE), str(TESTS)))},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        assert process.poll() is None, process.stderr.read() if process.stderr else b""
        assert time.monotonic() < deadline, "personae serve did not start"
        time.sleep(0.05)


def _no_plaintext(state: Path) -> list[str]:
    return [str(p) for p in state.rglob("*") if p.is_file() and EMAIL.encode() in p.read_bytes()]


@pytest.mark.slow
def test_serve_writes_private_encrypted_wal_and_parquet(
    tmp_path: Path, master_key: str, loose_umask: None
) -> None:
    root = write_project(tmp_path, "collect:\n  flush_seconds: 600\nprotect:\n  encryption: true\n")
    created = CliRunner().invoke(app, ["--project", str(root), "keys", "create", "web"])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[-1]
    os.umask(0o022)  # the CLI set 077 in this process: serve must set it itself
    port = free_port()
    process = _serve(root, port)
    try:
        response = httpx.post(
            f"http://127.0.0.1:{port}/v1/identify",
            json={"userId": "u1", "traits": {"email": EMAIL}, "messageId": "m1"},
            headers=basic(key),
        )
        assert response.status_code == 200, response.text
        paths = CollectPaths.of(root)
        assert list_segments(paths.wal), "the message is in the WAL before any flush"
        state = root / ".personae"
        assert _no_plaintext(state) == []
        assert loose_files(state) == []
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    (parquet,) = parquet_files(paths.events)  # flushed on the way out
    assert _no_plaintext(state) == []
    assert loose_files(state) == []
    rows = read_events_file(parquet, Project.load(root).keys).to_pylist()
    assert EMAIL in rows[0]["payload"]
    assert os.environ[KEY_ENV] == master_key
