"""The audit log: who did what, append-only, tamper-evident, without personal data.

``.personae/audit.jsonl`` (mode 0600) holds one JSON object a line::

    {"seq": 7, "at": "2026-12-05T16:40:00.123456Z", "actor": "user:marie",
     "action": "keys.create", "details": {"key_id": "3f9a0c12", "scope": "write",
     "source": "web"}, "prev": "<hash of entry 6>", "hash": "<sha256 of this entry>"}

* ``actor`` is ``user:<OS user>`` for the CLI and ``key:<key id>`` for the API;
* ``details`` hold ids, counts, command and option names, never a person's values: the
  log is kept when a person is erased, so it must not hold them;
* each entry carries the hash of the one before (``prev``) and its own ``hash``, a
  SHA-256 over its canonical JSON without ``hash``. Changing, inserting or removing an
  entry breaks the chain from there on, which :meth:`AuditLog.verify` reports. Cutting
  entries off the end is not detectable from the file alone: keep the head hash that
  ``personae audit --verify`` prints somewhere else to detect that too.

Writers take an exclusive ``flock`` on the file, so the CLI and a server may append at
the same time.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from personae.errors import PersonaeError

#: the log, under the project folder
AUDIT_FILE = Path(".personae") / "audit.jsonl"
#: the hash of personae.yml at the last recorded change, beside the log
CONFIG_HASH_FILE = Path(".personae") / "audit.config"
GENESIS = "0" * 64


class AuditError(PersonaeError):
    """The audit log cannot be written or read."""


def os_actor() -> str:
    """``user:<name>`` of the OS user running this process."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers): the uid still identifies
        name = str(os.getuid())
    return f"user:{name}"


def key_actor(key_id: str) -> str:
    """The actor of a request authenticated by an API key."""
    return f"key:{key_id}"


def _canonical(entry: Mapping[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: Mapping[str, Any]) -> str:
    """The SHA-256 of an entry without its ``hash``."""
    return hashlib.sha256(_canonical({k: v for k, v in entry.items() if k != "hash"})).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _last_line(fd: int) -> bytes:
    """The last complete line of the file open at ``fd`` (b"" when empty)."""
    size = os.fstat(fd).st_size
    if size == 0:
        return b""
    position, tail = size, b""
    while position > 0:
        step = min(65536, position)
        position -= step
        tail = os.pread(fd, step, position) + tail
        body = tail.rstrip(b"\n")
        cut = body.rfind(b"\n")
        if cut >= 0:
            return body[cut + 1 :]
    return tail.rstrip(b"\n")


@dataclass(frozen=True)
class Problem:
    """A break in the chain found by :meth:`AuditLog.verify`."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class AuditLog:
    """The project's audit log."""

    def __init__(self, project_root: Path) -> None:
        self.root = Path(project_root)
        self.path = self.root / AUDIT_FILE

    def record(
        self, action: str, details: Mapping[str, Any] | None = None, actor: str | None = None
    ) -> dict[str, Any]:
        """Append one entry and return it. ``details`` must hold no personal data (ids,
        counts, names of commands and options only)."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise AuditError(f"{self.path}: cannot open the audit log: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            last = _last_line(fd)
            previous = json.loads(last) if last else None
            entry: dict[str, Any] = {
                "seq": previous["seq"] + 1 if previous else 1,
                "at": _now(),
                "actor": actor or os_actor(),
                "action": action,
                "details": dict(details or {}),
                "prev": previous["hash"] if previous else GENESIS,
            }
            entry["hash"] = entry_hash(entry)
            os.write(fd, _canonical(entry) + b"\n")
            os.fsync(fd)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AuditError(f"{self.path}: cannot append to the audit log: {exc}") from exc
        finally:
            os.close(fd)
        return entry

    def entries(
        self,
        action: str | None = None,
        actor: str | None = None,
        since: dt.datetime | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The entries, oldest first; ``action`` matches a whole action or a prefix
        ending at a dot (``keys`` matches ``keys.create``); ``since`` is UTC."""
        if not self.path.exists():
            return
        stamp = since.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if since else None
        with self.path.open(encoding="utf-8") as lines:
            for line in lines:
                if not line.strip():
                    continue
                entry: dict[str, Any] = json.loads(line)
                name = str(entry.get("action", ""))
                if action and name != action and not name.startswith(action + "."):
                    continue
                if actor and entry.get("actor") != actor:
                    continue
                if stamp and str(entry.get("at", "")) < stamp:
                    continue
                yield entry

    def verify(self) -> tuple[list[Problem], str]:
        """The breaks in the hash chain (none when intact), and the head hash."""
        problems: list[Problem] = []
        head, seq = GENESIS, 0
        if not self.path.exists():
            return problems, head
        with self.path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                try:
                    entry = json.loads(line)
                except ValueError:
                    problems.append(Problem(number, "not a JSON entry"))
                    continue
                if entry.get("seq") != seq + 1:
                    problems.append(
                        Problem(number, f"seq {entry.get('seq')} follows {seq}: entries missing")
                    )
                if entry.get("prev") != head:
                    problems.append(
                        Problem(number, "does not follow the entry before (removed or inserted)")
                    )
                if entry.get("hash") != entry_hash(entry):
                    problems.append(Problem(number, "its content was changed after it was written"))
                head, seq = str(entry.get("hash")), int(entry.get("seq") or seq + 1)
        return problems, head

    def record_config(self, config_file: Path, actor: str | None = None) -> bool:
        """Record ``config.changed`` (with the file's SHA-256) when ``config_file``
        differs from when this was last recorded; True when it did."""
        if not config_file.exists():
            return False
        digest = hashlib.sha256(config_file.read_bytes()).hexdigest()
        marker = self.root / CONFIG_HASH_FILE
        before = marker.read_text(encoding="utf-8").strip() if marker.exists() else None
        if before == digest:
            return False
        self.record(
            "config.changed",
            {"file": config_file.name, "sha256": digest, "previous_sha256": before},
            actor,
        )
        temporary = marker.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(digest + "\n")
        os.replace(temporary, marker)
        return True


def record(
    project_root: Path,
    action: str,
    details: Mapping[str, Any] | None = None,
    actor: str | None = None,
) -> dict[str, Any]:
    """Append one entry to the project's audit log (for erasure, access requests, …):
    ``record(root, "privacy.erase", {"records": 12, "tables": 9})``. Never pass a
    person's values; ids and counts only."""
    return AuditLog(project_root).record(action, details, actor)
