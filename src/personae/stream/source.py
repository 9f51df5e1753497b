"""The collected messages after a position, in order, from the write-ahead logs or, once
flushed, from their Parquet parts.

A position is, per collector, the segment number and how many of its messages were
applied: ``{collector: (seq, rows)}``. Each collector's segments are read in number
order; a segment is read from the WAL while it is there (through a descriptor kept open,
so a segment flushed meanwhile is still read to its end) and from its Parquet part(s)
once flushed. A segment is finished when a later segment of its collector exists, or it
was flushed. A number with neither a WAL segment nor a Parquet part while a later one
exists is skipped.

The reader is restartable: the position it is given says how many messages of the
current segment to skip, so messages are read from the same place after a crash.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from personae.collect.flush import read_events_file
from personae.collect.tail import Row, read_rows
from personae.collect.wal import list_segments, parse_segment_name
from personae.protect.encryption import Keyring

#: how often Parquet is looked through for an idle collector's next segment (seconds)
IDLE_SECONDS = 1.0

#: ``collector -> (segment number, messages of it already applied)``
Positions = dict[str, tuple[int, int]]


@dataclass
class Message:
    """One collected message and where it sits."""

    collector: str
    seq: int
    #: its index in its segment
    index: int
    row: Row


@dataclass
class _Open:
    seq: int
    fd: int
    #: messages read from it so far
    read: int = 0
    buffer: bytearray = field(default_factory=bytearray)


class MessageSource:
    def __init__(
        self, wal_dir: Path, events_dir: Path, positions: Positions, keys: Keyring | None = None
    ) -> None:
        self.wal_dir = Path(wal_dir)
        self.events_dir = Path(events_dir)
        self.keys = keys
        self.positions: Positions = dict(positions)
        self._open: dict[str, _Open] = {}
        #: when Parquet was last looked through for a collector's next segment
        self._looked: dict[str, float] = {}
        self._parts_checked: dict[str, float] = {}
        self._until: Positions | None = None
        #: collectors known only from their Parquet parts are looked for once
        self._discovered = False

    def close(self) -> None:
        for segment in self._open.values():
            os.close(segment.fd)
        self._open.clear()

    # --- polling

    def poll(self, limit: int = 20_000, until: Positions | None = None) -> list[Message]:
        """The messages after the positions (at most about ``limit``, and none at or
        after ``until``'s position of their collector), oldest segment first per
        collector; :attr:`positions` moves past them."""
        self._until = until
        wal: dict[str, dict[int, Path]] = {}
        if self.wal_dir.exists():
            for path in list_segments(self.wal_dir):
                parsed = parse_segment_name(path.name)
                if parsed:
                    wal.setdefault(parsed[0], {})[parsed[1]] = path
        out: list[Message] = []
        if not self._discovered:
            self._discovered = True
            for collector in self._parquet_collectors():
                wal.setdefault(collector, {})
        for collector in sorted(set(wal) | set(self.positions)):
            out.extend(self._collector(collector, wal.get(collector, {}), limit - len(out)))
            if len(out) >= limit:
                break
        return out

    def _collector(self, collector: str, segments: dict[int, Path], limit: int) -> list[Message]:
        out: list[Message] = []
        if collector not in self.positions:
            self.positions[collector] = (self._first(collector, segments), 0)
        seq, done = self.positions[collector]
        while len(out) < limit:
            segment = self._open.get(collector)
            if segment is not None and segment.seq != seq:
                os.close(segment.fd)
                del self._open[collector]
                segment = None
            if segment is None and seq in segments:
                with contextlib.suppress(FileNotFoundError):
                    segment = _Open(seq, os.open(segments[seq], os.O_RDONLY))
                    self._open[collector] = segment
            if segment is not None:
                # decided before the read: what is final then is read whole
                finished = any(s > seq for s in segments) or os.fstat(segment.fd).st_nlink == 0
                first = segment.read
                rows = self._read(segment, segments.get(seq, self.wal_dir))
            else:
                first = 0
                found = self._parquet(collector, seq, segments)
                finished = found is not None
                rows = found or []
                if found is None and self._gone(collector, seq, segments):
                    finished = True  # flushed and loaded away, or never written
            stop = self._until.get(collector) if self._until is not None else None
            for index, row in enumerate(rows, start=first):
                if stop is not None and (seq, index) >= stop:
                    # the rest is read again, from the WAL or Parquet, next time
                    self._forget(collector)
                    self.positions[collector] = (seq, max(done, index))
                    return out
                if index >= done:
                    out.append(Message(collector, seq, index, row))
            done = max(done, first + len(rows))
            if not finished:
                break
            if segment is not None:
                os.close(segment.fd)
                del self._open[collector]
            seq, done = seq + 1, 0
        self.positions[collector] = (seq, done)
        return out

    def _parquet_collectors(self) -> set[str]:
        found = set()
        for part in self.events_dir.glob("date=*/part-*.parquet"):
            collector, _, number = part.stem.removeprefix("part-").rpartition("-")
            if collector and number.isdigit():
                found.add(collector)
        return found

    def _first(self, collector: str, segments: dict[int, Path]) -> int:
        """Where a collector without a position starts: its oldest segment, in the WAL
        or in Parquet (none of it was loaded by the batch run, or it would have one)."""
        seqs = set(segments)
        for part in self.events_dir.glob(f"date=*/part-{collector}-*.parquet"):
            number = part.stem.rsplit("-", 1)[-1]
            if number.isdigit():
                seqs.add(int(number))
        return min(seqs, default=1)

    def _forget(self, collector: str) -> None:
        segment = self._open.pop(collector, None)
        if segment is not None:
            os.close(segment.fd)

    def _read(self, segment: _Open, path: Path) -> list[Row]:
        """The messages of ``segment`` complete since the last read."""
        rows = read_rows(segment.fd, segment.buffer, self.keys, path)
        segment.read += len(rows)
        return rows

    def _parquet(self, collector: str, seq: int, segments: dict[int, Path]) -> list[Row] | None:
        """The messages of a flushed segment, or None when it has no Parquet part (or
        is still to be written: no WAL segment of its collector after it, looked for in
        Parquet at most every :data:`IDLE_SECONDS`)."""
        if not any(s > seq for s in segments):
            now = time.monotonic()
            if now - self._looked.get(collector, 0.0) < IDLE_SECONDS:
                return None
            self._looked[collector] = now
        parts = sorted(self.events_dir.glob(f"date=*/part-{collector}-{seq:012d}.parquet"))
        if not parts:
            return None
        rows: list[Row] = []
        for part in parts:
            with contextlib.suppress(FileNotFoundError):
                rows.extend(_rows(read_events_file(part, self.keys)))
        return rows

    def _gone(self, collector: str, seq: int, segments: dict[int, Path]) -> bool:
        """Is ``seq`` missing for good: a later segment of ``collector`` exists, in the
        WAL or in Parquet?"""
        if any(s > seq for s in segments):
            return True
        if (
            collector in self._parts_checked
            and time.monotonic() - self._parts_checked[collector] < IDLE_SECONDS
        ):
            return False
        self._parts_checked[collector] = time.monotonic()
        for part in self.events_dir.glob(f"date=*/part-{collector}-*.parquet"):
            number = part.stem.rsplit("-", 1)[-1]
            if number.isdigit() and int(number) > seq:
                return True
        return False


def _rows(table: pa.Table) -> list[Row]:
    """A Parquet part's rows as the WAL's: timestamps as microseconds since the epoch."""
    for i, column in enumerate(table.schema):
        if pa.types.is_timestamp(column.type):
            table = table.set_column(i, column.name, table.column(i).cast(pa.int64()))
    rows: list[Row] = table.to_pylist()
    return rows


def covered_positions(through: dict[str, int]) -> Positions:
    """Where to start after a batch run that loaded, per collector, the segments up to
    ``through[collector]``: the segment after."""
    return {collector: (int(seq) + 1, 0) for collector, seq in through.items()}


def as_dict(positions: Positions) -> dict[str, Any]:
    return {c: list(p) for c, p in sorted(positions.items())}
