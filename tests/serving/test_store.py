"""The serving store: published atomically, reaches erasure, leaves nothing readable when
encryption is on, keeps the configured events, and serves through a real server."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from helpers.collect import basic, free_port
from helpers.serving import PAGE_VIEWS, build_shop
from personae.cli.main import app
from personae.pipeline import run
from personae.privacy.erasure import SERVING_FILES, erase
from personae.privacy.person import Selector, find_person
from personae.project import Project
from personae.protect.encryption import KEY_ENV, new_master_key
from personae.protect.keys import KeyStore, keys_file
from personae.serving import publish as publishing
from personae.serving.api import profile_app
from personae.serving.publish import publish
from personae.serving.store import ServingPaths

runner = CliRunner()


def read_key(root: Path) -> str:
    return KeyStore(keys_file(root)).create(scope="read")[1]


def files_holding(folder: Path, needles: list[bytes]) -> list[str]:
    return [
        f"{path.name}: {needle.decode()}"
        for path in folder.rglob("*")
        if path.is_file()
        for needle in needles
        if needle in path.read_bytes()
    ]


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    build_shop(tmp_path, second_run=False)
    return tmp_path


def test_a_reader_during_publishes_always_sees_a_complete_store(shop: Path) -> None:
    key = read_key(shop)
    answers: list[tuple[int, int]] = []
    stop = threading.Event()

    def read() -> None:
        with TestClient(profile_app(shop)) as client:
            while not stop.is_set():
                response = client.get("/user_id:u-1/events?limit=100", headers=basic(key))
                answers.append((response.status_code, len(response.json().get("data", []))))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        with Project.load(shop) as project:
            for _ in range(5):
                publish(project)
    finally:
        stop.set()
        reader.join()
    assert len(answers) > 5
    assert set(answers) == {(200, PAGE_VIEWS + 3)}
    paths = ServingPaths.of(shop / ".personae")
    assert paths.generations() == [paths.live()]  # the old generations are gone


def test_a_publish_that_fails_leaves_the_live_store_untouched(
    shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = ServingPaths.of(shop / ".personae")
    live = paths.live()

    def broken(*args: object) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(publishing, "_lookups", broken)
    with Project.load(shop) as project, pytest.raises(OSError, match="disk full"):
        publish(project)
    assert paths.live() == live
    assert paths.generations() == [live]
    with TestClient(profile_app(shop)) as client:
        response = client.get("/user_id:u-1/traits", headers=basic(read_key(shop)))
    assert response.status_code == 200


def test_erasure_removes_the_person_from_the_store(shop: Path) -> None:
    key = read_key(shop)
    with TestClient(profile_app(shop)) as client:
        assert (
            client.get("/email:jeanne.martin@mail.fr/traits", headers=basic(key)).status_code == 200
        )
        with Project.load(shop) as project:
            selector = Selector(email="jeanne.martin@mail.fr")
            dry = erase(project, find_person(project, selector), selector, dry_run=True)
            assert dry.files[SERVING_FILES] > 0
            report = erase(project, find_person(project, selector), selector)
        assert report.files[SERVING_FILES] == dry.files[SERVING_FILES]
        for external_id in ("email:jeanne.martin@mail.fr", "user_id:u-1", "person_id:1"):
            response = client.get(f"/{external_id}/traits", headers=basic(key))
            assert response.status_code == 404, external_id
        # the others are still served
        assert client.get("/customer_id:C2/traits", headers=basic(key)).status_code == 200
    # and no byte of hers is left in the store's files (secure_delete, WAL truncated)
    folder = ServingPaths.of(shop / ".personae").folder
    assert files_holding(folder, [b"jeanne.martin@mail.fr", b"Jeanne", b"u-1"]) == []
    assert files_holding(folder, [b"paul.durand@mail.fr"]) != []  # the search finds values


def test_with_encryption_no_value_is_readable_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("duckdb")
    from personae.engine.duckdb import crypto

    monkeypatch.setattr(crypto, "ALLOW_INSECURE_CRYPTO_FOR_TESTS", True)
    monkeypatch.setenv(KEY_ENV, new_master_key())
    build_shop(tmp_path, extra="protect:\n  encryption: true\n", second_run=False)
    folder = ServingPaths.of(tmp_path / ".personae").folder
    needles = [b"jeanne.martin@mail.fr", b"Jeanne", b"Paris", b"+33612345678", b"u-1", b"/p/1"]
    assert ServingPaths.of(tmp_path / ".personae").live() is not None
    assert files_holding(folder, needles) == []
    key = read_key(tmp_path)
    with TestClient(profile_app(tmp_path)) as client:
        response = client.get("/email:Jeanne.Martin@mail.fr/traits?limit=200", headers=basic(key))
        assert response.status_code == 200
        assert response.json()["traits"]["city"] == "Paris"
        events = client.get("/phone:06 12 34 56 78/events", headers=basic(key)).json()
        assert len(events["data"]) == 10
    # another key opens nothing and says how to fix it
    monkeypatch.setenv(KEY_ENV, new_master_key())
    with TestClient(profile_app(tmp_path)) as client:
        refused = client.get("/user_id:u-1/traits", headers=basic(key))
    assert refused.status_code == 503
    assert "personae serving publish" in refused.json()["error"]


def test_events_kept_follow_serving_config(tmp_path: Path) -> None:
    build_shop(tmp_path, extra="serving:\n  events_per_person: 4\n", second_run=False)
    key = read_key(tmp_path)
    with TestClient(profile_app(tmp_path)) as client:
        data = client.get("/user_id:u-1/events?limit=100", headers=basic(key)).json()["data"]
    assert [e["message_id"] for e in data] == ["m-order-1", "m-order-0", "m-view-24", "m-view-23"]


def test_events_days_keeps_only_recent_events(tmp_path: Path) -> None:
    # as_of 2026-03-31: 29 days back keeps the orders of 2026-03-02 and 03-03 only
    build_shop(tmp_path, extra="serving:\n  events_days: 29\n", second_run=False)
    key = read_key(tmp_path)
    with TestClient(profile_app(tmp_path)) as client:
        data = client.get("/user_id:u-1/events?limit=100", headers=basic(key)).json()["data"]
    assert [e["message_id"] for e in data] == ["m-order-1", "m-order-0"]


def test_publish_can_be_turned_off(tmp_path: Path) -> None:
    reports = build_shop(tmp_path, extra="serving:\n  publish: false\n", second_run=False)
    assert reports[0].published is None
    assert ServingPaths.of(tmp_path / ".personae").live() is None


def test_cli_publishes_and_says_when(shop: Path) -> None:
    result = runner.invoke(app, ["--project", str(shop), "serving", "publish"])
    assert result.exit_code == 0, result.output
    assert "Published 4 persons, 11 external ids, 29 events, 3 memberships" in result.output
    status = runner.invoke(app, ["--project", str(shop), "serving", "status"])
    assert status.exit_code == 0, status.output
    assert "Serving store: published" in status.output
    assert "4 persons, last 100 events per person" in status.output
    overall = runner.invoke(app, ["--project", str(shop), "status"])
    assert "Serving store: published" in overall.output


@pytest.fixture
def uvicorn_server(shop: Path) -> Iterator[str]:
    """``personae serve`` with two workers: the Profile API is mounted in each."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "personae", "--project", str(shop), "serve", "--port", str(port),
         "--workers", "2"],
        env={**os.environ},
        stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1/profiles"
    try:
        for _ in range(200):
            try:
                httpx.get(url + "/1/traits", timeout=0.5)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_real_server_answers_and_follows_a_new_publish(shop: Path, uvicorn_server: str) -> None:
    key = read_key(shop)
    traits = httpx.get(f"{uvicorn_server}/email:jeanne.martin@mail.fr/traits", auth=(key, ""))
    assert traits.status_code == 200 and traits.headers["x-personae-person-id"] == "1"
    before = httpx.get(f"{uvicorn_server}/person_id:4/traits", auth=(key, ""))
    assert before.headers["x-personae-person-id"] == "4"  # the anonymous visitor a-2
    # a second run merges person 4 into person 2; the running server sees it
    (shop / "data" / "web_2.csv").write_text(
        "message_id,user_id,anonymous_id,email,event,at,page\n"
        "m-signup,,a-2,paul.durand@mail.fr,Signed Up,2026-03-04T10:00:00,/join\n",
        encoding="utf-8",
    )
    from personae.pipeline import run

    with Project.load(shop) as project:
        run(project)
    merged = httpx.get(f"{uvicorn_server}/person_id:4/traits", auth=(key, ""))
    assert merged.status_code == 200 and merged.headers["x-personae-person-id"] == "2"
    assert merged.headers["x-personae-merged-from"] == "4"
    # Segment's path answers the same, whatever the space
    segment = uvicorn_server.replace("/v1/profiles", "/v1/spaces/shop/collections/users/profiles")
    same = httpx.get(f"{segment}/person_id:4/traits", auth=(key, ""))
    assert same.status_code == 200 and same.json()["traits"] == merged.json()["traits"]
    assert same.json()["cursor"]["url"].startswith("/v1/spaces/shop/")


def test_a_reader_holding_the_file_during_erasure_is_reported(
    shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from personae.serving import store

    monkeypatch.setattr(store, "BUSY_MS", 10)
    monkeypatch.setattr(store, "CHECKPOINT_TRIES", 1)
    live = ServingPaths.of(shop / ".personae").live()
    assert live is not None
    reader = store.connect(live)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM traits").fetchone()  # holds its snapshot
    try:
        with Project.load(shop) as project:
            selector = Selector(user_id="u-1")
            report = erase(project, find_person(project, selector), selector)
    finally:
        reader.close()
    assert any("personae serving publish" in w for w in report.warnings)
    with TestClient(profile_app(shop)) as client:  # the rows are gone all the same
        response = client.get("/user_id:u-1/traits", headers=basic(read_key(shop)))
    assert response.status_code == 404


def test_auto_publishes_once_someone_can_read_the_store(tmp_path: Path) -> None:
    """serving.publish: auto (the default): no read key, no store (a run pays nothing for
    an API nobody can call); once a read key exists, every run publishes."""
    (first,) = build_shop(tmp_path, second_run=False, read_key=False)
    assert first.published is None
    assert ServingPaths.of(tmp_path / ".personae").live() is None
    KeyStore(keys_file(tmp_path)).create(scope="read")
    with Project.load(tmp_path) as project:
        again = run(project)
    assert again.published is not None
    assert ServingPaths.of(tmp_path / ".personae").live() is not None
