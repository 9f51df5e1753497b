"""The suppression list: identifiers of erased persons, stored only as keyed hashes.

``.personae/suppression.txt`` holds one ``<kind>:<hmac>`` per line (0600), appended by
``personae privacy erase``. Ingest drops the raw rows, and ``personae serve`` the events,
that carry any of them, so re-importing an unchanged export or replaying an SDK's retry
does not bring an erased person back. A phone is stored twice: its E.164 form and its
last digits (``phone_tail``), so a check parses only the phones whose tail matches.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from personae.protect.hashing import keyed_hash, load_key, normalise, phone_tail

LIST_FILE = "suppression.txt"
PHONE = "phone"
PHONE_TAIL = "phone_tail"


@dataclass
class Suppression:
    """A loaded suppression list; ``bool(suppression)`` is false when it is empty."""

    key: bytes
    hashes: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def load(cls, state_dir: Path) -> Suppression:
        path = state_dir / LIST_FILE
        if not path.exists():
            return cls(b"")  # no list: nothing to check, and no secret needed yet
        lines = path.read_text(encoding="ascii").split()
        return cls(load_key(state_dir), frozenset(lines))

    def __bool__(self) -> bool:
        return bool(self.hashes)

    def __len__(self) -> int:
        return len(self.hashes)

    def _has(self, kind: str, value: str) -> bool:
        return f"{kind}:{keyed_hash(self.key, kind, value)}" in self.hashes

    def matches(self, kind: str, raw: str | None, region: str | None = None) -> bool:
        """Whether a raw value of this kind (``email``, ``phone``, ``user_id``…) is
        suppressed, after the light normalisation of :mod:`personae.protect.hashing`."""
        if not self.hashes or raw is None:
            return False
        if kind == PHONE:
            tail = phone_tail(raw)
            if tail is None or not self._has(PHONE_TAIL, tail):
                return False
        value = normalise(kind, raw, region)
        return value is not None and self._has(kind, value)

    def any_match(self, values: Iterable[tuple[str, str | None]]) -> bool:
        return any(self.matches(kind, raw) for kind, raw in values)

    def matching(self, kind: str, raws: Iterable[str], region: str | None = None) -> list[str]:
        """The raw values among ``raws`` that are suppressed."""
        return [raw for raw in raws if self.matches(kind, raw, region)]


def message_identifiers(row: dict[str, Any]) -> list[tuple[str, str | None]]:
    """The identifiers of a collected message (its stored row): user and anonymous ids,
    and the e-mail and phone of its traits (top level or ``context.traits``)."""
    found: list[tuple[str, str | None]] = [
        ("user_id", row.get("user_id")),
        ("anonymous_id", row.get("anonymous_id")),
        ("anonymous_id", row.get("previous_id")),
    ]
    try:
        payload = orjson.loads(row.get("payload") or "{}")
    except orjson.JSONDecodeError:
        return found
    if not isinstance(payload, dict):
        return found
    context = payload.get("context")
    for traits in (
        payload.get("traits"),
        context.get("traits") if isinstance(context, dict) else None,
    ):
        if isinstance(traits, dict):
            for kind in ("email", "phone"):
                value = traits.get(kind)
                if isinstance(value, str):
                    found.append((kind, value))
    return found


def entries(key: bytes, identifiers: Iterable[tuple[str, str]]) -> set[str]:
    """The lines a list stores for (kind, normalised value) pairs."""
    found: set[str] = set()
    for kind, value in identifiers:
        normal = normalise(kind, value)
        if normal is None:
            continue
        found.add(f"{kind}:{keyed_hash(key, kind, normal)}")
        if kind == PHONE and (tail := phone_tail(normal)) is not None:
            found.add(f"{PHONE_TAIL}:{keyed_hash(key, PHONE_TAIL, tail)}")
    return found


def suppress(state_dir: Path, identifiers: Iterable[tuple[str, str]]) -> int:
    """Add (kind, value) pairs to the project's list; returns how many hashes were new."""
    key = load_key(state_dir)
    path = state_dir / LIST_FILE
    known = set(path.read_text(encoding="ascii").split()) if path.exists() else set()
    new = sorted(entries(key, identifiers) - known)
    if new:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, "".join(f"{line}\n" for line in new).encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
    return len(new)


class SuppressionWatch:
    """The list as a long-running process sees it: reloaded when the file changes."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self._path = str(state_dir / LIST_FILE)  # stat'd on every collected request
        self._stamp: tuple[int, int] | None = None
        self._current = Suppression(b"")

    def current(self) -> Suppression:
        try:
            stat = os.stat(self._path)
        except FileNotFoundError:
            return self._current
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            self._current = Suppression.load(self.state_dir)
            self._stamp = stamp
        return self._current
