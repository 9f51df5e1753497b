"""Sealed WAL segments become Parquet files, then the segments are deleted.

Segment ``<collector>-<seq>.wal`` becomes one file per received date,
``events/date=YYYY-MM-DD/part-<collector>-<seq>.parquet``, written to a temporary
name, fsync'd and renamed. The name is a function of the segment, so flushing the same
segment twice (a crash after the rename, before the delete) rewrites the same file:
nothing is doubled. The segment is deleted only once every file is durable.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from personae.collect import stored
from personae.collect.wal import fsync_dir, parse_segment_name, read_segment


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


def flush_segment(segment: Path, events_dir: Path) -> FlushResult:
    """Write one sealed segment to Parquet and delete it."""
    parsed = parse_segment_name(segment.name)
    if parsed is None:
        raise ValueError(f"not a WAL segment: {segment}")
    collector, seq = parsed
    read = read_segment(segment)
    by_date: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in read.records:
        row = stored.decode(record)
        received = dt.datetime.fromtimestamp(row["received_at"] / 1e6, dt.UTC)
        by_date[received.date().isoformat()].append(row)
    result = FlushResult(segments=1, torn_bytes=read.torn_bytes)
    for day, rows in sorted(by_date.items()):
        folder = events_dir / f"date={day}"
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / f"part-{collector}-{seq:012d}.parquet"
        temporary = folder / f".tmp-{final.name}"
        pq.write_table(stored.to_arrow(rows), temporary)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, final)
        fsync_dir(folder)
        result.rows += len(rows)
        result.files += 1
    segment.unlink()
    fsync_dir(segment.parent)
    return result


def flush_segments(segments: list[Path], events_dir: Path) -> FlushResult:
    total = FlushResult()
    for segment in segments:
        total.add(flush_segment(segment, events_dir))
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
