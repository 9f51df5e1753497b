"""The write-ahead log: every accepted message is on disk before its 200 is sent.

A log is a series of segment files ``<collector>-<seq>.wal`` in one folder. Each record
is ``length (u32 LE) | crc32 (u32 LE) | data``. One writer thread owns the open
segment: it takes every pending append at once, writes them with one ``write`` and
makes them durable with one ``fdatasync`` (group commit), then resolves their futures.
So concurrent requests share an fsync and throughput does not collapse.

With ``protect.encryption`` on, each record's data is sealed with AES-GCM under the key
derived for the WAL (:meth:`personae.protect.encryption.Keyring.seal_record`) before it is
framed, so the framing and torn-tail detection are the same; :func:`read_segment` opens
sealed records with the keys it is given, and reads plain ones as they are.

A crash can leave a torn record at the end of the last segment: its length or CRC does
not match, and :func:`read_segment` stops there and reports the skipped bytes. Such a
record was never acknowledged, because its fsync had not returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import re
import struct
import threading
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from personae.collect.errors import CollectError
from personae.protect.encryption import EncryptionError, Keyring, is_sealed_record
from personae.protect.files import FILE_MODE, private_dir

log = logging.getLogger(__name__)

HEADER = struct.Struct("<II")
SEGMENT_RE = re.compile(r"^(?P<collector>[A-Za-z0-9]+)-(?P<seq>\d{12})\.wal$")


def encode_record(data: bytes) -> bytes:
    return HEADER.pack(len(data), zlib.crc32(data)) + data


def segment_name(collector_id: str, seq: int) -> str:
    return f"{collector_id}-{seq:012d}.wal"


def parse_segment_name(name: str) -> tuple[str, int] | None:
    match = SEGMENT_RE.match(name)
    return (match["collector"], int(match["seq"])) if match else None


@dataclass
class SegmentRead:
    records: list[bytes] = field(default_factory=list)
    #: bytes after the last intact record (a torn or corrupt tail), skipped
    torn_bytes: int = 0


def read_segment(path: Path, keys: Keyring | None = None) -> SegmentRead:
    """Every intact record of a segment, stopping at the first torn or corrupt one;
    sealed records are opened with ``keys``."""
    data = path.read_bytes()
    result = SegmentRead()
    offset = 0
    while offset < len(data):
        if offset + HEADER.size > len(data):
            break
        length, crc = HEADER.unpack_from(data, offset)
        start = offset + HEADER.size
        end = start + length
        if end > len(data) or zlib.crc32(data[start:end]) != crc:
            break
        result.records.append(_opened(data[start:end], keys, path))
        offset = end
    result.torn_bytes = len(data) - offset
    if result.torn_bytes:
        log.warning("%s: skipped a torn tail of %d bytes", path.name, result.torn_bytes)
    return result


def _opened(record: bytes, keys: Keyring | None, path: Path) -> bytes:
    if not is_sealed_record(record):
        return record
    if keys is None:
        raise EncryptionError(
            f"{path} is encrypted: turn protect.encryption on and give its key "
            "(PERSONAE_ENCRYPTION_KEY or protect.key_file)"
        )
    return keys.open_record(record, where=str(path))


def rewrite_segment(path: Path, records: Iterable[bytes], keys: Keyring | None = None) -> None:
    """Replace a sealed (no longer written) segment by ``records``, sealed with ``keys``
    when given: written to a temporary file, fsync'd and renamed over it, so a crash
    leaves either the old segment or the new one (erasure and key rotation use it)."""
    data = b"".join(encode_record(keys.seal_record(r) if keys else r) for r in records)
    temporary = path.with_name(f".tmp-{path.name}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
    fsync_dir(path.parent)


def list_segments(directory: Path, collector_id: str | None = None) -> list[Path]:
    """Segment files in seq order, of one collector or of all."""
    found: list[tuple[str, int, Path]] = []
    for path in directory.glob("*.wal"):
        parsed = parse_segment_name(path.name)
        if parsed and (collector_id is None or parsed[0] == collector_id):
            found.append((parsed[0], parsed[1], path))
    return [p for _, _, p in sorted(found)]


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_Waiter = tuple[asyncio.Future[None], asyncio.AbstractEventLoop]


@dataclass
class _Append:
    data: bytes
    waiter: _Waiter


@dataclass
class _Seal:
    done: threading.Event = field(default_factory=threading.Event)


class WriteAheadLog:
    """The log of one collector. Start it, ``await append(...)``, and close it."""

    def __init__(
        self,
        directory: Path,
        collector_id: str,
        segment_bytes: int,
        first_seq: int = 1,
        keys: Keyring | None = None,
    ) -> None:
        self.directory = directory
        self.collector_id = collector_id
        self.segment_bytes = segment_bytes
        #: with keys, every record is sealed before it is written
        self.keys = keys
        private_dir(directory)
        existing = list_segments(directory, collector_id)
        last = parse_segment_name(existing[-1].name) if existing else None
        #: never reuse a number: flushed segments are gone but their Parquet names remain
        self._next_seq = max(last[1] + 1 if last else 1, first_seq)
        self._fd: int | None = None
        self._active: Path | None = None
        self._size = 0
        self._queue: queue.SimpleQueue[_Append | _Seal | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="wal-writer", daemon=True)
        self._lock = threading.Lock()
        self._closed = False
        #: appends made durable since start (for /health)
        self.records_written = 0
        self.fsyncs = 0

    def start(self) -> None:
        self._thread.start()

    # --- producers

    async def append(self, records: Iterable[bytes]) -> None:
        """Append records and return once they are fsync'd."""
        if self._closed:
            raise CollectError("the write-ahead log is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        if self.keys is not None:
            records = [self.keys.seal_record(r) for r in records]
        self._queue.put(_Append(b"".join(encode_record(r) for r in records), (future, loop)))
        await future

    def seal(self) -> None:
        """Close the open segment so the flusher may take it (no-op when none is open)."""
        if self._closed or not self._thread.is_alive():
            return
        request = _Seal()
        self._queue.put(request)
        request.done.wait()

    def active_segment(self) -> Path | None:
        with self._lock:
            return self._active

    def sealed_segments(self) -> list[Path]:
        """Segments no longer written. The writer creates a segment and marks it active
        under the same lock, so a segment being written is never listed here."""
        with self._lock:
            active = self._active
            found = list_segments(self.directory, self.collector_id)
        return [p for p in found if p != active]

    def close(self) -> None:
        """Write what is pending, seal the open segment and stop the writer."""
        if self._closed:
            return
        self._closed = True
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    # --- the writer thread

    def _run(self) -> None:
        stop = False
        while not stop:
            items = [self._queue.get()]
            while True:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            appends = [i for i in items if isinstance(i, _Append)]
            error: BaseException | None = None
            if appends:
                try:
                    self._write(b"".join(a.data for a in appends))
                    self.records_written += len(appends)
                except Exception as exc:  # disk full, I/O error: refuse, never pretend
                    log.error("write-ahead log write failed: %s", exc)
                    error = exc
                _resolve([a.waiter for a in appends], error)
            if any(i is None for i in items):
                stop = True
            if stop or any(isinstance(i, _Seal) for i in items) or self._size >= self.segment_bytes:
                self._seal_active()
            for item in items:
                if isinstance(item, _Seal):
                    item.done.set()

    def _write(self, data: bytes) -> None:
        if self._fd is None:
            path = self.directory / segment_name(self.collector_id, self._next_seq)
            self._next_seq += 1
            with self._lock:
                self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
                self._active = path
            fsync_dir(self.directory)
            self._size = 0
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        os.fdatasync(self._fd)
        self.fsyncs += 1
        self._size += len(data)

    def _seal_active(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            with self._lock:
                self._active = None


def _resolve(waiters: list[_Waiter], error: BaseException | None) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for future, loop in waiters:
        by_loop.setdefault(loop, []).append(future)
    for loop, futures in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is waiting
            loop.call_soon_threadsafe(_settle, futures, error)


def _settle(futures: list[asyncio.Future[None]], error: BaseException | None) -> None:
    for future in futures:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(CollectError(f"the event could not be stored: {error}"))
