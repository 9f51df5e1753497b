"""The messageId deduplication window, rebuilt at start-up so it survives restarts.

Duplicates inside the window are acknowledged (the client retried) but not stored
again. At start-up the window is refilled from every WAL segment and from the Parquet
files of the dates the window covers. The warehouse load deduplicates by messageId
too, so a duplicate that slips past (several collectors, an expired window) still
lands once.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from personae.collect import stored
from personae.collect.flush import parquet_files, read_events_file
from personae.collect.wal import list_segments, read_segment
from personae.protect.encryption import Keyring


class DedupeWindow:
    """messageId → received time (µs), oldest first."""

    def __init__(self, hours: float) -> None:
        self.window_us = int(hours * 3600 * 1e6)
        self._seen: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def __contains__(self, message_id: str) -> bool:
        return message_id in self._seen

    def add(self, message_id: str, at_us: int) -> bool:
        """Remember ``message_id``; False when it was already inside the window."""
        if self.window_us <= 0:
            return True
        previous = self._seen.get(message_id)
        if previous is not None and at_us - previous < self.window_us:
            return False
        self._seen.pop(message_id, None)
        self._seen[message_id] = at_us
        return True

    def forget(self, message_id: str) -> None:
        self._seen.pop(message_id, None)

    def prune(self, now_us: int) -> int:
        cutoff = now_us - self.window_us
        stale = []
        for message_id, at in self._seen.items():
            if at >= cutoff:
                break
            stale.append(message_id)
        for message_id in stale:
            del self._seen[message_id]
        return len(stale)

    def rebuild(
        self, wal_dir: Path, events_dir: Path, now_us: int, keys: Keyring | None = None
    ) -> int:
        """Refill from the WAL and recent Parquet files; returns the ids remembered."""
        if self.window_us <= 0:
            return 0
        cutoff = now_us - self.window_us
        found: list[tuple[int, str]] = []
        for segment in list_segments(wal_dir):
            for record in read_segment(segment, keys).records:
                row = stored.decode(record)
                found.append((row["received_at"], row["message_id"]))
        first_day = dt.datetime.fromtimestamp(cutoff / 1e6, dt.UTC).date().isoformat()
        for path in parquet_files(events_dir):
            if path.parent.name.removeprefix("date=") < first_day:
                continue
            table = read_events_file(path, keys, columns=["message_id", "received_at"])
            ids = table.column("message_id").to_pylist()
            times = table.column("received_at").cast("int64").to_pylist()
            found.extend(zip(times, ids, strict=True))
        for at, message_id in sorted(found):
            if at >= cutoff:
                self._seen.pop(message_id, None)
                self._seen[message_id] = at
        return len(self._seen)
