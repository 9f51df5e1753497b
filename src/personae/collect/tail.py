"""Following the write-ahead logs of every collector of a project (``personae tail``).

:class:`WalFollower` reads each segment through a file descriptor it keeps open, from
where it last stopped, so it sees each record once the writer has written it. A segment
is finished when the same collector has started a later one (the writer seals a segment
before it opens the next) or when the flusher has removed it: on Linux an unlinked file
stays readable through an open descriptor, so a segment flushed while it is followed is
still read to its end, and then closed. A segment that came and went between two polls
(never opened) is read from the Parquet part the flusher wrote for it, so nothing is
lost; nothing is read twice, since each (collector, segment number) is read from one
place only. The follower only reads: it never takes the collector's lock, never opens
the warehouse and writes nothing.

A record is shown once it is whole in the file (length and CRC match): the writer's
``fdatasync`` of it returns within milliseconds, before its 200 is sent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from personae.collect import stored
from personae.collect.flush import read_events_file
from personae.collect.wal import HEADER, list_segments, parse_segment_name
from personae.protect.encryption import EncryptionError, Keyring, is_sealed_record

log = logging.getLogger(__name__)

#: bytes read from a segment at a time
CHUNK = 1 << 20

#: at most how many unseen segments of a collector are looked for in Parquet at once
MAX_GAP = 100

#: a date folder of Parquet parts is looked through when its mtime moved, and for this
#: long after (its mtime, taken from a coarse clock, may not move between two changes
#: made within one tick of a few ms)
SETTLE_SECONDS = 0.1

#: how far back ``--last`` without ``--since`` looks in the Parquet parts (seconds)
HISTORY_SECONDS = 3600

#: a collected message as stored: the columns of :data:`personae.collect.stored.COLUMNS`
Row = dict[str, Any]


@dataclass
class _Segment:
    path: Path
    collector: str
    seq: int
    fd: int
    buffer: bytearray = field(default_factory=bytearray)


@dataclass(frozen=True)
class Filters:
    """Which messages to show; an empty set lets every value through. ``extra`` is a
    further test (the person filter, which needs the serving store)."""

    sources: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    events: frozenset[str] = frozenset()
    user_ids: frozenset[str] = frozenset()
    anonymous_ids: frozenset[str] = frozenset()
    extra: Callable[[Row], bool] | None = None

    def matches(self, row: Row) -> bool:
        checks = (
            (self.sources, row.get("source")),
            (self.types, row.get("type")),
            (self.events, row.get("event")),
            (self.user_ids, row.get("user_id")),
            (self.anonymous_ids, row.get("anonymous_id")),
        )
        if any(wanted and value not in wanted for wanted, value in checks):
            return False
        return self.extra is None or self.extra(row)


def split_values(values: Iterable[str]) -> frozenset[str]:
    """Repeated options and comma lists as one set (``--event A --event B,C``)."""
    return frozenset(v.strip() for value in values for v in value.split(",") if v.strip())


class WalFollower:
    """Every message the collectors of one WAL folder write from now on (or, with
    ``replay``, those of the segments present at start too), poll by poll."""

    def __init__(
        self,
        wal_dir: Path,
        events_dir: Path,
        keys: Keyring | None = None,
        *,
        replay: bool = False,
        warn: Callable[[str], None] = log.warning,
    ) -> None:
        self.wal_dir = Path(wal_dir)
        self.events_dir = Path(events_dir)
        self.keys = keys
        self.warn = warn
        self._open: dict[tuple[str, int], _Segment] = {}
        #: the highest segment number taken (opened or read from Parquet) per collector
        self._taken: dict[str, int] = {}
        self._backlog: list[Row] = []
        #: where a collector first seen later starts: after the parts flushed before now
        self._flushed_at_start = self._flushed_parts()
        #: the recent date folders of Parquet parts: their mtime and when it last moved
        self._folders: dict[Path, tuple[int, float]] = {}
        #: the segments present at start (their messages are not in Parquet yet)
        self._at_start: set[tuple[str, int]] = set()
        for path in list_segments(self.wal_dir) if self.wal_dir.exists() else []:
            self._at_start.add(parse_segment_name(path.name) or ("", 0))
            segment = self._take(path)
            if segment is None:
                continue
            self._backlog.extend(self._read(segment))
        if not replay:
            self._backlog.clear()

    # --- the public face

    def poll(self) -> list[Row]:
        """The messages written since the last poll, ordered by their receipt."""
        rows: list[Row] = []
        listed = list_segments(self.wal_dir) if self.wal_dir.exists() else []
        latest: dict[str, int] = {}
        for path in listed:
            collector, seq = parse_segment_name(path.name) or ("", 0)
            latest[collector] = max(latest.get(collector, 0), seq)
            if (collector, seq) in self._open or seq <= self._taken.get(collector, -1):
                continue
            rows.extend(self._missed(collector, seq))
            segment = self._take(path)
            if segment is not None:
                rows.extend(self._read(segment))
        for key, segment in list(self._open.items()):
            # decide "finished" before the last read: what is final then is read whole
            finished = latest.get(segment.collector, 0) > segment.seq or _unlinked(segment.fd)
            rows.extend(self._read(segment))
            if finished:
                self._finish(key, segment)
        rows.extend(self._unseen_parts())
        rows.extend(self._backlog)
        self._backlog.clear()
        rows.sort(key=lambda r: r.get("received_at") or 0)
        return rows

    def flushed(
        self, matches: Callable[[Row], bool], since_us: int | None, last: int | None
    ) -> list[Row]:
        """Messages flushed to Parquet before the follower started, received at
        ``since_us`` or later (without it: within :data:`HISTORY_SECONDS`), that
        ``matches`` keeps; newest parts first, stopping once ``last`` are found.

        A part's file is written after every message it holds was received, so parts
        older than the start of the window are not opened."""
        # the floor in whole microseconds, as received_at is: a float round trip
        # (since_us / 1e6 * 1e6) may land a microsecond above and drop the first message
        floor_us = since_us if since_us is not None else int((time.time() - HISTORY_SECONDS) * 1e6)
        floor = floor_us / 1e6
        first_day = dt.datetime.fromtimestamp(floor, dt.UTC).date()
        parts: list[tuple[float, Path]] = []
        for folder in self.events_dir.glob("date=*"):
            try:
                if dt.date.fromisoformat(folder.name.removeprefix("date=")) < first_day:
                    continue
            except ValueError:
                continue
            for part in folder.glob("part-*.parquet"):
                collector, seq = part_name(part)
                if (collector, seq) in self._at_start:
                    continue  # a crash between its Parquet and its deletion: the WAL has it
                if seq > self._flushed_at_start.get(collector, 0):
                    continue  # flushed since the start: :meth:`poll` reads it
                with contextlib.suppress(FileNotFoundError):
                    # a part is written after its messages were received; the second
                    # of slack covers file systems whose times are coarse
                    if (mtime := part.stat().st_mtime) >= floor - 1:
                        parts.append((mtime, part))
        found: list[Row] = []
        for _, part in sorted(parts, reverse=True):
            try:
                table = read_events_file(part, self.keys)
            except FileNotFoundError:
                continue
            rows = [arrow_row(r) for r in table.to_pylist()]
            found.extend(r for r in rows if (r.get("received_at") or 0) >= floor_us and matches(r))
            if last is not None and len(found) >= last:
                break
        found.sort(key=lambda r: r.get("received_at") or 0)
        return found

    def close(self) -> None:
        for segment in self._open.values():
            os.close(segment.fd)
        self._open.clear()

    # --- segments

    def _take(self, path: Path) -> _Segment | None:
        collector, seq = parse_segment_name(path.name) or ("", 0)
        self._taken[collector] = max(self._taken.get(collector, 0), seq)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:  # flushed since it was listed: its Parquet part has it
            self._from_parquet(collector, seq)
            return None
        segment = _Segment(path, collector, seq, fd)
        self._open[(collector, seq)] = segment
        return segment

    def _missed(self, collector: str, seq: int) -> list[Row]:
        """Segments of ``collector`` before ``seq`` that came and went unseen."""
        first = self._taken.get(collector, self._flushed_at_start.get(collector, 0)) + 1
        first = max(first, seq - MAX_GAP)
        rows: list[Row] = []
        for number in range(first, seq):
            rows.extend(self._parquet_rows(collector, number))
        return rows

    def _from_parquet(self, collector: str, seq: int) -> None:
        self._backlog.extend(self._parquet_rows(collector, seq))

    def _parquet_rows(self, collector: str, seq: int) -> list[Row]:
        parts = sorted(self.events_dir.glob(f"date=*/part-{collector}-{seq:012d}.parquet"))
        rows: list[Row] = []
        read = 0
        for part in parts:
            with contextlib.suppress(FileNotFoundError):  # rewritten away meanwhile
                rows.extend(read_events_file(part, self.keys).to_pylist())
                read += 1
        if not read:
            # numbers are skipped only when a segment is flushed and its part loaded away
            log.debug("segment %s-%012d: neither in the WAL nor in Parquet", collector, seq)
        return [arrow_row(r) for r in rows]

    def _unseen_parts(self) -> list[Row]:
        """Segments written and flushed away between two polls with no later segment
        of their collector yet (so :meth:`_missed` cannot know of them): their parts in
        the date folders of around now, looked at when a folder changed."""
        rows: list[Row] = []
        now = time.time()
        today = dt.datetime.fromtimestamp(now, dt.UTC).date()
        for delta in (-1, 0, 1):
            folder = self.events_dir / f"date={today + dt.timedelta(days=delta)}"
            try:
                mtime = folder.stat().st_mtime_ns
            except FileNotFoundError:
                continue
            seen, moved = self._folders.get(folder, (-1, 0.0))
            if mtime != seen:
                moved = now
            self._folders[folder] = (mtime, moved)
            if now - moved > SETTLE_SECONDS:  # unchanged since it was last looked through
                continue
            for part in sorted(folder.glob("part-*.parquet")):
                collector, seq = part_name(part)
                baseline = self._taken.get(collector, self._flushed_at_start.get(collector, 0))
                if seq > baseline and (collector, seq) not in self._open:
                    rows.extend(self._missed(collector, seq))
                    self._taken[collector] = seq
                    rows.extend(self._parquet_rows(collector, seq))
        return rows

    def _flushed_parts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for part in self.events_dir.glob("date=*/part-*.parquet"):
            collector, seq = part_name(part)
            found[collector] = max(found.get(collector, 0), seq)
        return found

    def _read(self, segment: _Segment) -> list[Row]:
        return read_rows(segment.fd, segment.buffer, self.keys, segment.path)

    def _finish(self, key: tuple[str, int], segment: _Segment) -> None:
        if segment.buffer:
            self.warn(
                f"{segment.path.name}: skipped a torn tail of {len(segment.buffer)} bytes "
                "(a crash before its fsync: never acknowledged)"
            )
        os.close(segment.fd)
        del self._open[key]


def read_rows(fd: int, buffer: bytearray, keys: Keyring | None, path: Path) -> list[Row]:
    """The messages of the records whole in a segment since the last read: what ``fd``
    has beyond ``buffer`` is read into it, and the records read are taken out of it (a
    record still being written stays; a torn tail of a crash stays, never acknowledged)."""
    while True:
        chunk = os.read(fd, CHUNK)
        if not chunk:
            break
        buffer += chunk
    rows: list[Row] = []
    offset = 0
    while offset + HEADER.size <= len(buffer):
        length, crc = HEADER.unpack_from(buffer, offset)
        start = offset + HEADER.size
        end = start + length
        if end > len(buffer):
            break  # the rest is being written
        record = bytes(buffer[start:end])
        if zlib.crc32(record) != crc:
            break  # a torn tail of a crash: the collector's next segment follows
        if is_sealed_record(record):
            if keys is None:
                raise EncryptionError(
                    f"{path} is encrypted: turn protect.encryption on and give its key "
                    "(PERSONAE_ENCRYPTION_KEY or protect.key_file)"
                )
            record = keys.open_record(record, where=str(path))
        rows.extend(stored.decode_rows(record))
        offset = end
    del buffer[:offset]
    return rows


def part_name(part: Path) -> tuple[str, int]:
    """``part-<collector>-<seq>.parquet`` -> (collector, seq); seq 0 when not one."""
    _, collector, number = [*part.stem.split("-"), "", ""][:3]
    return collector, int(number) if number.isdigit() else 0


def _unlinked(fd: int) -> bool:
    return os.fstat(fd).st_nlink == 0


_EPOCH_FIELDS = ("timestamp", "received_at", "sent_at", "original_timestamp")


def arrow_row(row: Row) -> Row:
    """A Parquet row as a WAL row: timestamps as microseconds since the epoch."""
    epoch = dt.datetime(1970, 1, 1)
    for name in _EPOCH_FIELDS:
        value = row.get(name)
        if isinstance(value, dt.datetime):
            row[name] = (value.replace(tzinfo=None) - epoch) // dt.timedelta(microseconds=1)
    return row


#: seconds between two polls of the WAL folder
INTERVAL = 0.02


def follow(
    follower: WalFollower,
    filters: Filters,
    stop: threading.Event,
    *,
    since_us: int | None = None,
    last: int | None = None,
    interval: float = INTERVAL,
) -> Iterator[list[Row]]:
    """The messages ``filters`` lets through as they are written, a poll's at a time,
    until ``stop`` is set. With ``since_us`` or ``last``, the first batch holds the
    messages received before: those already flushed to Parquet
    (:meth:`WalFollower.flushed`) and those the WAL held at start (when the follower
    replays them), of which only those received at ``since_us`` or later, and only the
    ``last`` ones."""
    first = True
    while not stop.is_set():
        rows: list[Row] = []
        if first and (since_us is not None or last is not None):
            rows = follower.flushed(filters.matches, since_us, last)
        rows.extend(r for r in follower.poll() if filters.matches(r))
        if first:
            first = False
            # Parquet's rows and the WAL's, each in order, interleave: one worker may have
            # flushed a message received after one another worker still holds in its WAL
            rows.sort(key=lambda r: r.get("received_at") or 0)
            if since_us is not None:
                rows = [r for r in rows if (r.get("received_at") or 0) >= since_us]
            if last is not None:
                rows = rows[len(rows) - last :] if last < len(rows) else rows
        if rows:
            yield rows
        stop.wait(interval)
