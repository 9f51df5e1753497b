"""Several worker processes behind one port: mounts, a worker killed with SIGKILL, and
one scheduled run for them all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx
import pytest

from helpers.collect import ServeFactory, basic, free_port, new_key, write_project
from personae.collect.app import create_app, load_mounts
from personae.collect.errors import CollectError
from personae.collect.workers import worker_id
from personae.ingest.collected import load_collected
from personae.project import Project

TESTS = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}


def test_a_mounted_app_answers_under_its_prefix_before_the_collector(
    serve: ServeFactory,
) -> None:
    s = serve()
    mounts = load_mounts({"/v1/profiles": "helpers.mount_app:factory"}, s.root)
    from starlette.testclient import TestClient

    with TestClient(create_app(s.collector, manage=False, mounts=mounts)) as client:
        answer = client.get("/v1/profiles/user_1")
        assert answer.status_code == 200
        assert answer.json()["id"] == "user_1" and answer.json()["root"] == str(s.root)
        # the collector's own routes still answer
        assert client.get("/health").status_code == 200
        assert client.post("/v1/track", json={}, headers=basic(s.key)).status_code == 400


def test_a_wrong_mount_says_which_and_how_to_write_it(tmp_path: Path) -> None:
    with pytest.raises(CollectError, match=r"'/v1/profiles'.*'module:factory'"):
        load_mounts({"/v1/profiles": "helpers.mount_app"}, tmp_path)
    with pytest.raises(CollectError, match=r"cannot import 'nowhere:factory'"):
        load_mounts({"/v1/profiles": "nowhere:factory"}, tmp_path)
    with pytest.raises(CollectError, match=r"starts with '/'"):
        load_mounts({"v1/profiles/": "helpers.mount_app:factory"}, tmp_path)


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.update(int(t) for t in text)
    return found


def _wait_health(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, process.stderr.read() if process.stderr else b""
        assert time.monotonic() < deadline, "personae serve did not start"
        time.sleep(0.05)


def _load(port: int, key: str, prefix: str, acked: list[str], stop: threading.Event) -> None:
    n = 0
    while not stop.is_set():
        ids = [f"{prefix}-{n}-{i}" for i in range(10)]
        n += 1
        batch = [{"type": "track", "userId": "u", "event": "E", "messageId": m} for m in ids]
        try:  # a new connection each time: the kernel spreads them over the workers
            response = httpx.post(
                f"http://127.0.0.1:{port}/v1/batch",
                json={"batch": batch},
                headers=basic(key),
                timeout=5,
            )
        except httpx.TransportError:
            continue  # that worker died: this batch was never acknowledged
        if response.status_code == 200:
            acked.extend(ids)


def test_kill9_of_one_worker_loses_nothing_acknowledged(tmp_path: Path) -> None:
    root = write_project(tmp_path, "collect:\n  flush_seconds: 0.3\n")
    key = new_key(root)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "personae", "--project", str(root), "serve",
         "--port", str(port), "--workers", "2"],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _wait_health(port, process)
        workers = _children(process.pid)
        assert len(workers) == 2
        acked: list[str] = []
        stop = threading.Event()
        threads = [
            threading.Thread(target=_load, args=(port, key, f"t{i}", acked, stop)) for i in range(4)
        ]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        victim = sorted(workers)[0]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while len(_children(process.pid) - {victim}) < 2:  # the supervisor starts it again
            assert time.monotonic() < deadline, "the killed worker was not started again"
            time.sleep(0.1)
        time.sleep(1.5)
        stop.set()
        for thread in threads:
            thread.join()
        assert process.poll() is None
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0
    assert len(acked) > 100
    with Project.load(root) as project:
        load_collected(project)
        stored = [r[0] for r in project.engine.rows("SELECT message_id FROM raw_collected")]
    assert len(stored) == len(set(stored))
    assert not set(acked) - set(stored)
    written = {p.name.split("-")[1] for p in (root / ".personae/collect/events").rglob("*.parquet")}
    assert written == {worker_id("c0", 0), worker_id("c0", 1)}  # each its own files
    assert not list((root / ".personae/collect/wal").glob("*.wal"))  # all in Parquet


SCRIPT = """
import os, sys
from pathlib import Path
from personae.collect.server import serve

def run(root):
    with open(sys.argv[3], "a") as out:
        out.write(f"{os.getpid()}\\n")

serve(Path(sys.argv[1]), port=int(sys.argv[2]), workers=2, scheduled_run=run,
      mounts={"/v1/profiles": "helpers.mount_app:factory"})
"""


def test_one_process_runs_the_schedule_and_every_worker_serves_the_mounts(
    tmp_path: Path,
) -> None:
    root = write_project(tmp_path, "collect:\n  schedule_minutes: 0.005\n")
    port = free_port()
    runs = tmp_path / "runs.txt"
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(SCRIPT), str(root), str(port), str(runs)],
        env=ENV,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_health(port, process)
        served_by = set()
        for _ in range(40):  # new connections land on both workers
            answer = httpx.get(f"http://127.0.0.1:{port}/v1/profiles/p1", timeout=5)
            assert answer.status_code == 200 and answer.json()["id"] == "p1"
            served_by.add(answer.json()["pid"])
        time.sleep(1.5)
        workers = _children(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0
    assert served_by <= workers and len(workers) == 2
    pids = {int(line) for line in runs.read_text().split()}
    assert pids == {process.pid}  # the supervisor, never a worker
