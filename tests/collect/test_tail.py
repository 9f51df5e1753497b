"""``personae tail`` follows the WALs: every collector, new segments, rotation and flushes
while following (nothing lost, nothing repeated), filters, and the command itself in a
subprocess beside an in-process collector and beside ``personae serve --workers 2``."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from helpers.collect import Served, ServeFactory, basic, free_port, new_key, write_project
from personae.collect import stored
from personae.collect.flush import flush_segments
from personae.collect.paths import CollectPaths
from personae.collect.tail import Filters, WalFollower, follow, split_values
from personae.collect.wal import WriteAheadLog
from personae.collect.workers import worker_id

TESTS = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}


def _follower(s: Served, replay: bool = False) -> WalFollower:
    paths = CollectPaths.of(s.root)
    return WalFollower(paths.wal, paths.events, replay=replay)


def _track(s: Served, message_id: str, event: str = "Clicked", **extra: Any) -> None:
    body = {"userId": "u-1", "event": event, "messageId": message_id, **extra}
    assert s.post("/v1/track", body).status_code == 200


def _ids(rows: list[dict[str, Any]]) -> list[str]:
    return [r["message_id"] for r in rows]


def test_starts_at_the_end_and_sees_each_new_message_once(serve: ServeFactory) -> None:
    s = serve()
    _track(s, "before")
    follower = _follower(s)
    assert follower.poll() == []
    _track(s, "m1")
    _track(s, "m2", properties={"total": 3})
    rows = follower.poll()
    assert _ids(rows) == ["m1", "m2"]
    assert rows[1]["source"] == "web" and rows[1]["event"] == "Clicked"
    assert orjson.loads(rows[1]["payload"])["properties"] == {"total": 3}
    assert follower.poll() == []
    follower.close()


def test_replay_shows_what_the_wal_still_holds(serve: ServeFactory) -> None:
    s = serve()
    for i in range(3):
        _track(s, f"m{i}")
    follower = _follower(s, replay=True)
    stop = threading.Event()
    batches = follow(follower, Filters(), stop, last=2)
    assert _ids(next(batches)) == ["m1", "m2"]
    follower.close()


def test_replay_reads_what_was_already_flushed_to_parquet(serve: ServeFactory) -> None:
    s = serve()
    for i in range(4):
        _track(s, f"m{i}")
        if i == 2:
            s.collector.flush()  # m0..m2 are in Parquet only, m3 in the WAL
    stop = threading.Event()
    follower = _follower(s, replay=True)
    assert _ids(next(follow(follower, Filters(), stop, last=3))) == ["m1", "m2", "m3"]
    follower.close()
    follower = _follower(s, replay=True)
    since = _rows_received(s)["m2"]
    assert _ids(next(follow(follower, Filters(), stop, since_us=since))) == ["m2", "m3"]
    follower.close()
    follower = _follower(s)  # not replaying: only what comes next
    _track(s, "m4")
    assert _ids(next(follow(follower, Filters(), stop))) == ["m4"]
    follower.close()


def _rows_received(s: Served) -> dict[str, int]:
    follower = _follower(s, replay=True)
    rows = follower.flushed(lambda r: True, 0, None) + follower.poll()
    follower.close()
    return {r["message_id"]: r["received_at"] for r in rows}


def test_rotation_and_flushes_while_following_lose_and_repeat_nothing(
    serve: ServeFactory,
) -> None:
    s = serve()
    follower = _follower(s)
    seen: list[str] = []
    sent: list[str] = []
    for round_ in range(6):
        for i in range(5):
            sent.append(f"r{round_}-{i}")
            _track(s, sent[-1])
        if round_ % 2 == 0:
            seen.extend(_ids(follower.poll()))  # half read, then sealed and flushed away
        s.collector.flush()  # seals the segment, writes Parquet, deletes the segment
        if round_ == 3:
            # several segments come and go between two polls: read from their Parquet
            for i in range(2):
                sent.append(f"gone-{i}")
                _track(s, sent[-1])
                s.collector.flush()
    seen.extend(_ids(follower.poll()))
    assert not list(CollectPaths.of(s.root).wal.glob("*.wal"))
    assert sorted(seen) == sorted(sent) and len(seen) == len(set(seen))
    follower.close()


def test_a_segment_flushed_mid_read_is_read_to_its_end(serve: ServeFactory) -> None:
    s = serve()
    follower = _follower(s)
    _track(s, "a")
    assert _ids(follower.poll()) == ["a"]
    _track(s, "b")
    s.collector.flush()  # "b" was written after the last poll, then the file was deleted
    _track(s, "c")
    assert _ids(follower.poll()) == ["b", "c"]
    follower.close()


def _write(wal: WriteAheadLog, rows: list[dict[str, Any]]) -> None:
    async def go() -> None:
        await wal.append([stored.encode_rows(rows)])

    asyncio.run(go())


def _row(message_id: str, collector: str, at: int, **extra: Any) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "type": "track",
        "event": "E",
        "source": "web",
        "received_at": at,
        "collector_id": collector,
        "payload": "{}",
        **extra,
    }


def test_every_collector_and_their_new_segments_are_followed(tmp_path: Path) -> None:
    wal_dir, events = tmp_path / "wal", tmp_path / "events"
    one = WriteAheadLog(wal_dir, "c0w0", 1 << 20)
    one.start()
    follower = WalFollower(wal_dir, events)
    two = WriteAheadLog(wal_dir, "c0w1", 64)  # rotates after every record
    two.start()
    _write(one, [_row("a", "c0w0", 2)])
    _write(two, [_row("b", "c0w1", 1)])
    _write(two, [_row("c", "c0w1", 3), _row("d", "c0w1", 4)])
    assert _ids(follower.poll()) == ["b", "a", "c", "d"]  # by receipt across collectors
    _write(two, [_row("e", "c0w1", 5)])
    assert _ids(follower.poll()) == ["e"]
    one.close()
    two.close()
    flush_segments(sorted(wal_dir.glob("*.wal")), events)
    assert follower.poll() == []
    follower.close()


def test_a_torn_tail_is_skipped_with_a_warning(tmp_path: Path) -> None:
    from personae.collect.wal import encode_record

    wal_dir = tmp_path / "wal"
    wal_dir.mkdir()
    warnings: list[str] = []
    follower = WalFollower(wal_dir, tmp_path / "events", warn=warnings.append)
    record = encode_record(stored.encode_rows([_row("a", "c0", 1)]))
    (wal_dir / "c0-000000000001.wal").write_bytes(record + record[:7])
    assert _ids(follower.poll()) == ["a"]
    (wal_dir / "c0-000000000002.wal").write_bytes(
        encode_record(stored.encode_rows([_row("b", "c0", 2)]))
    )
    assert _ids(follower.poll()) == ["b"]
    assert warnings and "torn tail of 7 bytes" in warnings[0]
    follower.close()


def test_filters() -> None:
    row = {"source": "web", "type": "track", "event": "Order Completed", "user_id": "u-1",
           "anonymous_id": "a-1"}  # fmt: skip
    assert Filters().matches(row)
    assert Filters(sources=frozenset({"web", "app"})).matches(row)
    assert not Filters(sources=frozenset({"app"})).matches(row)
    assert not Filters(types=frozenset({"identify"})).matches(row)
    events = split_values(["Signed In", "Order Completed,Cart Viewed"])
    assert events == {"Signed In", "Order Completed", "Cart Viewed"}
    assert Filters(events=events, user_ids=frozenset({"u-1"})).matches(row)
    assert not Filters(anonymous_ids=frozenset({"a-2"})).matches(row)
    assert not Filters(extra=lambda r: r["user_id"] == "u-2").matches(row)


# --- the command


def _tail(root: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "personae", "--project", str(root), "tail", *args],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _feed_until_done(process: subprocess.Popen[bytes], send: Any, seconds: float = 60) -> None:
    """Call ``send(n)`` every 50 ms until the tail exits (it starts at the end, so it
    sees only what is sent once it runs)."""
    deadline = time.monotonic() + seconds
    n = 0
    while process.poll() is None:
        assert time.monotonic() < deadline, "personae tail did not finish"
        send(n)
        n += 1
        time.sleep(0.05)


def test_the_command_follows_filters_and_stops_at_its_limit(serve: ServeFactory) -> None:
    s = serve()
    process = _tail(s.root, "--event", "Order Completed", "--limit", "3")

    def send(n: int) -> None:
        _track(s, f"view-{n}", event="Page Viewed")
        _track(s, f"order-{n}", event="Order Completed", properties={"total": n, "long": "x" * 300})

    _feed_until_done(process, send)
    out, err = process.communicate()
    assert process.returncode == 0, err
    lines = out.decode().splitlines()
    assert len(lines) == 3
    for text in lines:
        assert " web  track 'Order Completed'  user_id=u-1  → new  {\"total\":" in text
        assert text.endswith("…") and len(text) < 250  # properties cut short
    assert b"no profiles are published yet" in err and b"every message shows" in err


def test_json_lines_hold_the_message_and_its_resolution(serve: ServeFactory) -> None:
    s = serve()
    for i in range(3):
        assert (
            s.post("/v1/identify", {"anonymousId": f"a-{i}", "traits": {"plan": i}}).status_code
            == 200
        )
    process = _tail(s.root, "--json", "--last", "2", "--limit", "2", "--type", "identify")
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    first, second = (orjson.loads(line) for line in out.splitlines())
    assert first["anonymousId"] == "a-1" and second["traits"] == {"plan": 2}
    assert first["type"] == "identify" and "writeKey" not in first
    meta = first["personae"]
    assert meta["source"] == "web" and meta["person_id"] is None and meta["segments"] == []
    assert meta["received_at"].endswith("Z") and meta["message_id"]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_ctrl_c_stop_the_tail_cleanly(serve: ServeFactory, stop: int) -> None:
    s = serve()
    process = _tail(s.root)
    assert process.stderr is not None
    said = process.stderr.readline()  # printed once the signals are handled
    assert b"no profiles are published yet" in said
    process.send_signal(stop)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0
    assert b"Traceback" not in err


def test_the_tail_follows_every_worker_of_personae_serve(tmp_path: Path) -> None:
    root = write_project(tmp_path, "collect:\n  flush_seconds: 0.3\n")
    key = new_key(root)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "personae", "--project", str(root), "serve",
         "--port", str(port), "--workers", "2"],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        # --since: what came before the tail runs is replayed (from the WAL and Parquet),
        # so every acknowledged message must be shown, in order (120 lines of JSON fit in
        # the pipe's buffer, which is read once the tail is done)
        tail = _tail(root, "--json", "--since", "1h", "--limit", "120")
        acked: list[str] = []

        def send(n: int) -> None:
            ids = [f"m-{n}-{i}" for i in range(5)]
            batch = [{"type": "track", "userId": "u", "event": "E", "messageId": m} for m in ids]
            answer = httpx.post(f"http://127.0.0.1:{port}/v1/batch", json={"batch": batch},
                                headers=basic(key), timeout=5)  # fmt: skip
            if answer.status_code == 200:
                acked.extend(ids)

        _feed_until_done(tail, send)
        out, err = tail.communicate()
        assert tail.returncode == 0, err
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(60) == 0
    shown = [orjson.loads(line)["personae"] for line in out.splitlines()]
    ids = [m["message_id"] for m in shown]
    assert ids == acked[:120]  # flushes every 0.3 s ran meanwhile: nothing lost or repeated
    assert {m["collector_id"] for m in shown} == {worker_id("c0", 0), worker_id("c0", 1)}


@pytest.mark.parametrize("option", ["--since", "--last"])
def test_bad_options_say_what_is_wrong(serve: ServeFactory, option: str) -> None:
    s = serve()
    value = "ten minutes" if option == "--since" else "-1"
    process = _tail(s.root, option, value, "--limit", "1")
    _, err = process.communicate(timeout=60)
    assert process.returncode != 0
    assert option.encode() in err


def test_sealed_records_and_parts_are_read_with_the_projects_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from personae.project import Project
    from personae.protect.encryption import KEY_ENV, EncryptionError, new_master_key

    monkeypatch.setenv(KEY_ENV, new_master_key())
    root = write_project(tmp_path, "sources: {}\nprotect: {encryption: true}\n")
    keys = Project.load(root).keys
    assert keys is not None
    wal_dir, events = tmp_path / "wal", tmp_path / "events"
    wal = WriteAheadLog(wal_dir, "c0", 1 << 20, keys=keys)
    wal.start()
    follower = WalFollower(wal_dir, events, keys)
    _write(wal, [_row("a", "c0", 1)])
    assert _ids(follower.poll()) == ["a"]
    _write(wal, [_row("b", "c0", 2)])
    wal.close()
    flush_segments(sorted(wal_dir.glob("*.wal")), events, keys)
    assert _ids(follower.poll()) == ["b"]  # read to its end after its removal
    assert _ids(
        WalFollower(wal_dir, events, keys, replay=True).flushed(lambda r: True, 0, None)
    ) == [
        "a",
        "b",
    ]
    wal = WriteAheadLog(wal_dir, "c0", 1 << 20, keys=keys)
    wal.start()
    _write(wal, [_row("c", "c0", 3)])
    wal.close()
    with pytest.raises(EncryptionError, match=r"is encrypted: turn protect\.encryption on"):
        WalFollower(wal_dir, events, None, replay=True)
