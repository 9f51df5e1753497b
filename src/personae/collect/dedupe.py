"""The (source, messageId) deduplication window, rebuilt at start-up so it survives
restarts.

A message id is unique only within its source: one source's key must never be able to
suppress another source's events by reusing their ids. Duplicates inside the window
are acknowledged (the client retried) but not stored again. At start-up the window is
refilled from every WAL segment and from the Parquet files of the dates the window
covers. The warehouse load deduplicates by (source, messageId) too, so a duplicate that
slips past (several collectors, an expired window) still lands once.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from personae.collect import stored
from personae.collect.flush import parquet_files, read_events_file
from personae.collect.wal import list_segments, read_segment
from personae.protect.encryption import Keyring

#: what the window remembers: (source, messageId)
MessageKey = tuple[str, str]


def _flat(key: MessageKey) -> str:
    """The window's own key: one string, not a tuple. Strings are invisible to Python's
    garbage collector and tuples are not, so a window of millions of ids made every
    full collection walk them all (about 40 % of a worker's CPU under load)."""
    return f"{key[0]}\x1f{key[1]}"


class DedupeWindow:
    """(source, messageId) → received time (µs), oldest first."""

    def __init__(self, hours: float) -> None:
        self.window_us = int(hours * 3600 * 1e6)
        self._seen: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def __contains__(self, key: MessageKey) -> bool:
        return _flat(key) in self._seen

    def add(self, key: MessageKey, at_us: int) -> bool:
        """Remember ``key``; False when it was already inside the window."""
        if self.window_us <= 0:
            return True
        flat = _flat(key)
        previous = self._seen.get(flat)
        if previous is not None and at_us - previous < self.window_us:
            return False
        if previous is not None:
            del self._seen[flat]  # re-inserted last: the dict stays oldest first
        self._seen[flat] = at_us
        return True

    def forget(self, key: MessageKey) -> None:
        self._seen.pop(_flat(key), None)

    def prune(self, now_us: int) -> int:
        cutoff = now_us - self.window_us
        stale = []
        for key, at in self._seen.items():
            if at >= cutoff:
                break
            stale.append(key)
        for key in stale:
            del self._seen[key]
        return len(stale)

    def rebuild(
        self, wal_dir: Path, events_dir: Path, now_us: int, keys: Keyring | None = None
    ) -> int:
        """Refill from the WAL and recent Parquet files; returns the ids remembered."""
        if self.window_us <= 0:
            return 0
        cutoff = now_us - self.window_us
        found: list[tuple[int, MessageKey]] = []
        for segment in list_segments(wal_dir):
            for record in read_segment(segment, keys).records:
                columns = stored.decode_columns(record)
                ids = zip(columns["source"], columns["message_id"], strict=True)
                found.extend(zip(columns["received_at"], ids, strict=True))
        first_day = dt.datetime.fromtimestamp(cutoff / 1e6, dt.UTC).date().isoformat()
        for path in parquet_files(events_dir):
            if path.parent.name.removeprefix("date=") < first_day:
                continue
            table = read_events_file(path, keys, columns=["source", "message_id", "received_at"])
            ids = zip(
                table.column("source").to_pylist(),
                table.column("message_id").to_pylist(),
                strict=True,
            )
            times = table.column("received_at").cast("int64").to_pylist()
            found.extend(zip(times, ids, strict=True))
        for at, key in sorted(found):
            if at >= cutoff:
                flat = _flat(key)
                self._seen.pop(flat, None)
                self._seen[flat] = at
        return len(self._seen)
