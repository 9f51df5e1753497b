"""Encryption at rest: keys, sealed bytes, the warehouse, the WAL and collected files."""

from __future__ import annotations

import asyncio
import base64
import os
from pathlib import Path

import pyarrow as pa
import pytest

from personae.collect.flush import flush_segments, read_events_file
from personae.collect.wal import WriteAheadLog, list_segments, read_segment
from personae.engine.duckdb.engine import DuckDBEngine
from personae.errors import ConfigError, EngineError
from personae.project import Project
from personae.protect.encryption import (
    KEY_ENV,
    EncryptionError,
    Keyring,
    load_master_key,
    new_master_key,
    parse_master_key,
)

SECRET = b"alice.martin@example.com"


def keyring() -> Keyring:
    return Keyring(os.urandom(32))


def test_sealed_bytes_open_only_with_their_key_and_kind() -> None:
    keys = keyring()
    sealed = keys.seal("events", SECRET)
    assert SECRET not in sealed
    assert keys.open("events", sealed, where="f") == SECRET
    with pytest.raises(EncryptionError, match="does not authenticate"):
        keys.open("models", sealed, where="f")  # a key per kind (HKDF info)
    with pytest.raises(EncryptionError, match=r"f is encrypted with key [0-9a-f]{16}, but"):
        keyring().open("events", sealed, where="f")
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(EncryptionError, match="altered or is truncated"):
        keys.open("events", tampered, where="f")


def test_derived_keys_differ_per_kind_and_never_equal_the_master() -> None:
    keys = keyring()
    derived = {keys.key(k) for k in ("warehouse", "wal", "events", "models")}
    assert len(derived) == 4 and keys.master not in derived
    assert keys.key_id != Keyring(os.urandom(32)).key_id


def test_master_key_reads_base64_and_hex_and_refuses_other_text() -> None:
    raw = os.urandom(32)
    assert parse_master_key(base64.b64encode(raw).decode(), origin="x") == raw
    assert parse_master_key(base64.urlsafe_b64encode(raw).decode(), origin="x") == raw
    assert parse_master_key(raw.hex(), origin="x") == raw
    assert len(parse_master_key(new_master_key(), origin="x")) == 32
    with pytest.raises(EncryptionError, match=r"x: not a 32-byte key.*personae protect new-key"):
        parse_master_key("hunter2", origin="x")


def test_key_comes_from_the_environment_or_a_key_file_outside_the_project(
    tmp_path: Path,
) -> None:
    project = tmp_path / "shop"
    project.mkdir()
    key = new_master_key()
    from_env = load_master_key(project, None, {KEY_ENV: key})
    outside = tmp_path / "shop.key"
    outside.write_text(key + "\n")
    assert load_master_key(project, str(outside), {}).key_id == from_env.key_id
    inside = project / "secrets" / "shop.key"
    inside.parent.mkdir()
    inside.write_text(key)
    with pytest.raises(EncryptionError, match=r"inside the project folder.*Move it outside"):
        load_master_key(project, "secrets/shop.key", {})
    with pytest.raises(EncryptionError, match=f"no key is given: set {KEY_ENV}"):
        load_master_key(project, None, {})
    with pytest.raises(EncryptionError, match="cannot read"):
        load_master_key(project, str(tmp_path / "missing.key"), {})


def test_spark_with_encryption_fails_when_the_project_loads(tmp_path: Path) -> None:
    (tmp_path / "personae.yml").write_text(
        "engine: {type: spark}\nprotect:\n  encryption: true\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"protect.encryption: .*not supported on the spark"):
        Project.load(tmp_path)
    (tmp_path / "personae.yml").write_text("protect:\n  encryption: true\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not supported on the spark"):
        Project.load(tmp_path, engine="spark")


def test_encrypted_warehouse_holds_no_plaintext_and_needs_its_key(
    tmp_path: Path, secure_duckdb: None
) -> None:
    keys = keyring()
    path = tmp_path / "warehouse.duckdb"
    engine = DuckDBEngine(path, keys=keys)
    engine.execute(
        "CREATE TABLE people AS SELECT 'alice.martin@example.com' AS email, range AS n "
        "FROM range(50000)"
    )
    with engine.matching_backend() as backend:  # Splink's database beside it still works
        backend.load_from(engine, "match_input", "SELECT * FROM people LIMIT 3")
        backend.save_to(engine, "edges", "SELECT * FROM match_input", mode="replace")
    assert engine.count("edges") == 3
    engine.checkpoint()
    engine.close()
    for file in tmp_path.rglob("*"):
        assert not file.is_file() or SECRET not in file.read_bytes(), file
    reopened = DuckDBEngine(path, keys=keys)
    assert reopened.count("people") == 50000
    reopened.close()
    with pytest.raises(EngineError, match="cannot open the encrypted warehouse"):
        DuckDBEngine(path, keys=keyring())


def test_plaintext_warehouse_is_refused_with_encryption_on(
    tmp_path: Path, secure_duckdb: None
) -> None:
    path = tmp_path / "warehouse.duckdb"
    DuckDBEngine(path).close()
    with pytest.raises(EngineError, match="protect rotate-key"):
        DuckDBEngine(path, keys=keyring())


def test_wal_records_and_flushed_parquet_are_sealed(tmp_path: Path) -> None:
    keys = keyring()
    wal = tmp_path / "wal"
    log = WriteAheadLog(wal, "c1", 1 << 20, keys=keys)
    log.start()
    record = b'{"message_id":"m1","email":"alice.martin@example.com"}'

    async def append() -> None:
        await log.append([record, record])

    asyncio.run(append())
    log.close()
    (segment,) = list_segments(wal)
    assert SECRET not in segment.read_bytes()
    assert read_segment(segment, keys).records == [record, record]
    with pytest.raises(EncryptionError, match=r"is encrypted: turn protect.encryption on"):
        read_segment(segment)
    with pytest.raises(EncryptionError, match="is encrypted with key"):
        read_segment(segment, keyring())


def test_duckdb_reads_sealed_parquet_files_in_memory(tmp_path: Path) -> None:
    from personae.collect.flush import write_events_file

    keys = keyring()
    files = []
    for n in range(2):
        path = tmp_path / f"part-{n}.parquet"
        write_events_file(path, pa.table({"email": [SECRET.decode()] * 3, "n": [n] * 3}), keys)
        assert SECRET not in path.read_bytes()
        files.append(str(path))
    assert read_events_file(Path(files[0]), keys).num_rows == 3
    engine = DuckDBEngine(keys=keys)
    engine.read_parquet("loaded", files)
    assert engine.columns("loaded") == ["email", "n", "_file"]
    assert engine.rows("SELECT _file, count(*) FROM loaded GROUP BY 1 ORDER BY 1") == [
        (files[0], 3),
        (files[1], 3),
    ]
    engine.close()
    with pytest.raises(EncryptionError, match=r"is encrypted: set protect.encryption"):
        DuckDBEngine().read_parquet("loaded", files)


def test_flush_keeps_sealed_records_sealed(tmp_path: Path) -> None:
    from personae.collect import stored

    keys = keyring()
    log = WriteAheadLog(tmp_path / "wal", "c1", 1 << 20, keys=keys)
    log.start()
    row = {
        "message_id": "m1",
        "type": "identify",
        "received_at": 1_760_000_000_000_000,
        "payload": '{"traits":{"email":"alice.martin@example.com"}}',
    }
    encoded = stored.encode(row)

    async def append() -> None:
        await log.append([encoded])

    asyncio.run(append())
    log.close()
    result = flush_segments(list_segments(tmp_path / "wal"), tmp_path / "events", keys)
    assert result.rows == 1
    (parquet,) = (tmp_path / "events").rglob("*.parquet")
    assert SECRET not in parquet.read_bytes()
    assert read_events_file(parquet, keys).column("message_id").to_pylist() == ["m1"]


def test_ingest_loads_sealed_collected_files_into_the_encrypted_warehouse(
    tmp_path: Path, master_key: str
) -> None:
    from personae.collect import stored
    from personae.collect.flush import write_events_file
    from personae.collect.paths import CollectPaths
    from personae.ingest.collected import load_collected

    (tmp_path / "personae.yml").write_text("protect:\n  encryption: true\n", encoding="utf-8")
    project = Project.load(tmp_path)
    rows = [
        {"message_id": f"m{n}", "type": "track", "received_at": 1_760_000_000_000_000 + n}
        for n in range(5)
    ]
    events = CollectPaths.of(tmp_path).events / "date=2025-10-09"
    write_events_file(events / "part-c1-000000000001.parquet", stored.to_arrow(rows), project.keys)
    loaded = load_collected(project)
    assert (loaded.files, loaded.rows_loaded) == (1, 5)
    assert project.engine.count("raw_collected") == 5
    project.close()


def test_rotation_waits_for_no_collector(tmp_path: Path) -> None:
    import fcntl

    from personae.collect.paths import CollectPaths
    from personae.errors import PersonaeError
    from personae.privacy.rotation import rotate_keys
    from personae.protect.encryption import rotation_marker

    (tmp_path / "personae.yml").write_text("protect:\n  encryption: true\n", encoding="utf-8")
    project = Project.load(tmp_path)
    wal = CollectPaths.of(tmp_path).wal
    wal.mkdir(parents=True)
    lock = os.open(wal / "c1.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running `personae serve` does
    try:
        with pytest.raises(PersonaeError, match=r"collector 'c1' is running.*stop it"):
            rotate_keys(project, None, keyring())
        assert not rotation_marker(tmp_path).exists()  # refused before it started
    finally:
        os.close(lock)
    report = rotate_keys(project, None, keyring())
    assert (report.warehouse, report.files, report.segments) == (False, 0, 0)
    assert not rotation_marker(tmp_path).exists()
