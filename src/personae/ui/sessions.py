"""Logged-in sessions of the web UI, kept server-side in ``.personae/ui/sessions.sqlite``.

The browser holds a random token in an HttpOnly, SameSite=Lax cookie (Secure over
HTTPS); only its SHA-256 is stored, beside the user, the session's CSRF token and when it
was last used. A session ends on logout, after ``IDLE`` without a request, or ``LIFETIME``
after login, whichever comes first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sqlite3
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from personae.protect.files import private_dir

SESSIONS_FILE = Path(".personae") / "ui" / "sessions.sqlite"
COOKIE = "personae_session"
IDLE = dt.timedelta(hours=8)
LIFETIME = dt.timedelta(days=7)
#: failed logins for one name or one client address within WINDOW seconds that lock it
MAX_FAILURES = 10
WINDOW = 15 * 60


@dataclass(frozen=True)
class Session:
    user: str
    csrf: str
    language: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Sessions:
    def __init__(self, project_root: Path) -> None:
        self.path = Path(project_root) / SESSIONS_FILE

    def _connect(self) -> sqlite3.Connection:
        private_dir(self.path.parent)
        db = sqlite3.connect(self.path, timeout=5)
        db.execute(
            "CREATE TABLE IF NOT EXISTS sessions (digest TEXT PRIMARY KEY, user TEXT NOT "
            "NULL, csrf TEXT NOT NULL, language TEXT NOT NULL, created_at TEXT NOT NULL, "
            "seen_at TEXT NOT NULL)"
        )
        self.path.chmod(0o600)
        return db

    def create(self, user: str, language: str) -> tuple[str, Session]:
        """A new session for ``user``: the cookie's token and the session."""
        token = secrets.token_urlsafe(32)
        session = Session(user, secrets.token_urlsafe(32), language)
        now = _now().isoformat()
        with self._connect() as db:
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
                [_digest(token), user, session.csrf, language, now, now],
            )
        return token, session

    def get(self, token: str | None) -> Session | None:
        """The live session of a cookie's token (its last use refreshed), else None."""
        if not token or not self.path.exists():
            return None
        now = _now()
        with self._connect() as db:
            row = db.execute(
                "SELECT user, csrf, language, created_at, seen_at FROM sessions WHERE digest = ?",
                [_digest(token)],
            ).fetchone()
            if row is None:
                return None
            user, csrf, language, created, seen = row
            if (
                now - dt.datetime.fromisoformat(seen) > IDLE
                or now - dt.datetime.fromisoformat(created) > LIFETIME
            ):
                db.execute("DELETE FROM sessions WHERE digest = ?", [_digest(token)])
                return None
            db.execute(
                "UPDATE sessions SET seen_at = ? WHERE digest = ?",
                [now.isoformat(), _digest(token)],
            )
        return Session(user, csrf, language)

    def set_language(self, token: str, language: str) -> None:
        with self._connect() as db:
            db.execute(
                "UPDATE sessions SET language = ? WHERE digest = ?", [language, _digest(token)]
            )

    def end(self, token: str | None) -> None:
        if token and self.path.exists():
            with self._connect() as db:
                db.execute("DELETE FROM sessions WHERE digest = ?", [_digest(token)])

    def end_user(self, user: str) -> None:
        """End every session of ``user`` (removed, or given a new password)."""
        if self.path.exists():
            with self._connect() as db:
                db.execute("DELETE FROM sessions WHERE user = ?", [user])


class Failures:
    """Failed logins per user name and per client address, in a sliding window."""

    def __init__(self) -> None:
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._seen.setdefault(key, deque())
        while times and now - times[0] > WINDOW:
            times.popleft()
        return times

    def blocked(self, *keys: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return any(len(self._recent(k, now)) >= MAX_FAILURES for k in keys)

    def add(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)
