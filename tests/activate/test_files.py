"""File destinations: the whole audience written each run (a snapshot, atomically), with
fields renamed and pseudonymised, optional diff files, CSV and Parquet, and object
storage (S3 through fsspec) tested against moto's S3 server."""

from __future__ import annotations

import csv
import datetime as dt
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from helpers.audience import Person, set_people, write_project
from personae.activate.pseudonymise import sha256
from personae.activate.sync import Options
from personae.activate.sync.runner import run_destination
from personae.errors import EngineError
from personae.project import Project

T0 = dt.datetime(2026, 5, 1, 9, 0)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


FILES = """
  vip_csv:
    type: file
    audience: vip
    path: out/vip.csv
    fields: {Email: email, Prenom: first_name}
    purpose: advertising
    diff_files: true
  meta:
    type: file
    audience: {consent: advertising}
    path: out/meta.parquet
    fields: [email, phone]
    pseudonymise: {mode: hash, platform: meta}
"""


def test_a_file_holds_the_whole_audience_and_diff_files_what_changed(tmp_path: Path) -> None:
    root = write_project(tmp_path, FILES)
    with Project.load(root) as project:
        engine, config = project.engine, project.config
        crowd = [
            Person(1, "ann@corp.fr"),
            Person(2, "bob@corp.fr", first_name="Bob"),
            Person(3, "cy@corp.fr", consent=False),
        ]
        set_people(engine, crowd)
        report = run_destination(engine, config, root, "vip_csv", Options(now=T0))
        assert (report.added, report.members, report.held_back) == (2, 2, 1)
        assert read_csv(root / "out/vip.csv") == [
            {"person_id": "1", "Email": "ann@corp.fr", "Prenom": "Ann"},
            {"person_id": "2", "Email": "bob@corp.fr", "Prenom": "Bob"},
        ]
        assert len(read_csv(root / "out/vip.added.csv")) == 2

        crowd[0].first_name = "Anne"
        crowd[1].vip = False
        crowd[2].consent = True
        set_people(engine, crowd)
        report = run_destination(engine, config, root, "vip_csv", Options(now=T0))
        assert (report.added, report.updated, report.removed) == (1, 1, 1)
        assert [r["Email"] for r in read_csv(root / "out/vip.csv")] == [
            "ann@corp.fr",
            "cy@corp.fr",
        ]
        assert read_csv(root / "out/vip.added.csv") == [
            {"person_id": "3", "Email": "cy@corp.fr", "Prenom": "Ann"}
        ]
        assert read_csv(root / "out/vip.updated.csv")[0]["Prenom"] == "Anne"
        assert read_csv(root / "out/vip.removed.csv") == [
            {"person_id": "2", "Email": "bob@corp.fr", "Prenom": "Bob"}
        ]
        assert not [p for p in (root / "out").iterdir() if p.name.startswith(".")]


def test_parquet_with_hashed_personal_data(tmp_path: Path) -> None:
    root = write_project(tmp_path, FILES)
    with Project.load(root) as project:
        set_people(project.engine, [Person(1, " Ann@Corp.fr"), Person(2, None, consent=False)])
        report = run_destination(project.engine, project.config, root, "meta", Options(now=T0))
    assert report.pseudonymised == ["email", "phone"]
    rows = pq.read_table(root / "out/meta.parquet").to_pylist()
    assert rows == [
        {"person_id": 1, "email": sha256("ann@corp.fr"), "phone": sha256("33612345678")}
    ]


def test_a_failed_write_leaves_the_previous_file_and_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_project(tmp_path, FILES)
    with Project.load(root) as project:
        engine, config = project.engine, project.config
        set_people(engine, [Person(1, "ann@corp.fr")])
        run_destination(engine, config, root, "vip_csv", Options(now=T0))
        before = (root / "out/vip.csv").read_text()
        set_people(engine, [Person(1, "ann@corp.fr"), Person(2, "bob@corp.fr")])
        real = type(engine).export

        def half_written(self: Any, sql: str, path: Path, file_format: Any) -> int:
            path.write_text("person_id,Email\n2,bo")
            raise EngineError("disk full")

        monkeypatch.setattr(type(engine), "export", half_written)
        with pytest.raises(EngineError, match="disk full"):
            run_destination(engine, config, root, "vip_csv", Options(now=T0))
        assert (root / "out/vip.csv").read_text() == before
        assert not [p for p in (root / "out").iterdir() if p.name.startswith(".")]
        monkeypatch.setattr(type(engine), "export", real)
        report = run_destination(engine, config, root, "vip_csv", Options(now=T0))
        assert report.added == 1  # the failed run recorded nothing


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def s3_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto's S3 server on a local port (a real HTTP S3 API), with a bucket."""
    server_module = pytest.importorskip(
        "moto.server", reason="S3 tests need moto[server]: pip install 'personae[dev]'"
    )
    pytest.importorskip("s3fs", reason="S3 tests need s3fs: pip install 'personae[s3]'")
    boto3 = pytest.importorskip("boto3", reason="S3 tests need boto3 (comes with moto)")
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    port = _free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="exports")
    try:
        yield endpoint
    finally:
        server.stop()


def test_files_on_s3(tmp_path: Path, s3_server: str) -> None:
    import boto3

    config = f"""
  lake:
    type: file
    audience: vip
    path: s3://exports/audiences/vip.parquet
    fields: [email]
    purpose: advertising
    diff_files: true
    storage_options: {{endpoint_url: "{s3_server}"}}
  lake_csv:
    type: file
    audience: vip
    path: s3://exports/audiences/vip.csv
    fields: [email]
    purpose: advertising
    storage_options: {{endpoint_url: "{s3_server}"}}
"""
    root = write_project(tmp_path, config)
    with Project.load(root) as project:
        engine = project.engine
        set_people(engine, [Person(1, "ann@corp.fr"), Person(2, "bob@corp.fr")])
        report = run_destination(engine, project.config, root, "lake", Options(now=T0))
        assert report.added == 2
        set_people(engine, [Person(1, "ann@corp.fr")])
        report = run_destination(engine, project.config, root, "lake", Options(now=T0))
        assert report.removed == 1
        run_destination(engine, project.config, root, "lake_csv", Options(now=T0))
    s3 = boto3.client("s3", endpoint_url=s3_server)
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="exports")["Contents"])
    assert keys == [
        "audiences/vip.added.parquet",
        "audiences/vip.csv",
        "audiences/vip.parquet",
        "audiences/vip.removed.parquet",
        "audiences/vip.updated.parquet",
    ]
    local = tmp_path / "vip.parquet"
    s3.download_file("exports", "audiences/vip.parquet", str(local))
    assert pq.read_table(local).to_pylist() == [{"person_id": 1, "email": "ann@corp.fr"}]
    removed = tmp_path / "removed.parquet"
    s3.download_file("exports", "audiences/vip.removed.parquet", str(removed))
    assert pq.read_table(removed).to_pylist() == [{"person_id": 2, "email": "bob@corp.fr"}]
    body = s3.get_object(Bucket="exports", Key="audiences/vip.csv")["Body"].read()
    assert body.decode().splitlines() == ['"person_id","email"', '1,"ann@corp.fr"']
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
