"""The UI's users: ``.personae/ui/users.json``, passwords hashed with Argon2id.

Only the hash of a password is kept; a generated password is shown once, when the user is
created. Managed with ``personae ui users add|list|remove|password``.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from personae.errors import PersonaeError
from personae.protect.files import private_dir, write_private
from personae.ui.roles import ROLES

USERS_FILE = Path(".personae") / "ui" / "users.json"
LANGUAGES = ("en", "fr")
_hasher = PasswordHasher()
#: verified against when the user does not exist, so a wrong name takes as long as a
#: wrong password (no user enumeration by timing); made at the first login
_dummy: list[str] = []


def _dummy_hash() -> str:
    if not _dummy:
        _dummy.append(_hasher.hash(secrets.token_urlsafe(16)))
    return _dummy[0]


class AccountError(PersonaeError):
    """A user cannot be created, found or changed."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    language: str = "en"
    created_at: str = ""


class Accounts:
    """The project's UI users."""

    def __init__(self, project_root: Path) -> None:
        self.path = Path(project_root) / USERS_FILE

    def _read(self) -> dict[str, dict[str, str]]:
        if not self.path.exists():
            return {}
        data: dict[str, dict[str, str]] = json.loads(self.path.read_text())
        return data

    def _write(self, users: dict[str, dict[str, str]]) -> None:
        private_dir(self.path.parent)
        write_private(self.path, json.dumps(users, indent=2, sort_keys=True).encode())

    def users(self) -> list[User]:
        return [_user(name, entry) for name, entry in sorted(self._read().items())]

    def get(self, name: str) -> User | None:
        entry = self._read().get(name)
        return _user(name, entry) if entry else None

    def add(
        self, name: str, role: str, *, language: str = "en", password: str | None = None
    ) -> str:
        """Create a user and return its password (generated unless given)."""
        _check(name, role, language)
        users = self._read()
        if name in users:
            raise AccountError(
                f"user {name!r} already exists: choose another name, or "
                f"'personae ui users password {name}' to give it a new password"
            )
        password = password or secrets.token_urlsafe(12)
        _strong_enough(password)
        users[name] = {
            "role": role,
            "language": language,
            "hash": _hasher.hash(password),
            "created_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        self._write(users)
        return password

    def set_password(self, name: str, password: str | None = None) -> str:
        users = self._read()
        if name not in users:
            raise AccountError(f"no user {name!r}: see 'personae ui users list'")
        password = password or secrets.token_urlsafe(12)
        _strong_enough(password)
        users[name]["hash"] = _hasher.hash(password)
        self._write(users)
        return password

    def update(self, name: str, *, role: str | None = None, language: str | None = None) -> User:
        users = self._read()
        if name not in users:
            raise AccountError(f"no user {name!r}: see 'personae ui users list'")
        entry = users[name]
        _check(name, role or entry["role"], language or entry.get("language", "en"))
        if role:
            entry["role"] = role
        if language:
            entry["language"] = language
        self._write(users)
        return _user(name, entry)

    def remove(self, name: str) -> None:
        users = self._read()
        if users.pop(name, None) is None:
            raise AccountError(f"no user {name!r}: see 'personae ui users list'")
        self._write(users)

    def verify(self, name: str, password: str) -> User | None:
        """The user when ``password`` is theirs, else None (in constant-ish time)."""
        users = self._read()
        entry = users.get(name)
        try:
            _hasher.verify(entry["hash"] if entry else _dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            return None
        if entry is None:
            return None
        if _hasher.check_needs_rehash(entry["hash"]):
            entry["hash"] = _hasher.hash(password)
            self._write(users)
        return _user(name, entry)


def _user(name: str, entry: dict[str, str]) -> User:
    return User(name, entry["role"], entry.get("language", "en"), entry.get("created_at", ""))


def _check(name: str, role: str, language: str) -> None:
    if not name or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise AccountError(
            f"user name {name!r}: use letters, digits, '-', '_' or '.', e.g. 'marie.dupont'"
        )
    if role not in ROLES:
        raise AccountError(f"role {role!r}: use one of {', '.join(ROLES)}")
    if language not in LANGUAGES:
        raise AccountError(f"language {language!r}: use one of {', '.join(LANGUAGES)}")


def _strong_enough(password: str) -> None:
    if len(password) < 10:
        raise AccountError("a password needs at least 10 characters")
