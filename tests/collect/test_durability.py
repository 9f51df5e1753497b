"""Restarts: recovery of WAL segments, the dedupe window, exactly-once loading."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from helpers.collect import BASE_CONFIG, basic, new_key, write_project
from personae.collect.app import create_app
from personae.collect.collector import Collector
from personae.collect.errors import CollectError
from personae.collect.flush import parquet_files
from personae.collect.paths import CollectPaths
from personae.collect.wal import encode_record, list_segments
from personae.config import load_config
from personae.ingest.collected import load_collected
from personae.project import Project


def _client(root: Path) -> TestClient:
    collector = Collector(root, load_config(root).collect)
    return TestClient(create_app(collector), raise_server_exceptions=False)


def _track(client: TestClient, key: str, message_id: str) -> int:
    body = {"userId": "u", "event": "E", "messageId": message_id}
    return client.post("/v1/track", json=body, headers=basic(key)).status_code


def test_dedupe_window_survives_restart(tmp_path: Path) -> None:
    root = write_project(tmp_path)
    key = new_key(root)
    with _client(root) as client:
        assert _track(client, key, "m1") == 200
    with _client(root) as client:  # m1 is now in Parquet only
        assert _track(client, key, "m1") == 200
        assert _track(client, key, "m2") == 200
        assert client.get("/health").json()["duplicates"] == 1
    assert len(parquet_files(CollectPaths.of(root).events)) == 2  # no name was reused
    with Project.load(root) as project:
        assert load_collected(project).rows_loaded == 2


def test_unflushed_segments_and_torn_tails_are_recovered(tmp_path: Path) -> None:
    root = write_project(tmp_path)
    key = new_key(root)
    paths = CollectPaths.of(root)
    with _client(root) as client:
        assert _track(client, key, "a") == 200
        segment = list_segments(paths.wal)[0]
        saved = segment.read_bytes()
    # simulate a crash: the segment is back, unflushed, with a torn record at its end
    for path in parquet_files(paths.events):
        path.unlink()
    segment.write_bytes(saved + encode_record(b'{"message_id": "torn"}')[:-3])
    with _client(root) as client:
        assert client.get("/health").json()["flushed_rows"] == 1
    with Project.load(root) as project:
        load_collected(project)
        ids = project.engine.rows("SELECT message_id FROM raw_collected")
    assert ids == [("a",)]


def test_loading_is_exactly_once_across_duplicated_files(tmp_path: Path) -> None:
    root = write_project(tmp_path, BASE_CONFIG + "  dedupe_hours: 0\n")
    key = new_key(root)
    with _client(root) as client:
        for message_id in ("a", "b", "a"):
            assert _track(client, key, message_id) == 200
    events = CollectPaths.of(root).events
    (first,) = parquet_files(events)
    # a second collector received the same retries: a copy under another name
    shutil.copy(first, first.with_name(first.name.replace("-c0-", "-c9-")))
    with Project.load(root) as project:
        load = load_collected(project)
        assert (load.files, load.rows_read, load.rows_loaded) == (2, 6, 2)
        again = load_collected(project)
        assert again.files == 0
        count = project.engine.scalar("SELECT count(*) FROM raw_collected")
        assert count == 2
        # a crash before the bookkeeping: the file is loaded again, nothing doubles
        project.engine.execute("DELETE FROM collected_files")
        assert load_collected(project).rows_loaded == 0
        assert project.engine.scalar("SELECT count(*) FROM raw_collected") == 2


def test_two_live_collectors_cannot_share_an_id(tmp_path: Path) -> None:
    root = write_project(tmp_path)
    config = load_config(root).collect
    first = Collector(root, config)
    first.start()
    try:
        with pytest.raises(CollectError, match="--collector-id"):
            Collector(root, config).start()
        other = Collector(root, config, collector_id="c1")
        other.start()
        other.close()
    finally:
        first.close()
    again = Collector(root, config)
    again.start()
    again.close()
