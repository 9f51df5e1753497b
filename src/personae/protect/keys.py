"""API keys with a scope, stored only as salted hashes.

A key reads ``<key id>_<secret>``. Its scope says what it may do:

* ``write``: send events to the collection API, for its one source only;
* ``read``: read profiles (the profile API and the UI);
* ``admin``: privacy operations (access export, erasure).

``.personae/collect/keys.json`` (mode 0600) keeps, per key id, the scope, the source
(write keys), a random salt and ``sha256(salt + key)``. Entries written before scopes
existed are write keys. Rotating a key issues a successor with the same scope and source;
the old key keeps working for the grace period given, then stops. A server re-reads the
file when it changes, so a key created, rotated or revoked while it runs takes effect
within a second.

Other code authenticates a key for a scope with :func:`authenticate` (or
:meth:`KeyStore.authenticate` in a long-running server).
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
from typing import Any, Literal, get_args

from personae.errors import NotFoundError, PersonaeError
from personae.protect.audit import AuditLog

Scope = Literal["write", "read", "admin"]
SCOPES: tuple[str, ...] = get_args(Scope)
#: where the keys live under the project (``CollectPaths.keys``)
KEYS_FILE = Path(".personae") / "collect" / "keys.json"
_TIME = "%Y-%m-%dT%H:%M:%SZ"


def keys_file(project_root: Path) -> Path:
    return Path(project_root) / KEYS_FILE


@dataclass(frozen=True)
class Key:
    """A key's description (never its secret). ``source`` is empty for read and admin
    keys; ``expires_at`` is set on a rotated key during its grace period."""

    key_id: str
    source: str
    created_at: str
    scope: str = "write"
    expires_at: str | None = None
    replaced_by: str | None = None


class KeyRefused(PersonaeError):
    """A key may not do what was asked: ``status`` 401 (missing, unknown, revoked,
    expired) or 403 (another scope or source), with a stable ``code``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(message)


class KeyFileError(PersonaeError):
    """The keys file cannot be read or written."""


def _digest(salt: str, key: str) -> str:
    return hashlib.sha256((salt + key).encode("utf-8", "replace")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _key(entry: dict[str, Any]) -> Key:
    return Key(
        key_id=entry["key_id"],
        source=entry.get("source") or "",
        created_at=entry["created_at"],
        scope=entry.get("scope", "write"),
        expires_at=entry.get("expires_at"),
        replaced_by=entry.get("replaced_by"),
    )


def _expired(entry: dict[str, Any], now: dt.datetime) -> bool:
    expires = entry.get("expires_at")
    if not expires:
        return False
    return dt.datetime.strptime(expires, _TIME).replace(tzinfo=dt.UTC) <= now


class KeyStore:
    """The project's keys. ``audit`` (optional) records creations, rotations and
    revocations."""

    def __init__(self, path: Path, audit: AuditLog | None = None) -> None:
        self.path = path
        self.audit = audit
        self._entries: dict[str, dict[str, Any]] = {}
        self._verified: dict[str, Key] = {}
        self._mtime: int | None = None
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
            raise KeyFileError(f"{self.path}: cannot read the keys: {exc}") from exc
        self._entries = {entry["key_id"]: entry for entry in data.get("keys", [])}
        self._verified = {}
        self._mtime = mtime

    def _save(self) -> None:
        now = _now()
        live = {k: e for k, e in self._entries.items() if not _expired(e, now)}
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        body = json.dumps({"keys": list(live.values())}, indent=2) + "\n"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(body)
        os.replace(temporary, self.path)
        self._mtime = None
        self._reload()

    def _record(self, action: str, key: Key, **details: Any) -> None:
        if self.audit is not None:
            facts = {"key_id": key.key_id, "scope": key.scope, "source": key.source or None}
            self.audit.record(action, {**facts, **details})

    def _new_entry(self, scope: str, source: str) -> tuple[dict[str, Any], str]:
        key_id = secrets.token_hex(4)
        while key_id in self._entries:
            key_id = secrets.token_hex(4)
        secret = f"{key_id}_{secrets.token_urlsafe(24)}"
        salt = secrets.token_hex(16)
        entry: dict[str, Any] = {
            "key_id": key_id,
            "scope": scope,
            "source": source or None,
            "salt": salt,
            "hash": _digest(salt, secret),
            "created_at": _now().strftime(_TIME),
        }
        return entry, secret

    # --- commands

    def create(self, source: str | None = None, scope: str = "write") -> tuple[Key, str]:
        """A new key: a write key for ``source``, or a read or admin key (no source).
        Returns its description and the secret, shown once."""
        if scope not in SCOPES:
            raise PersonaeError(f"no key scope {scope!r}; use one of {', '.join(SCOPES)}")
        if scope == "write" and not source:
            raise PersonaeError("a write key belongs to one source: give the source's name")
        if scope != "write" and source:
            raise PersonaeError(f"a {scope} key belongs to no source; omit the source")
        with self._lock:
            self._reload()
            entry, secret = self._new_entry(scope, source or "")
            self._entries[entry["key_id"]] = entry
            self._save()
        key = _key(entry)
        self._record("keys.create", key)
        return key, secret

    def list(self) -> list[Key]:
        with self._lock:
            self._reload()
            now = _now()
            return [_key(e) for e in self._entries.values() if not _expired(e, now)]

    def _find(self, key_id: str) -> dict[str, Any]:
        entry = self._entries.get(key_id)
        if entry is None or _expired(entry, _now()):
            known = ", ".join(sorted(self._entries)) or "none"
            raise NotFoundError(f"no key {key_id!r} (keys: {known}); see personae keys list")
        return entry

    def revoke(self, key_id: str) -> Key:
        """Remove a key at once (a rotated key in its grace period included)."""
        with self._lock:
            self._reload()
            key = _key(self._find(key_id))
            del self._entries[key_id]
            self._save()
        self._record("keys.revoke", key)
        return key

    def rotate(self, key_id: str, grace: dt.timedelta | None = None) -> tuple[Key, str, Key]:
        """A successor of ``key_id`` (same scope and source) and its secret; the old key
        keeps working for ``grace`` (none: it stops at once). Returns the new key, its
        secret and the old key as it now stands."""
        with self._lock:
            self._reload()
            old = self._find(key_id)
            entry, secret = self._new_entry(old.get("scope", "write"), old.get("source") or "")
            self._entries[entry["key_id"]] = entry
            if grace is None or grace <= dt.timedelta(0):
                del self._entries[key_id]
                retired = {**old, "expires_at": _now().strftime(_TIME)}
            else:
                old["expires_at"] = (_now() + grace).strftime(_TIME)
                retired = old
            old["replaced_by"] = retired["replaced_by"] = entry["key_id"]
            self._save()
        new, before = _key(entry), _key(retired)
        self._record(
            "keys.rotate",
            new,
            replaces=key_id,
            grace_seconds=int(grace.total_seconds()) if grace else 0,
        )
        return new, secret, before

    # --- servers

    def verify(self, key: str | None) -> Key | None:
        """The key's description, or None for an unknown, revoked or expired key."""
        if not key:
            return None
        now = time.monotonic()
        if now - self._checked > 1.0:
            with self._lock:
                self._reload()
            self._checked = now
        known = self._verified.get(key)
        if known is not None:
            if known.expires_at and _expired({"expires_at": known.expires_at}, _now()):
                return None
            return known
        entry = self._entries.get(key.partition("_")[0])
        if entry is None or not hmac.compare_digest(
            entry["hash"].encode(), _digest(entry["salt"], key).encode()
        ):
            return None
        if _expired(entry, _now()):
            return None
        found = _key(entry)
        self._verified[key] = found
        return found

    def authenticate(self, key: str | None, scope: str, source: str | None = None) -> Key:
        """The key, if it may act in ``scope`` (and, for writes, on ``source``); else
        :class:`KeyRefused` saying why and what to use instead."""
        if not key:
            raise KeyRefused(401, "missing_key", f"this needs a {scope} key")
        found = self.verify(key)
        if found is None:
            raise KeyRefused(401, "invalid_key", "unknown, revoked or expired key")
        if found.scope != scope:
            fix = (
                "personae keys create SOURCE"
                if scope == "write"
                else f"personae keys create --scope {scope}"
            )
            raise KeyRefused(
                403,
                "wrong_scope",
                f"key {found.key_id} is a {found.scope} key; this needs a {scope} key "
                f"(create one with: {fix})",
            )
        if source is not None and found.source != source:
            raise KeyRefused(
                403,
                "wrong_source",
                f"key {found.key_id} writes to source {found.source!r}, not {source!r}; "
                f"create one with: personae keys create {source}",
            )
        return found


def authenticate(project_root: Path, key: str | None, scope: str) -> Key:
    """Check ``key`` against the project's keys for ``scope`` (``read`` for the profile
    API and the UI, ``admin`` for privacy operations); raises :class:`KeyRefused`."""
    return KeyStore(keys_file(project_root)).authenticate(key, scope)
