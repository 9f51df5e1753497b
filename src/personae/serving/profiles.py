"""Reading the serving store: external ids resolved to persons, and each person's parts.

An external id is ``type:value`` (``user_id:u-12``, ``email:Jane@X.com``,
``anonymous_id:…``, ``phone:06 12 34 56 78``, any identity field of the project) or a
person id (``person_id:12`` or ``12``). The value is normalised as the clean stage
normalises it (e-mails lower-cased, phones to E.164 in ``defaults.phone_region``) before
it is looked up. A retired person id (merged into another) resolves to the person it was
merged into.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from personae.clean.normalize import email, phone
from personae.errors import PersonaeError
from personae.protect.encryption import Keyring
from personae.serving.store import Codec, ServingError, ServingPaths, read_meta, warm

PERSON_ID = "person_id"


def iso(text: str | None) -> str | None:
    """``2026-03-01 10:00:00[.ffffff]`` (as published) -> ``2026-03-01T10:00:00.000Z``."""
    if not text:
        return text
    day, _, time = text.partition(" ")
    whole, _, fraction = time.partition(".")
    return f"{day}T{whole}.{(fraction + '000')[:3]}Z"


def event_position(stored: dict[str, Any]) -> list[str]:
    """What orders a stored event: its time as stored, its source and record id."""
    return [stored["t"], stored["s"], stored["m"]]


def event(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored event in Segment's shape."""
    return {
        "event": stored["e"],
        "type": "track",
        "timestamp": iso(stored["t"]),
        "properties": orjson.loads(stored["p"]) if stored.get("p") else {},
        "source_id": stored["s"],
        "message_id": stored["m"],
    }


class BadExternalId(PersonaeError):
    """A path's external id is not ``type:value`` of a known type."""


@dataclass(frozen=True)
class ExternalId:
    kind: str
    value: str


@dataclass(frozen=True)
class Resolved:
    """The person an external id names; ``asked`` is the retired id it came through."""

    person_id: int
    asked: int | None = None


def parse_external_id(text: str, kinds: list[str]) -> ExternalId:
    if text.isdigit():
        return ExternalId(PERSON_ID, text)
    kind, sep, value = text.partition(":")
    known = [*kinds, PERSON_ID]
    if not sep or not value.strip():
        raise BadExternalId(
            f"{text!r} is not an external id: write type:value, e.g. user_id:u-12 or "
            f"email:jane@example.com (types: {', '.join(known)})"
        )
    if kind not in known:
        raise BadExternalId(f"unknown id type {kind!r} in {text!r}; use one of {', '.join(known)}")
    return ExternalId(kind, value)


def normalised(external: ExternalId, region: str | None) -> str | None:
    """The value as the clean stage would have stored it; None when it cannot be one."""
    value = external.value
    if external.kind == PERSON_ID:
        return value.strip() if value.strip().isdigit() else None
    if external.kind == "email":
        return email(value)
    if external.kind == "phone":
        return phone(value, region, well_formed=True)
    return value.strip() or None


class ProfileStore:
    """The live generation of a project's serving store, reopened when a publish swaps
    in a new one. Not thread-safe: one per thread (the API uses it from its event loop)."""

    def __init__(
        self, state_dir: Path, keys: Keyring | None, generation: Path | None = None
    ) -> None:
        """``generation``: read that store file, not the one ``CURRENT`` names (a copy, a
        benchmark); ``state_dir`` still gives the hashing key under encryption."""
        self.state_dir = Path(state_dir)
        self.paths = ServingPaths.of(self.state_dir)
        self.generation = None if generation is None else Path(generation)
        self._current = str(self.paths.current if generation is None else generation)
        self.keys = keys
        self.meta: dict[str, str] = {}
        self.codec = Codec()
        self.trait_names: list[str] = []
        self._id_types: list[str] = []
        self._db: sqlite3.Connection | None = None
        self._stamp: tuple[int, int] | None = None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
            self._stamp = None

    def db(self) -> sqlite3.Connection:
        """The connection :meth:`refresh` last opened (opened now if none)."""
        return self._db if self._db is not None else self.refresh()

    def refresh(self) -> sqlite3.Connection:
        """The live generation's connection, reopened when ``CURRENT`` changed (one
        ``stat``): the API calls it once per request."""
        try:
            status = os.stat(self._current)
        except FileNotFoundError:
            raise ServingError(
                "no profiles are published yet: run 'personae run' (or 'personae serving "
                "publish' after a run)"
            ) from None
        stamp = (status.st_ino, status.st_mtime_ns)
        if self._db is not None and stamp == self._stamp:
            return self._db
        for _ in range(3):  # a publish may remove the generation just named: read again
            path = self.paths.live() if self.generation is None else self.generation
            if path is None:
                continue
            try:
                db = sqlite3.connect(
                    f"file:{path}?mode=rw", uri=True, check_same_thread=False, isolation_level=None
                )
                db.execute("PRAGMA query_only = 1")
                meta = read_meta(db)
            except sqlite3.OperationalError:
                continue
            self._adopt(db, meta, stamp)
            warm(path)
            return db
        raise ServingError(f"{self.paths.current}: names no readable serving store; publish again")

    def _adopt(self, db: sqlite3.Connection, meta: dict[str, str], stamp: tuple[int, int]) -> None:
        if meta.get("encrypted") == "1":
            if self.keys is None:
                raise ServingError(
                    "the serving store is encrypted: set protect.encryption: true and give the key"
                )
            if meta.get("key_id") != self.keys.key_id:
                raise ServingError(
                    f"the serving store was sealed with key {meta.get('key_id')}, not the "
                    f"current key {self.keys.key_id}: run 'personae serving publish'"
                )
            codec = Codec.for_project(self.state_dir, self.keys)
        elif self.keys is not None:
            raise ServingError(
                "protect.encryption is on but the serving store is not encrypted: run "
                "'personae serving publish' to rewrite it sealed"
            )
        else:
            codec = Codec()
        old, self._db, self._stamp, self.meta, self.codec = self._db, db, stamp, meta, codec
        self.trait_names = [str(n) for n in orjson.loads(meta.get("trait_names", "[]"))]
        self._id_types = [t for t in meta.get("id_types", "").split(",") if t]
        if old is not None:
            old.close()

    @property
    def id_types(self) -> list[str]:
        self.db()
        return self._id_types

    # --- resolving

    def resolve(self, external: ExternalId) -> Resolved | None:
        db = self.db()
        value = normalised(external, self.meta.get("phone_region"))
        if value is None:
            return None
        if external.kind == PERSON_ID:
            person = int(value)
            if db.execute("SELECT 1 FROM traits WHERE person_id = ?", (person,)).fetchone():
                return Resolved(person)
            row = db.execute("SELECT merged_into FROM links WHERE person_id = ?", (person,))
            found = row.fetchone()
            return Resolved(int(found[0]), asked=person) if found else None
        key = self.codec.lookup_key(external.kind, value)
        row = db.execute("SELECT person_id FROM lookup WHERE key = ?", (key,)).fetchone()
        return Resolved(int(row[0])) if row else None

    # --- a person's parts

    def _document(self, table: str, person: int) -> Any:
        row = (
            self.db().execute(f"SELECT data FROM {table} WHERE person_id = ?", (person,)).fetchone()
        )
        if row is None:
            return None
        return orjson.loads(self.codec.open(row[0], f"serving store {table} of {person}"))

    def traits(self, person: int) -> dict[str, Any]:
        """Trait name -> value; a trait without a value is null, or absent from a store
        a Spark engine published (its ``to_json`` leaves nulls out)."""
        found = self._document("traits", person) or {}
        names = self.trait_names
        return {names[int(i)]: value for i, value in found.items()}

    def external_ids(self, person: int) -> list[dict[str, Any]]:
        """``{type, id, source_id, created_at}`` per external id."""
        return [
            {"type": x["t"], "id": x["i"], "source_id": x["s"], "created_at": iso(x.get("c"))}
            for x in self._document("external_ids", person) or []
        ]

    def events(self, person: int) -> list[dict[str, Any]]:
        """The person's kept events as stored, newest first (:func:`event` shapes one)."""
        return list(reversed(self._document("events", person) or []))

    def segments(self, person: int) -> list[dict[str, Any]]:
        rows = self.db().execute(
            "SELECT segment, since FROM segments WHERE person_id = ? ORDER BY segment", (person,)
        )
        return [{"segment": s, "since": iso(since)} for s, since in rows]

    def links(self, person: int) -> list[int]:
        """The retired person ids merged into ``person``."""
        rows = self.db().execute(
            "SELECT person_id FROM links WHERE merged_into = ? ORDER BY person_id", (person,)
        )
        return [int(r[0]) for r in rows]
