"""Write keys: created per event source, stored only as a salted hash.

A key reads ``<key id>_<secret>``; ``.personae/collect/keys.json`` keeps, per key id,
the source, a random salt and ``sha256(salt + key)``. The server re-reads the file
when it changes, so a key created or revoked while it runs takes effect at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from personae.collect.errors import CollectError
from personae.errors import NotFoundError


@dataclass(frozen=True)
class WriteKey:
    key_id: str
    source: str
    created_at: str


def _digest(salt: str, key: str) -> str:
    return hashlib.sha256((salt + key).encode()).hexdigest()


class KeyStore:
    """The project's write keys."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, dict[str, Any]] = {}
        self._verified: dict[str, WriteKey] = {}
        self._mtime: float | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._reload()

    # --- file

    def _reload(self) -> None:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            self._entries, self._verified, self._mtime = {}, {}, None
            return
        if mtime == self._mtime:
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CollectError(f"{self.path}: cannot read the write keys: {exc}") from exc
        self._entries = {entry["key_id"]: entry for entry in data.get("keys", [])}
        self._verified = {}
        self._mtime = mtime

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        body = json.dumps({"keys": list(self._entries.values())}, indent=2)
        temporary.write_text(body + "\n", encoding="utf-8")
        os.chmod(temporary, 0o600)
        os.replace(temporary, self.path)
        self._mtime = None
        self._reload()

    # --- commands

    def create(self, source: str) -> tuple[WriteKey, str]:
        """A new key for ``source``: returns its description and the secret, shown once."""
        with self._lock:
            self._reload()
            key_id = secrets.token_hex(4)
            while key_id in self._entries:
                key_id = secrets.token_hex(4)
            key = f"{key_id}_{secrets.token_urlsafe(24)}"
            salt = secrets.token_hex(16)
            created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            self._entries[key_id] = {
                "key_id": key_id,
                "source": source,
                "salt": salt,
                "hash": _digest(salt, key),
                "created_at": created,
            }
            self._save()
            return WriteKey(key_id, source, created), key

    def list(self) -> list[WriteKey]:
        with self._lock:
            self._reload()
            return [
                WriteKey(e["key_id"], e["source"], e["created_at"]) for e in self._entries.values()
            ]

    def revoke(self, key_id: str) -> WriteKey:
        with self._lock:
            self._reload()
            entry = self._entries.pop(key_id, None)
            if entry is None:
                known = ", ".join(sorted(self._entries)) or "none"
                raise NotFoundError(f"no write key {key_id!r} (keys: {known})")
            self._save()
            return WriteKey(entry["key_id"], entry["source"], entry["created_at"])

    # --- the server

    def verify(self, key: str | None) -> WriteKey | None:
        """The key's description, or None for an unknown or revoked key."""
        if not key:
            return None
        now = time.monotonic()
        if now - self._checked > 1.0:
            with self._lock:
                self._reload()
            self._checked = now
        known = self._verified.get(key)
        if known is not None:
            return known
        entry = self._entries.get(key.partition("_")[0])
        if entry is None or not hmac.compare_digest(entry["hash"], _digest(entry["salt"], key)):
            return None
        found = WriteKey(entry["key_id"], entry["source"], entry["created_at"])
        self._verified[key] = found
        return found
