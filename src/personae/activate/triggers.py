"""The trigger queue: what the streaming worker saw change, for activation to act on at
once (``.personae/triggers/queue.sqlite``).

A trigger is a person entering or leaving a segment, or doing an event: ``entered``,
``left`` or ``event``, with the person's id, the segment or event name, when, and a small
payload (the event's properties). The worker appends the triggers of a micro-batch in one
transaction, before it commits the micro-batch to the serving store; each trigger has a
key made of what caused it (the message id), so the triggers of a micro-batch replayed
after a crash are not appended twice.

Consumers read in order from their own position (``consumer`` rows), and move it with
:meth:`TriggerQueue.ack` once they acted: each consumer sees every trigger at least once,
and exactly once when it acts and acks in one go. Triggers older than
:data:`KEEP_DAYS` are dropped. The file is in WAL mode: the worker appends while any
number of consumers read.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson

from personae.protect.files import private_dir

FOLDER = "triggers"
FILE = "queue.sqlite"
#: how long triggers are kept (days)
KEEP_DAYS = 7
BUSY_MS = 5000
KINDS = ("entered", "left", "event")

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS triggers (position INTEGER PRIMARY KEY AUTOINCREMENT, "
    "key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, person_id INTEGER NOT NULL, "
    "name TEXT NOT NULL, at TEXT NOT NULL, data TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS triggers_person ON triggers (person_id)",
    "CREATE TABLE IF NOT EXISTS consumers (name TEXT PRIMARY KEY, position INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS marks (producer TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


@dataclass(frozen=True)
class Trigger:
    kind: Literal["entered", "left", "event"]
    person_id: int
    #: the segment (entered, left) or the event's name
    name: str
    #: when it happened, ISO 8601 UTC
    at: str
    #: what caused it, unique per trigger (a message id, with the segment)
    key: str
    data: dict[str, Any] = field(default_factory=dict)
    #: its place in the queue (0 before it is appended)
    position: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "kind": self.kind,
            "person_id": self.person_id,
            "name": self.name,
            "at": self.at,
            "data": self.data,
        }


def queue_path(state_dir: Path) -> Path:
    return Path(state_dir) / FOLDER / FILE


class TriggerQueue:
    """The project's trigger queue (created on first use)."""

    def __init__(self, state_dir: Path) -> None:
        path = queue_path(state_dir)
        private_dir(path.parent)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")
        for statement in _SCHEMA:
            self.db.execute(statement)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> TriggerQueue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing

    def append(
        self, triggers: Iterable[Trigger], producer: str | None = None, mark: Any = None
    ) -> int:
        """Append in one transaction; a trigger whose key is already queued is skipped.
        ``producer`` and ``mark`` (JSON) record, in the same transaction, how far the
        producer got (:meth:`mark`). Returns how many were appended."""
        rows = [
            (t.key, t.kind, t.person_id, t.name, t.at, orjson.dumps(t.data).decode())
            for t in triggers
        ]
        if not rows and producer is None:
            return 0
        before = self.db.total_changes
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany(
                "INSERT OR IGNORE INTO triggers (key, kind, person_id, name, at, data) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            appended = self.db.total_changes - before
            if producer is not None:
                self.db.execute(
                    "INSERT OR REPLACE INTO marks VALUES (?, ?)",
                    (producer, orjson.dumps(mark).decode()),
                )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return appended

    def mark(self, producer: str) -> Any:
        """What ``producer`` last recorded with its append (None: nothing)."""
        row = self.db.execute("SELECT value FROM marks WHERE producer = ?", (producer,))
        found = row.fetchone()
        return orjson.loads(found[0]) if found else None

    def prune(self, now: dt.datetime) -> int:
        """Drop the triggers older than :data:`KEEP_DAYS`."""
        cutoff = (now - dt.timedelta(days=KEEP_DAYS)).strftime("%Y-%m-%dT%H:%M:%S")
        return self.db.execute("DELETE FROM triggers WHERE at < ?", (cutoff,)).rowcount

    def erase(self, person_ids: Iterable[int], dry_run: bool = False) -> int:
        """Delete the persons' triggers (an erasure); returns how many (would) go."""
        ids = sorted({int(p) for p in person_ids})
        if not ids:
            return 0
        marks = ", ".join("?" * len(ids))
        if dry_run:
            found = self.db.execute(
                f"SELECT count(*) FROM triggers WHERE person_id IN ({marks})", ids
            ).fetchone()
            return int(found[0])
        self.db.execute("PRAGMA secure_delete = ON")
        removed = self.db.execute(f"DELETE FROM triggers WHERE person_id IN ({marks})", ids)
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return max(removed.rowcount, 0)

    # --- reading

    def position(self, consumer: str) -> int:
        row = self.db.execute("SELECT position FROM consumers WHERE name = ?", (consumer,))
        found = row.fetchone()
        return int(found[0]) if found else 0

    def read(self, after: int, limit: int = 1000) -> list[Trigger]:
        """The triggers after position ``after``, oldest first."""
        rows = self.db.execute(
            "SELECT position, kind, person_id, name, at, key, data FROM triggers "
            "WHERE position > ? ORDER BY position LIMIT ?",
            (after, limit),
        )
        return [
            Trigger(kind, int(person), name, at, key, orjson.loads(data), int(position))
            for position, kind, person, name, at, key, data in rows
        ]

    def pending(self, consumer: str, limit: int = 1000) -> list[Trigger]:
        """What ``consumer`` has not acknowledged yet, oldest first."""
        return self.read(self.position(consumer), limit)

    def ack(self, consumer: str, position: int) -> None:
        """``consumer`` acted on every trigger up to ``position``."""
        self.db.execute(
            "INSERT INTO consumers VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET "
            "position = max(position, excluded.position)",
            (consumer, position),
        )

    def events(self) -> list[Trigger]:
        """Every ``event`` trigger kept, oldest first."""
        return self._kinds("'event'")

    def segment_changes(self) -> list[Trigger]:
        """Every ``entered`` and ``left`` trigger kept, oldest first."""
        return self._kinds("'entered', 'left'")

    def _kinds(self, kinds: str) -> list[Trigger]:
        rows = self.db.execute(
            "SELECT position, kind, person_id, name, at, key, data FROM triggers "
            f"WHERE kind IN ({kinds}) ORDER BY position"
        )
        return [
            Trigger(kind, int(person), name, at, key, orjson.loads(data), int(position))
            for position, kind, person, name, at, key, data in rows
        ]

    def last_position(self) -> int:
        found = self.db.execute("SELECT max(position) FROM triggers").fetchone()
        return int(found[0] or 0)

    def follow(self, after: int, stop: Any, interval: float = 0.05) -> Iterator[list[Trigger]]:
        """Batches of triggers after ``after`` as they are appended, until ``stop`` (a
        ``threading.Event``) is set."""
        while not stop.is_set():
            batch = self.read(after)
            if batch:
                after = batch[-1].position
                yield batch
            else:
                stop.wait(interval)
