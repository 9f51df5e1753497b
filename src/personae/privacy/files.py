"""The collector's files rewritten without a person's messages.

WAL segments are read and written with :mod:`personae.collect.wal`'s record functions,
Parquet files with the schema of :mod:`personae.collect.stored`; each rewrite goes to a
temporary file that is fsync'd and renamed over the original, so a crash leaves the old
file or the new one, never half of one. The segments of a collector that is running are
left alone (its id lock is held) and reported: it writes them while we would rewrite.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from personae.collect import stored
from personae.collect.flush import parquet_files
from personae.collect.paths import CollectPaths
from personae.collect.wal import (
    encode_record,
    fsync_dir,
    list_segments,
    parse_segment_name,
    read_segment,
)

#: a collected message (its stored row) to remove
Doomed = Callable[[dict[str, Any]], bool]


def _replace(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".tmp-{path.name}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
    fsync_dir(path.parent)


@contextlib.contextmanager
def _collector_idle(wal: Path, collector_id: str) -> Iterator[bool]:
    """Hold a collector's id lock while its segments are rewritten; False when it runs."""
    path = wal / f"{collector_id}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def erase_from_segments(
    paths: CollectPaths, doomed: Doomed, dry_run: bool
) -> tuple[dict[str, int], list[str]]:
    """Messages removed per WAL segment, and warnings for running collectors."""
    removed: dict[str, int] = {}
    warnings: list[str] = []
    if not paths.wal.exists():
        return removed, warnings
    by_collector: dict[str, list[Path]] = {}
    for segment in list_segments(paths.wal):
        parsed = parse_segment_name(segment.name)
        if parsed:
            by_collector.setdefault(parsed[0], []).append(segment)
    for collector, segments in by_collector.items():
        with _collector_idle(paths.wal, collector) as idle:
            if not idle:
                warnings.append(
                    f"collector {collector!r} is running: its {len(segments)} write-ahead log "
                    "segment(s) were not rewritten; it drops the person's new events, and "
                    "running the erasure again once it has flushed (or stopped) removes the rest"
                )
                continue
            for segment in segments:
                records = read_segment(segment).records
                kept = [r for r in records if not doomed(stored.decode(r))]
                if len(kept) == len(records):
                    continue
                removed[str(segment)] = len(records) - len(kept)
                if not dry_run:
                    _replace(segment, b"".join(encode_record(r) for r in kept))
    return removed, warnings


def erase_from_parquet(paths: CollectPaths, doomed: Doomed, dry_run: bool) -> dict[str, int]:
    """Messages removed per collected Parquet file."""
    removed: dict[str, int] = {}
    if not paths.events.exists():
        return removed
    for path in parquet_files(paths.events):
        table = pq.read_table(path)
        rows = table.to_pylist()
        keep = [not doomed(row) for row in rows]
        if all(keep):
            continue
        removed[str(path)] = keep.count(False)
        if not dry_run:
            sink = pa.BufferOutputStream()
            pq.write_table(table.filter(pa.array(keep)).cast(stored.SCHEMA), sink)
            _replace(path, sink.getvalue().to_pybytes())
    return removed
