"""Sealed WAL segments become Parquet files, then the segments are deleted.

Segment ``<collector>-<seq>.wal`` becomes one file per received date,
``events/date=YYYY-MM-DD/part-<collector>-<seq>.parquet``, written to a temporary
name, fsync'd and renamed. The name is a function of the segment, so flushing the same
segment twice (a crash after the rename, before the delete) rewrites the same file:
nothing is doubled. The segment is deleted only once every file is durable.

With ``protect.encryption`` on, each Parquet file is sealed whole with AES-GCM under the
key derived for events (:meth:`personae.protect.encryption.Keyring.seal`); it is written
and read through :func:`write_events_file` and :func:`read_events_file`, which handle
both forms (the engine's ``read_parquet`` opens sealed files in memory too).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from personae.collect import stored
from personae.collect.wal import fsync_dir, parse_segment_name, read_segment
from personae.protect.encryption import Keyring
from personae.protect.files import private_dir, read_parquet, write_parquet


@dataclass
class FlushResult:
    segments: int = 0
    rows: int = 0
    files: int = 0
    torn_bytes: int = 0

    def add(self, other: FlushResult) -> None:
        self.segments += other.segments
        self.rows += other.rows
        self.files += other.files
        self.torn_bytes += other.torn_bytes


def write_events_file(path: Path, table: pa.Table, keys: Keyring | None = None) -> None:
    """Write ``table`` as the Parquet file ``path`` (sealed with ``keys`` when given),
    atomically and durably: a temporary file, fsync'd, renamed over ``path``."""
    write_parquet(path, table, keys, "events")


def read_events_file(
    path: Path, keys: Keyring | None = None, columns: list[str] | None = None
) -> pa.Table:
    """A collected Parquet file, plain or sealed (which needs ``keys``)."""
    return read_parquet(path, keys, "events", columns)


def warm_up() -> None:
    """Import what writing Parquet imports (pyarrow.parquet pulls in pandas): done at
    start, so the first flush under load does not spend seconds importing."""
    import pyarrow.parquet as pq

    pq.write_table(stored.SCHEMA.empty_table(), pa.BufferOutputStream())


def flush_segment(segment: Path, events_dir: Path, keys: Keyring | None = None) -> FlushResult:
    """Write one sealed segment to Parquet and delete it."""
    parsed = parse_segment_name(segment.name)
    if parsed is None:
        raise ValueError(f"not a WAL segment: {segment}")
    collector, seq = parsed
    read = read_segment(segment, keys)
    everything = stored.records_table(read.records)
    received = everything.column("received_at").cast(pa.int64()).to_pylist()
    days = [at // _DAY_US for at in received]
    by_date: dict[str, pa.Table] = {}
    if len(set(days)) == 1:  # the common case: one segment, one day
        by_date[_day(received[0])] = everything
    else:
        rows: dict[int, list[int]] = defaultdict(list)
        for index, day in enumerate(days):
            rows[day].append(index)
        by_date = {_day(received[i[0]]): everything.take(pa.array(i)) for i in rows.values()}
    result = FlushResult(segments=1, torn_bytes=read.torn_bytes)
    for day, table in sorted(by_date.items()):
        folder = events_dir / f"date={day}"
        private_dir(folder)
        final = folder / f"part-{collector}-{seq:012d}.parquet"
        write_events_file(final, table, keys)
        result.rows += table.num_rows
        result.files += 1
    segment.unlink()
    fsync_dir(segment.parent)
    return result


_DAY_US = 86_400_000_000


def _day(received_us: int) -> str:
    return dt.datetime.fromtimestamp(received_us / 1e6, dt.UTC).date().isoformat()


def flush_segments(
    segments: list[Path], events_dir: Path, keys: Keyring | None = None
) -> FlushResult:
    total = FlushResult()
    for segment in segments:
        total.add(flush_segment(segment, events_dir, keys))
    return total


def last_flushed_seq(events_dir: Path, collector_id: str) -> int:
    """The highest segment number of ``collector_id`` already written to Parquet."""
    prefix = f"part-{collector_id}-"
    seqs = [
        int(p.stem.removeprefix(prefix))
        for p in events_dir.glob(f"date=*/{prefix}*.parquet")
        if p.stem.removeprefix(prefix).isdigit()
    ]
    return max(seqs, default=0)


def parquet_files(events_dir: Path) -> list[Path]:
    """Every finished Parquet file (temporary files are never listed)."""
    return sorted(events_dir.glob("date=*/part-*.parquet"))
