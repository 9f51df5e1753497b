"""The serving store: one SQLite file (WAL journal: many readers beside one writer) per
published generation under ``.personae/serving/``, and ``CURRENT`` naming the live one.

A publish writes a whole new generation, then replaces ``CURRENT`` (``os.replace``: a
reader sees the old generation or the new one, never a half-written one) and removes the
older generations. A reader re-reads ``CURRENT`` when it changes and reopens.

One row per person in each of ``traits``, ``external_ids`` and ``events``, a JSON
document each, so updating a person is one upsert per table: traits as an object keyed
by each name's position in ``meta.trait_names`` (``{"0": …, "1": …}``: the names are not
repeated per person); a list of ``{"t": type, "i": id, "s": source, "c": first seen}``;
a list of events oldest first, ``{"t": timestamp, "s": source, "m": record id, "e":
event, "p": properties as JSON text}`` (timestamps as ``2026-03-01 10:00:00[.ffffff]``);
``segments`` holds one row per membership, ``lookup`` maps each external id to its
person, ``links`` each retired person id to the person it was merged into,
``search_tokens`` and ``search_vocabulary`` the words of each person's names (person
search, :mod:`personae.serving.names`), ``meta`` the publish's facts.

With ``protect.encryption`` on, nothing readable lands on disk: the documents are sealed
with AES-256-GCM under the ``serving`` key (``nonce | ciphertext and tag``) and the
lookup keys and name tokens are keyed hashes (HMAC-SHA256 under
``.personae/hashing.key``, 16 bytes).
Segment names, person ids and timestamps stay plain.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from personae.errors import PersonaeError
from personae.protect.encryption import EncryptionError, Keyring
from personae.protect.hashing import load_key

SERVING_DIR = "serving"
CURRENT = "CURRENT"
PREFIX = "profiles-"
SUFFIX = ".sqlite"
SCHEMA_VERSION = "1"
_NONCE = 12
#: how long a writer waits for readers (ms), and how many times a checkpoint tries
BUSY_MS = 5000
CHECKPOINT_TRIES = 5

SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE traits (person_id INTEGER PRIMARY KEY, data BLOB NOT NULL)",
    "CREATE TABLE external_ids (person_id INTEGER PRIMARY KEY, data BLOB NOT NULL)",
    "CREATE TABLE events (person_id INTEGER PRIMARY KEY, data BLOB NOT NULL)",
    "CREATE TABLE segments (person_id INTEGER NOT NULL, segment TEXT NOT NULL, since TEXT,"
    " PRIMARY KEY (person_id, segment)) WITHOUT ROWID",
    "CREATE TABLE lookup (key BLOB PRIMARY KEY, person_id INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE TABLE links (person_id INTEGER PRIMARY KEY, merged_into INTEGER NOT NULL)",
    "CREATE TABLE search_tokens (token BLOB NOT NULL, person_id INTEGER NOT NULL,"
    " records INTEGER NOT NULL, golden INTEGER NOT NULL, PRIMARY KEY (token, person_id))"
    " WITHOUT ROWID",
    "CREATE TABLE search_vocabulary (token TEXT PRIMARY KEY, persons INTEGER NOT NULL)"
    " WITHOUT ROWID",
)
#: created after the bulk load (cheaper than maintaining them row by row); ``lookup`` has
#: no index by person: only an erasure looks for a person's keys, and it scans
INDEXES = ("CREATE INDEX links_into ON links (merged_into)",)
#: every table holding a person's rows, with its person column(s)
PERSON_TABLES = {
    "traits": ("person_id",),
    "external_ids": ("person_id",),
    "events": ("person_id",),
    "segments": ("person_id",),
    "lookup": ("person_id",),
    "links": ("person_id", "merged_into"),
    "search_tokens": ("person_id",),
}


class ServingError(PersonaeError):
    """The serving store is missing, unreadable or sealed with another key."""


@dataclass(frozen=True)
class ServingPaths:
    folder: Path

    @classmethod
    def of(cls, state_dir: Path) -> ServingPaths:
        return cls(Path(state_dir) / SERVING_DIR)

    @property
    def current(self) -> Path:
        return self.folder / CURRENT

    def live(self) -> Path | None:
        """The generation ``CURRENT`` names, or None before the first publish."""
        try:
            name = self.current.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        path = self.folder / name
        return path if name and path.exists() else None

    def generations(self) -> list[Path]:
        if not self.folder.exists():
            return []
        return sorted(self.folder.glob(f"{PREFIX}*{SUFFIX}"))


def companions(path: Path) -> list[Path]:
    """The database file and SQLite's files beside it (``-wal``, ``-shm``, ``-journal``)."""
    return [path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))]


def remove_generation(path: Path) -> None:
    for file in companions(path):
        file.unlink(missing_ok=True)


@dataclass
class Codec:
    """How values are written: plain, or sealed and hashed (``protect.encryption``)."""

    cipher: AESGCM | None = None
    hash_key: bytes | None = None
    key_id: str = ""

    @classmethod
    def for_project(cls, state_dir: Path, keys: Keyring | None) -> Codec:
        if keys is None:
            return cls()
        return cls(AESGCM(keys.key("serving")), load_key(state_dir), keys.key_id)

    @property
    def encrypted(self) -> bool:
        return self.cipher is not None

    def lookup_key(self, kind: str, value: str) -> str | bytes:
        """``kind:value``, or its keyed hash (16 bytes) when encrypted."""
        if self.hash_key is None:
            return f"{kind}:{value}"
        message = f"{kind}\x1f{value}".encode()
        return hmac.new(self.hash_key, message, hashlib.sha256).digest()[:16]

    def seal(self, data: bytes) -> bytes:
        if self.cipher is None:
            return data
        nonce = os.urandom(_NONCE)
        return nonce + self.cipher.encrypt(nonce, data, None)

    def open(self, blob: bytes, where: str) -> bytes:
        if self.cipher is None:
            return bytes(blob)
        try:
            return self.cipher.decrypt(blob[:_NONCE], blob[_NONCE:], None)
        except InvalidTag:
            raise EncryptionError(
                f"{where}: a value does not authenticate: the serving store was written "
                "with another key; run 'personae serving publish' with the current key"
            ) from None


def connect(path: Path) -> sqlite3.Connection:
    """A connection to a generation; ``check_same_thread`` is off, the caller serialises."""
    connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    connection.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
    return connection


def warm(path: Path) -> threading.Thread:
    """Ask the kernel, from a background thread, to read the generation into the page
    cache: a server started on a store not read since (a restart, a reboot) would
    otherwise wait on the disk for each person's first pages, in its event loop."""

    def read_ahead() -> None:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return  # a publish removed it meanwhile: the next generation is warmed instead
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
        finally:
            os.close(fd)

    thread = threading.Thread(target=read_ahead, name="serving-warm", daemon=True)
    thread.start()
    return thread


def read_meta(connection: sqlite3.Connection) -> dict[str, str]:
    return {str(k): str(v) for k, v in connection.execute("SELECT key, value FROM meta")}


def persons_holding(
    state_dir: Path, identifiers: Iterable[tuple[str, str]], keys: Keyring | None
) -> set[int]:
    """The persons of the live store the identifiers (``(type, value)``) lead to: the
    streaming worker's persons too, which no run has seen yet."""
    live = ServingPaths.of(state_dir).live()
    if live is None:
        return set()
    codec = Codec.for_project(state_dir, keys)
    connection = connect(live)
    try:
        found = set()
        for kind, value in identifiers:
            row = connection.execute(
                "SELECT person_id FROM lookup WHERE key = ?", (codec.lookup_key(kind, value),)
            ).fetchone()
            if row:
                found.add(int(row[0]))
        return found
    finally:
        connection.close()


def erase_persons(state_dir: Path, person_ids: Iterable[int], dry_run: bool = False) -> int:
    """Delete the persons from the serving store, overwriting the freed bytes
    (``secure_delete``) and emptying the WAL, and remove any generation an interrupted
    publish left behind; returns how many rows went (``dry_run``: would go)."""
    ids = sorted({int(i) for i in person_ids})
    paths = ServingPaths.of(state_dir)
    live = paths.live()
    if not dry_run:
        for path in paths.generations():
            if path != live:
                remove_generation(path)
    if not ids or live is None:
        return 0
    marks = ", ".join("?" * len(ids))
    removed = 0
    connection = connect(live)
    try:
        connection.execute("PRAGMA secure_delete = ON")
        connection.execute("BEGIN IMMEDIATE")
        present = _tables(connection)  # a store published before search has no tokens
        for table, columns in PERSON_TABLES.items():
            if table not in present:
                continue
            where = " OR ".join(f"{c} IN ({marks})" for c in columns)
            params = ids * len(columns)
            if dry_run:
                row = connection.execute(f"SELECT count(*) FROM {table} WHERE {where}", params)
                removed += int(row.fetchone()[0])
            else:
                cursor = connection.execute(f"DELETE FROM {table} WHERE {where}", params)
                removed += max(cursor.rowcount, 0)
        if not dry_run:  # a word only erased persons held (a rare surname) goes too
            _drop_orphan_words(connection)
        connection.execute("ROLLBACK" if dry_run else "COMMIT")
        if not dry_run:
            _checkpoint(connection, live)
    finally:
        connection.close()
    return removed


def _tables(connection: sqlite3.Connection) -> set[str]:
    return {str(r[0]) for r in connection.execute("SELECT name FROM sqlite_master")}


def _drop_orphan_words(connection: sqlite3.Connection) -> None:
    if "search_vocabulary" in _tables(connection):
        connection.execute(
            "DELETE FROM search_vocabulary WHERE NOT EXISTS (SELECT 1 FROM search_tokens s "
            "WHERE s.token = search_vocabulary.token)"
        )


def _checkpoint(connection: sqlite3.Connection, path: Path) -> None:
    """Copy the WAL into the database file and empty it: until then the file's old pages
    still hold the deleted rows. A reader mid-query can hold it back (each try waits up
    to the busy timeout); an erasure is not done until it went through."""
    for _ in range(CHECKPOINT_TRIES):
        busy = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        if not busy:
            return
    raise ServingError(
        f"{path}: the person's rows are deleted (the Profile API answers 404) but readers "
        "kept SQLite from rewriting the file's old pages; run 'personae serving publish' "
        "to replace the file"
    )


def describe(state_dir: Path) -> str:
    """One line: when the store was last published and what it holds (``personae
    serving status``, ``personae status``)."""
    live = ServingPaths.of(state_dir).live()
    if live is None:
        return "Serving store: not published yet (personae run publishes it)"
    connection = connect(live)
    try:
        meta = read_meta(connection)
    finally:
        connection.close()
    days = meta.get("events_days") or ""
    kept = f"last {meta.get('events_per_person')} events per person" + (
        f" within {days} days" if days else ""
    )
    sealed = ", encrypted" if meta.get("encrypted") == "1" else ""
    size = sum(p.stat().st_size for p in companions(live) if p.exists()) / 1e6
    return (
        f"Serving store: published {meta.get('published_at')}, {int(meta.get('persons', 0)):,} "
        f"persons, {kept}, {size:,.1f} MB{sealed}"
    )
