"""What ``personae tail`` says about each collected message: the person its ids resolve
to in the serving store now, that person's segments, and the person filter.

A message's ids are its ``userId``, ``anonymousId`` and the e-mail of its traits
(``traits.email`` or ``context.traits.email``), tried in that order, each only when the
published store knows that id type. The first one the store's ``lookup`` knows names the
person; none does: the message is ``new`` (its person appears at the next run). Answers
are cached until a publish swaps in a new generation.

``--person`` resolves its external id once through the store, then matches a message
whose ids resolve to that person or that carries the id itself; the ids of a matched
message (an identify that links a new ``anonymousId`` to the ``userId``) are learned, so
the visitor's next messages match too, before any run has stitched them.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from personae.collect.tail import Row
from personae.protect.encryption import Keyring
from personae.serving.profiles import (
    PERSON_ID,
    BadExternalId,
    ExternalId,
    ProfileStore,
    parse_external_id,
)
from personae.serving.store import ServingError

#: characters of properties or traits shown on a line
PROPERTIES_WIDTH = 100
#: how often the store is checked for a new publish (seconds)
REFRESH_SECONDS = 0.5
#: id types a message carries directly (its columns), as the store names them
COLUMN_IDS = ("user_id", "anonymous_id")


def message_ids(row: Row, payload: dict[str, Any]) -> list[ExternalId]:
    """The external ids of a message, strongest first."""
    found = [ExternalId(kind, str(row[kind])) for kind in COLUMN_IDS if row.get(kind)]
    for traits in (payload.get("traits"), (payload.get("context") or {}).get("traits")):
        if isinstance(traits, dict) and isinstance(traits.get("email"), str):
            found.append(ExternalId("email", traits["email"]))
            break
    return found


def payload_of(row: Row) -> dict[str, Any]:
    text = row.get("payload")
    if not text:
        return {}
    parsed = orjson.loads(text)
    return parsed if isinstance(parsed, dict) else {}


@dataclass
class Resolution:
    person_id: int | None
    #: the id that resolved it (``user_id:u-1``), or None
    via: str | None = None
    segments: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "via": self.via, "segments": self.segments}


class Resolver:
    """Messages' ids to persons through the project's published serving store; without
    one, every message is unresolved (``available`` says so)."""

    def __init__(self, state_dir: Path, keys: Keyring | None) -> None:
        self.store = ProfileStore(state_dir, keys)
        self._cache: dict[tuple[str, str], int | None] = {}
        self._segments: dict[int, list[str]] = {}
        self._db: sqlite3.Connection | None = None
        self._checked = 0.0
        #: why the store cannot be read (not published, sealed with another key …)
        self.problem = ""
        self.available = self._refresh()

    def _refresh(self) -> bool:
        """Follow a publish (one ``stat``, at most every :data:`REFRESH_SECONDS`);
        False while no store can be read."""
        now = time.monotonic()
        if self._db is not None and now - self._checked < REFRESH_SECONDS:
            return True
        self._checked = now
        try:
            db = self.store.refresh()
        except ServingError as exc:
            self.problem = str(exc)
            self._db = None
            return False
        self.problem = ""
        if db is not self._db:
            self._db = db
            self._cache.clear()
            self._segments.clear()
        return True

    def id_types(self) -> list[str]:
        return self.store.id_types if self.available else list(COLUMN_IDS)

    def person_of(self, external: ExternalId) -> int | None:
        if not self.available:
            return None
        key = (external.kind, external.value)
        if key not in self._cache:
            found = self.store.resolve(external)
            self._cache[key] = found.person_id if found else None
        return self._cache[key]

    def resolve(self, row: Row, payload: dict[str, Any] | None = None) -> Resolution:
        if payload is None:
            payload = payload_of(row)
        self.available = self._refresh()
        if not self.available:
            return Resolution(None)
        known = set(self.store.id_types)
        for external in message_ids(row, payload):
            if external.kind not in known:
                continue
            person = self.person_of(external)
            if person is not None:
                return Resolution(
                    person, f"{external.kind}:{external.value}", self.segments(person)
                )
        return Resolution(None)

    def segments(self, person: int) -> list[str]:
        if person not in self._segments:
            self._segments[person] = [s["segment"] for s in self.store.segments(person)]
        return self._segments[person]

    def close(self) -> None:
        self.store.close()


class PersonFilter:
    """``--person``: messages of one person (see the module's docstring)."""

    def __init__(self, text: str, resolver: Resolver) -> None:
        self.resolver = resolver
        kinds = [*dict.fromkeys([*resolver.id_types(), *COLUMN_IDS, "email"])]
        try:
            asked = parse_external_id(text.strip(), kinds)
        except BadExternalId as exc:
            raise BadExternalId(f"--person: {exc}") from None
        self.person_id: int | None = None
        if asked.kind == PERSON_ID:
            self.person_id = resolver.person_of(asked) if resolver.available else None
            if self.person_id is None and not resolver.available:
                raise ServingError(
                    f"--person {text}: a person id needs the serving store, and none is "
                    "published: run 'personae run' (or name an external id: user_id:…)"
                )
            if self.person_id is None:
                raise ServingError(
                    f"--person {text}: no such person in the serving store; "
                    "look the person up with 'personae identity' or name an external id"
                )
        else:
            self.person_id = resolver.person_of(asked)
        #: what to tell the user about the filter (None: nothing to say)
        self.note: str | None = None
        if self.person_id is None and resolver.available:
            self.note = (
                f"--person {text}: no person has this id in the serving store yet; "
                "showing the messages carrying it (and the ids they link to it)"
            )
        #: ids seen on this person's messages (and the one asked for)
        self.ids: set[tuple[str, str]] = set()
        if asked.kind != PERSON_ID:
            self.ids.add((asked.kind, _plain(asked)))

    def __call__(self, row: Row) -> bool:
        payload = payload_of(row)
        ids = message_ids(row, payload)
        direct = any((x.kind, _plain(x)) in self.ids for x in ids)
        if not direct and self.person_id is not None:
            direct = self.resolver.resolve(row, payload).person_id == self.person_id
        if direct:
            self.ids.update((x.kind, _plain(x)) for x in ids)
        return direct


def _plain(external: ExternalId) -> str:
    """An id as compared locally: e-mails ignore case."""
    return external.value.strip().lower() if external.kind == "email" else external.value


# --- rendering


def _time(us: int | None) -> str:
    if us is None:
        return "-"
    at = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=int(us))
    return at.isoformat(sep=" ", timespec="milliseconds")


def _iso(us: int | None) -> str | None:
    if us is None:
        return None
    at = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=int(us))
    return at.isoformat(timespec="milliseconds") + "Z"


def short(value: Any, width: int = PROPERTIES_WIDTH) -> str:
    """Compact JSON cut to ``width`` characters (ending in ``…`` when cut)."""
    text = orjson.dumps(value).decode()
    return text if len(text) <= width else text[: width - 1] + "…"


def details(row: Row, payload: dict[str, Any]) -> Any:
    """What a message says: properties, traits, or the alias's previous id."""
    kind = row.get("type")
    if kind in ("identify", "group"):
        return payload.get("traits")
    if kind == "alias":
        return {"previousId": row.get("previous_id")} if row.get("previous_id") else None
    return payload.get("properties")


def effect(resolution: Resolution) -> str:
    if resolution.person_id is None:
        return "→ new"
    segments = f" [{', '.join(resolution.segments)}]" if resolution.segments else ""
    return f"→ person {resolution.person_id}{segments}"


def line(row: Row, resolution: Resolution) -> str:
    """One message on one line: time (UTC, received), source, type and event, ids,
    the person, and its properties or traits cut short."""
    payload = payload_of(row)
    kind = str(row.get("type") or "?")
    what = f"{kind} {row['event']!r}" if row.get("event") else kind
    if kind in ("page", "screen") and payload.get("name"):
        what = f"{kind} {payload['name']!r}"
    ids = " ".join(
        f"{name}={row[name]}" for name in ("user_id", "anonymous_id", "group_id") if row.get(name)
    )
    parts = [_time(row.get("received_at")), str(row.get("source") or "-"), what, ids]
    parts.append(effect(resolution))
    said = details(row, payload)
    if said:
        parts.append(short(said))
    return "  ".join(p for p in parts if p)


def as_json(row: Row, resolution: Resolution) -> str:
    """The message as collected, plus ``personae``: where and when it was collected and
    the person it resolves to now."""
    message = payload_of(row)
    message["personae"] = {
        "message_id": row.get("message_id"),
        "source": row.get("source"),
        "collector_id": row.get("collector_id"),
        "received_at": _iso(row.get("received_at")),
        "timestamp": _iso(row.get("timestamp")),
        "violations": orjson.loads(row["violations"]) if row.get("violations") else None,
        **resolution.as_json(),
    }
    return orjson.dumps(message).decode()
