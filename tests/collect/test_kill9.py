"""A real ``personae serve`` process killed with SIGKILL mid-load, then restarted:
every acknowledged event is in the warehouse exactly once; a torn tail is skipped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from helpers.collect import basic, free_port, new_key, write_project
from personae.collect.paths import CollectPaths
from personae.collect.wal import encode_record, list_segments, segment_name
from personae.ingest.collected import load_collected
from personae.project import Project

TESTS = Path(__file__).resolve().parents[1]


def _start(root: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "personae",
            "--project",
            str(root),
            "serve",
            "--port",
            str(port),
        ],
        env=env,
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


def _load(port: int, key: str, prefix: str, acked: list[str], stop: threading.Event) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=basic(key)) as client:
        n = 0
        while not stop.is_set():
            ids = [f"{prefix}-{n}-{i}" for i in range(10)]
            n += 1
            batch = [{"type": "track", "userId": "u", "event": "E", "messageId": m} for m in ids]
            try:
                response = client.post("/v1/batch", json={"batch": batch}, timeout=5)
            except httpx.TransportError:
                return  # the server died: this batch was never acknowledged
            if response.status_code == 200:
                acked.extend(ids)


def test_kill9_mid_load_loses_nothing_acknowledged(tmp_path: Path) -> None:
    root = write_project(tmp_path, "collect:\n  flush_seconds: 0.3\n")
    key = new_key(root)
    port = free_port()
    process = _start(root, port)
    acked: list[str] = []
    stop = threading.Event()
    workers = [
        threading.Thread(target=_load, args=(port, key, f"w{i}", acked, stop)) for i in range(4)
    ]
    for worker in workers:
        worker.start()
    time.sleep(1.5)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    stop.set()
    for worker in workers:
        worker.join(10)
    assert len(acked) > 100

    # a crash mid-write leaves a torn record at the end of the newest segment
    paths = CollectPaths.of(root)
    segments = list_segments(paths.wal)
    newest = segments[-1] if segments else paths.wal / segment_name("c0", 999_999)
    with open(newest, "ab") as handle:
        handle.write(encode_record(b'{"message_id": "torn"}')[:-4])

    process = _start(root, port)
    health = httpx.get(f"http://127.0.0.1:{port}/health").json()
    assert health["pending_segments"] == 0
    # a client retries what it sent before the crash: deduplicated, acknowledged again
    retry = [{"type": "track", "userId": "u", "event": "E", "messageId": m} for m in acked[:20]]
    response = httpx.post(
        f"http://127.0.0.1:{port}/v1/batch", json={"batch": retry}, headers=basic(key)
    )
    assert response.status_code == 200
    # the server never opens the warehouse: the CLI writes it while the server runs
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    cli = [sys.executable, "-m", "personae", "--project", str(root)]
    loaded = subprocess.run([*cli, "collect", "load"], env=env, capture_output=True, timeout=60)
    assert loaded.returncode == 0, loaded.stderr
    assert b"Loaded" in loaded.stdout
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0
    assert list_segments(paths.wal) == []  # SIGTERM flushed everything

    with Project.load(root) as project:
        load_collected(project)
        rows = project.engine.rows(
            "SELECT message_id, count(*) FROM raw_collected GROUP BY 1 HAVING count(*) > 1"
        )
        assert rows == []
        stored = {r[0] for r in project.engine.rows("SELECT message_id FROM raw_collected")}
    assert set(acked) <= stored
    assert "torn" not in stored
