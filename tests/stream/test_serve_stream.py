"""``personae serve`` with its streaming worker, as a user runs it: the official Python
SDK's calls reach the Profile API within seconds, and a ``kill -9`` of the streaming
worker under load loses and repeats nothing."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpers.collect import basic, free_port, new_key
from helpers.serving import build_shop
from personae.activate.triggers import TriggerQueue
from personae.project import STATE_DIR
from personae.protect.keys import KeyStore, keys_file
from personae.serving.profiles import ExternalId, ProfileStore
from personae.serving.store import ServingPaths

TESTS = Path(__file__).resolve().parents[1]
#: within the shop's as_of day, so the traits count it
AT = dt.datetime(2026, 3, 31, 9, 0, 0, tzinfo=dt.UTC)


class Server:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.write_key = new_key(root, "web")
        _, self.read_key = KeyStore(keys_file(root)).create(scope="read")
        env = {**os.environ, "PYTHONPATH": str(TESTS)}
        argv = [sys.executable, "-m", "personae", "--project", str(root), "serve"]
        self.process = subprocess.Popen(
            [*argv, "--port", str(self.port), "--workers", "1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert self.process.poll() is None, "personae serve exited"
            assert time.monotonic() < deadline, "personae serve did not start"
            time.sleep(0.05)
        while not _attached(root):  # the streaming worker is up and follows the store
            assert time.monotonic() < deadline, "the streaming worker did not start"
            time.sleep(0.05)

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", auth=(self.read_key, ""), timeout=5)

    def stream_pid(self, killed: frozenset[int] = frozenset()) -> int:
        """The streaming worker's process id (a child of personae serve), other than
        those ``killed`` (a killed one may not have gone yet)."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    cmdline = (entry / "cmdline").read_bytes().split(b"\0")
                    status = (entry / "status").read_text()
                except OSError:
                    continue
                parent = next(
                    (int(x.split()[1]) for x in status.splitlines() if x.startswith("PPid:")), 0
                )
                mine = parent == self.process.pid and int(entry.name) not in killed
                if mine and b"stream" in cmdline and b"run" in cmdline:
                    return int(entry.name)
            time.sleep(0.1)
        raise AssertionError("no streaming worker beside personae serve")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    build_shop(tmp_path)
    running = Server(tmp_path)
    yield running
    running.stop()


def test_the_python_sdk_puts_a_visitor_in_a_segment_within_two_seconds(server: Server) -> None:
    from segment.analytics.client import Client

    segments = "/v1/profiles/email:zoe.petit@mail.fr/segments"
    assert server.get(segments).json()["data"] == []
    errors: list[Any] = []
    client = Client(
        server.write_key, host=server.url, sync_mode=True, on_error=lambda e, b: errors.append(e)
    )
    client.identify(anonymous_id="a-zoe", traits={"email": "Zoe.Petit@mail.fr"}, timestamp=AT)
    client.track(anonymous_id="a-zoe", event="Order Completed", timestamp=AT)
    acknowledged = time.monotonic()  # sync_mode: the calls returned once the server said 200
    assert errors == []
    while True:
        names = [s["segment"] for s in server.get(segments).json()["data"]]
        if "buyers" in names:
            break
        assert time.monotonic() - acknowledged < 2.0, f"not in buyers after 2 s: {names}"
        time.sleep(0.02)
    traits = server.get("/v1/profiles/anonymous_id:a-zoe/traits?include=order_count").json()
    assert traits["traits"] == {"order_count": 1}


def _load(server: Server, visitors: int, acked: list[str]) -> None:
    """One order per new visitor, in batches of 20, as a backend would send them."""
    stamp = AT.strftime("%Y-%m-%dT%H:%M:%SZ")
    with httpx.Client(base_url=server.url, headers=basic(server.write_key)) as client:
        for start in range(0, visitors, 20):
            batch = [
                {"type": "track", "anonymousId": f"v-{n}", "event": "Order Completed",
                 "messageId": f"o-{n}", "timestamp": stamp}
                for n in range(start, start + 20)
            ]  # fmt: skip
            response = client.post("/v1/batch", json={"batch": batch}, timeout=10)
            assert response.status_code == 200
            acked.extend(m["anonymousId"] for m in batch)
            time.sleep(0.02)  # about 1,000 events a second, for a few seconds


def _attached(root: Path) -> bool:
    """Has the streaming worker opened the live store (it adds its tables then)?"""
    live = ServingPaths.of(root / STATE_DIR).live()
    if live is None:
        return False
    db = sqlite3.connect(f"file:{live}?mode=ro", uri=True)
    try:
        return bool(
            db.execute("SELECT 1 FROM sqlite_master WHERE name = 'stream_position'").fetchone()
        )
    finally:
        db.close()


def _applied_at(root: Path) -> str:
    """When the streaming worker last committed a micro-batch."""
    live = ServingPaths.of(root / STATE_DIR).live()
    assert live is not None
    db = sqlite3.connect(f"file:{live}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT value FROM stream_meta WHERE key = 'applied_at'").fetchone()
    except sqlite3.OperationalError:
        row = None
    finally:
        db.close()
    return str(row[0]) if row else ""


def test_kill9_of_the_streaming_worker_loses_and_repeats_nothing(server: Server) -> None:
    visitors = 3000
    acked: list[str] = []
    loader = threading.Thread(target=_load, args=(server, visitors, acked))
    loader.start()
    kills: set[int] = set()
    while loader.is_alive() and len(kills) < 3:
        pid = server.stream_pid(frozenset(kills))  # waits for the restarted one
        before = _applied_at(server.root)
        deadline = time.monotonic() + 20
        while _applied_at(server.root) == before:  # killed while it works, not at start
            assert time.monotonic() < deadline, "the streaming worker applies nothing"
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)
        kills.add(pid)
    loader.join()
    assert len(kills) >= 2 and len(acked) == visitors
    store = ProfileStore(server.root / STATE_DIR, None)
    deadline = time.monotonic() + 60
    last = f"v-{visitors - 1}"
    while store.resolve(ExternalId("anonymous_id", last)) is None:
        assert time.monotonic() < deadline, "the restarted worker did not catch up"
        time.sleep(0.2)
        store.close()
    persons = set()
    for visitor in acked:
        found = store.resolve(ExternalId("anonymous_id", visitor))
        assert found is not None, f"{visitor} was lost"
        persons.add(found.person_id)
        events = [e["m"] for e in store.events(found.person_id)]
        assert events == [f"o-{visitor.removeprefix('v-')}"], f"{visitor}: {events}"
        assert store.traits(found.person_id)["order_count"] == 1
    assert len(persons) == visitors
    store.close()
    with TriggerQueue(server.root / STATE_DIR) as queue:
        entered = [t.person_id for t in queue.read(0, 100_000) if t.kind == "entered"]
    assert sorted(entered) == sorted(persons)  # each entered buyers exactly once


def test_personae_serve_lets_a_streamed_buyer_into_a_journey(tmp_path: Path) -> None:
    """The trigger reaches the journeys through ``personae serve``'s ticks, no run."""
    from segment.analytics.client import Client

    from personae.activate.journeys.run import CONSUMER
    from personae.project import Project

    build_shop(
        tmp_path, extra="journeys:\n  welcome: {entry: {segment: buyers}, steps: [{wait: 1d}]}\n"
    )
    server = Server(tmp_path)
    try:
        client = Client(server.write_key, host=server.url, sync_mode=True)
        client.identify(anonymous_id="a-zoe", traits={"email": "zoe.petit@mail.fr"}, timestamp=AT)
        client.track(anonymous_id="a-zoe", event="Order Completed", timestamp=AT)
        deadline = time.monotonic() + 60
        with TriggerQueue(tmp_path / STATE_DIR) as queue:
            while True:
                entered = [t for t in queue.read(0) if t.kind == "entered" and t.name == "buyers"]
                if entered and queue.position(CONSUMER) >= entered[-1].position:
                    break  # a tick read it
                assert time.monotonic() < deadline, "no journey tick read the trigger"
                time.sleep(0.1)
        zoe = entered[-1].person_id
    finally:
        server.stop()
    with Project.load(tmp_path) as project:
        rows = project.engine.rows("SELECT journey FROM journey_state WHERE person_id = ?", [zoe])
    assert rows == [("welcome",)]
