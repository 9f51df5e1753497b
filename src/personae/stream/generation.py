"""The live serving store generation as the streaming worker reads and updates it.

The worker keeps its own bookkeeping inside the generation it updates, so that a
micro-batch and the position after it commit in one SQLite transaction:

* ``stream_position``: per collector, the segment number and how many of its messages
  are applied;
* ``stream_meta``: the next provisional person id, and the triggers' position (where the
  trigger queue's last append ended, to replay a crash between the two commits without
  repeating triggers).

A new generation (a batch run published) starts with no stream tables: the worker
creates them, starting after the collected files that run loaded (``meta``'s
``collected_files``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from personae.serving.store import BUSY_MS, Codec, read_meta
from personae.stream.source import Positions

#: provisional person ids (a person the stream saw first) start here, far above the
#: batch's ids and within JavaScript's exact integers
PROVISIONAL_FROM = 8_000_000_000_000_000
#: SQLite's page cache (KiB) and memory map (bytes) for the worker's connection
CACHE_KIB = 262_144
MMAP_BYTES = 4 << 30
#: ids per ``IN (…)`` query (SQLite allows 32,766 parameters)
_CHUNK = 500

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS stream_position (collector TEXT PRIMARY KEY, seq INTEGER "
    "NOT NULL, rows INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS stream_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


@dataclass
class Person:
    """One person's documents, as loaded (and changed) in a micro-batch."""

    person_id: int
    #: the traits document as stored: each name's position in ``meta.trait_names`` (as
    #: text) -> its value (golden fields and traits); :meth:`Generation.key` names it
    traits: dict[str, Any] = field(default_factory=dict)
    external_ids: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    #: segment -> since
    segments: dict[str, str | None] = field(default_factory=dict)
    new: bool = False
    #: as loaded, to write back only what changed
    loaded_ids: int = -1
    loaded_segments: dict[str, str | None] | None = None
    _events_json: bytes | None = field(default=None, repr=False)
    _events_count: int = field(default=-1, repr=False)

    def events_json(self) -> bytes:
        """The events document as JSON, serialised once per micro-batch (the events do
        not change after the evaluation)."""
        if self._events_json is None or self._events_count != len(self.events):
            self._events_json = orjson.dumps(self.events)
            self._events_count = len(self.events)
        return self._events_json

    def has_event(self, source: str, record_id: str) -> bool:
        return any(e.get("m") == record_id and e.get("s") == source for e in self.events)


class Generation:
    """A read-write connection to one generation of the serving store."""

    def __init__(self, path: Path, codec: Codec) -> None:
        self.path = path
        self.codec = codec
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
        self.db.execute("PRAGMA synchronous = NORMAL")
        # the worker reads and rewrites thousands of persons a second: keep their pages
        self.db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        self.db.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        self.meta = read_meta(self.db)
        self.trait_names: list[str] = [str(n) for n in orjson.loads(self.meta["trait_names"])]
        self._index = {name: i for i, name in enumerate(self.trait_names)}
        self.fresh = not self.db.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'stream_position'"
        ).fetchone()

    def prepare(self) -> None:
        """Add the stream's tables (once per generation)."""
        for statement in _SCHEMA:
            self.db.execute(statement)

    def close(self) -> None:
        self.db.close()

    def knows(self, name: str) -> bool:
        """Is ``name`` in the traits documents (a trait declared since the publish is
        not, until the next one)?"""
        return name in self._index

    def key(self, name: str) -> str:
        """Where trait ``name`` sits in a traits document."""
        return str(self._index[name])

    # --- bookkeeping

    def positions(self) -> Positions:
        rows = self.db.execute("SELECT collector, seq, rows FROM stream_position")
        return {str(c): (int(s), int(r)) for c, s, r in rows}

    def stream_meta(self, key: str, default: str = "") -> str:
        row = self.db.execute("SELECT value FROM stream_meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else default

    def next_person_id(self) -> int:
        return int(self.stream_meta("next_person_id", str(PROVISIONAL_FROM)))

    # --- reading

    def person_of(self, kind: str, value: str) -> int | None:
        key = self.codec.lookup_key(kind, value)
        row = self.db.execute("SELECT person_id FROM lookup WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else None

    def persons_of(self, identifiers: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """The person of each identifier the store knows, in a few queries."""
        keys = {self.codec.lookup_key(k, v): (k, v) for k, v in identifiers}
        found: dict[tuple[str, str], int] = {}
        listed = list(keys)
        for start in range(0, len(listed), _CHUNK):
            chunk = listed[start : start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT key, person_id FROM lookup WHERE key IN ({marks})", chunk
            )
            found.update({keys[key]: int(person) for key, person in rows})
        return found

    def load_many(self, person_ids: list[int]) -> dict[int, Person]:
        """:meth:`load` for many persons, a chunk of them per query."""
        docs: dict[str, dict[int, Any]] = {"traits": {}, "external_ids": {}, "events": {}}
        segments: dict[int, dict[str, str | None]] = {}
        ids = sorted(set(person_ids))
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            for table, found in docs.items():
                rows = self.db.execute(
                    f"SELECT person_id, data FROM {table} WHERE person_id IN ({marks})", chunk
                )
                for person, data in rows:
                    found[int(person)] = orjson.loads(
                        self.codec.open(data, f"serving store {table} of {person}")
                    )
            rows = self.db.execute(
                f"SELECT person_id, segment, since FROM segments WHERE person_id IN ({marks})",
                chunk,
            )
            for person, segment, since in rows:
                segments.setdefault(int(person), {})[str(segment)] = since
        out: dict[int, Person] = {}
        for person_id, traits in docs["traits"].items():
            external_ids = docs["external_ids"].get(person_id) or []
            held = segments.get(person_id, {})
            out[person_id] = Person(
                person_id,
                traits,
                external_ids,
                docs["events"].get(person_id) or [],
                dict(held),
                loaded_ids=len(external_ids),
                loaded_segments=held,
            )
        return out

    def _document(self, table: str, person: int) -> Any:
        row = self.db.execute(f"SELECT data FROM {table} WHERE person_id = ?", (person,))
        found = row.fetchone()
        if found is None:
            return None
        return orjson.loads(self.codec.open(found[0], f"serving store {table} of {person}"))

    def load(self, person_id: int) -> Person | None:
        """The live person's documents, or None when the id is not a live person."""
        traits = self._document("traits", person_id)
        if traits is None:
            return None
        segments = self.db.execute(
            "SELECT segment, since FROM segments WHERE person_id = ?", (person_id,)
        )
        external_ids = self._document("external_ids", person_id) or []
        person = Person(
            person_id,
            traits,
            external_ids,
            self._document("events", person_id) or [],
            {str(s): since for s, since in segments},
        )
        person.loaded_ids = len(external_ids)
        person.loaded_segments = dict(person.segments)
        return person

    def survivor(self, person_id: int) -> int:
        row = self.db.execute("SELECT merged_into FROM links WHERE person_id = ?", (person_id,))
        found = row.fetchone()
        return int(found[0]) if found else person_id

    # --- writing (inside :meth:`commit`)

    def _put(self, table: str, person: int, document: Any) -> None:
        data = self.codec.seal(orjson.dumps(document))
        self.db.execute(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", (person, data))

    def commit(
        self,
        persons: list[Person],
        merged: dict[int, int],
        lookups: list[tuple[str, str, int]],
        positions: Positions,
        meta: dict[str, str],
    ) -> None:
        """Write the persons' documents, the merges (``loser -> survivor``), the new
        lookups ``(kind, value, person)`` and the new positions in one transaction."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            sealed = self.codec.seal
            db.executemany(
                "INSERT OR REPLACE INTO traits VALUES (?, ?)",
                [(p.person_id, sealed(orjson.dumps(p.traits))) for p in persons],
            )
            db.executemany(
                "INSERT OR REPLACE INTO events VALUES (?, ?)",
                [(p.person_id, sealed(p.events_json())) for p in persons],
            )
            db.executemany(
                "INSERT OR REPLACE INTO external_ids VALUES (?, ?)",
                [
                    (p.person_id, sealed(orjson.dumps(p.external_ids)))
                    for p in persons
                    if len(p.external_ids) != p.loaded_ids
                ],
            )
            for person in persons:
                if person.segments != person.loaded_segments:
                    db.execute("DELETE FROM segments WHERE person_id = ?", (person.person_id,))
                    db.executemany(
                        "INSERT INTO segments VALUES (?, ?, ?)",
                        [(person.person_id, s, t) for s, t in sorted(person.segments.items())],
                    )
            for loser, survivor in merged.items():
                for table in ("traits", "external_ids", "events", "segments"):
                    db.execute(f"DELETE FROM {table} WHERE person_id = ?", (loser,))
                db.execute(
                    "UPDATE links SET merged_into = ? WHERE merged_into = ?", (survivor, loser)
                )
                db.execute("INSERT OR REPLACE INTO links VALUES (?, ?)", (loser, survivor))
            db.executemany(
                "INSERT OR REPLACE INTO lookup VALUES (?, ?)",
                [(self.codec.lookup_key(k, v), p) for k, v, p in lookups],
            )
            db.executemany(
                "INSERT OR REPLACE INTO stream_position VALUES (?, ?, ?)",
                [(c, s, r) for c, (s, r) in positions.items()],
            )
            db.executemany("INSERT OR REPLACE INTO stream_meta VALUES (?, ?)", meta.items())
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
