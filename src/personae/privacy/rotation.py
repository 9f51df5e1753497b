"""Key rotation: every encrypted file of the project re-encrypted under a new master key.

``personae protect rotate-key`` calls :func:`rotate_keys` with the current key (None to
encrypt a project written before ``protect.encryption`` was turned on) and the new one.
Each file is re-encrypted on its own, atomically (written to a temporary name, fsync'd,
renamed over the old one), so a crash leaves every file whole, under the old key or the
new one. ``.personae/rotation.json`` is written first and removed last: while it is
there, no other command opens the project (its files are under two keys), and running
the rotation again with the same two keys finishes it, skipping what is done. After it,
the old key opens nothing: each sealed file names its key, and the warehouse's key check
refuses it. The serving store (:mod:`personae.serving`) is published again under the new
key from the re-keyed warehouse.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from personae.collect.paths import CollectPaths
from personae.collect.wal import list_segments, read_segment, rewrite_segment
from personae.engine import ENGINES
from personae.errors import PersonaeError
from personae.project import STATE_DIR, Project
from personae.protect.encryption import (
    Keyring,
    Kind,
    is_sealed,
    is_sealed_record,
    open_any,
    rotation_marker,
    sealed_key_id,
)
from personae.protect.files import write_private
from personae.serving.publish import publish
from personae.serving.store import ServingPaths


@dataclass
class RotationReport:
    warehouse: bool = False
    files: int = 0
    segments: int = 0
    unchanged: int = 0
    #: the serving store was published again, sealed under the new key
    serving: bool = False


def rotate_keys(project: Project, old: Keyring | None, new: Keyring) -> RotationReport:
    """Re-encrypt the warehouse, the collected WAL and Parquet files and the models from
    ``old`` (None: plaintext) to ``new``."""
    if old is not None and old.key_id == new.key_id:
        raise PersonaeError("the new key is the current key: give another one")
    marker = rotation_marker(project.root)
    started = {"from": old.key_id if old else "plaintext", "to": new.key_id}
    if marker.exists():
        earlier = json.loads(marker.read_text(encoding="utf-8"))
        if earlier.get("to") != new.key_id:
            raise PersonaeError(
                f"{marker}: an unfinished rotation is to key {earlier.get('to')}, not "
                f"{new.key_id}: finish it with the key it started with"
            )
    collect = CollectPaths.of(project.root, project.config.collect.events_dir)
    with _no_collector_running(collect.wal):
        write_private(marker, json.dumps(started).encode(), durable=True)
        report = _rotate(project, collect, old, new)
    marker.unlink()
    return report


@contextmanager
def _no_collector_running(wal: Path) -> Iterator[None]:
    """Hold every collector's id lock (``personae serve`` holds its own while it runs), so
    no collector writes the WAL during the rotation; refuse when one is running."""
    held: list[int] = []
    try:
        for lock in sorted(wal.glob("*.lock")) if wal.exists() else []:
            fd = os.open(lock, os.O_RDWR)
            held.append(fd)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise PersonaeError(
                    f"collector {lock.stem!r} is running (personae serve): stop it, then "
                    "rotate the key; it starts again with the new key"
                ) from None
        yield
    finally:
        for fd in held:
            os.close(fd)


def _rotate(
    project: Project, collect: CollectPaths, old: Keyring | None, new: Keyring
) -> RotationReport:
    report = RotationReport()
    engine = ENGINES[project.config.engine.type]
    report.warehouse = engine.rekey(project.config.engine, project.root, old, new)
    for segment in list_segments(collect.wal):
        if _under(segment.read_bytes(), new):
            report.unchanged += 1
            continue
        rewrite_segment(segment, read_segment(segment, old).records, new)
        report.segments += 1
    for path, kind in _sealed_files(project, collect):
        data = path.read_bytes()
        if sealed_key_id(data) == new.key_id:
            report.unchanged += 1
            continue
        plain = open_any(old, kind, data, where=str(path)) if is_sealed(data) else data
        write_private(path, new.seal(kind, plain), durable=True)
        report.files += 1
    report.serving = _republish_serving(project, new)
    return report


def _republish_serving(project: Project, new: Keyring) -> bool:
    """Publish the serving store again from the re-keyed warehouse, sealed and hashed
    under ``new`` (its values were sealed under the old key, or plain); nothing when it
    was never published."""
    if ServingPaths.of(project.state_dir).live() is None:
        return False
    project.close()
    with Project(project.root, project.config, _keys=new) as keyed:
        publish(keyed)
    return True


def _under(segment: bytes, keys: Keyring) -> bool:
    """Whether a WAL segment's first record is sealed under ``keys`` (a segment is
    rewritten whole, so its first record tells)."""
    first = segment[8:]  # past the first record's length and CRC
    return bool(segment) and is_sealed_record(first) and sealed_key_id(first) == keys.key_id


def _sealed_files(project: Project, collect: CollectPaths) -> list[tuple[Path, Kind]]:
    """Every file personae seals: collected Parquet files, and any sealed file or
    term-frequency table under ``.personae/``."""
    found: list[tuple[Path, Kind]] = [
        (p, "events") for p in sorted(collect.events.glob("date=*/part-*.parquet"))
    ]
    for path in sorted((project.root / STATE_DIR).rglob("*")):
        if not path.is_file() or any(path == p for p, _ in found):
            continue
        if ".tf_" in path.name and path.suffix == ".parquet":
            found.append((path, "models"))
    return found
