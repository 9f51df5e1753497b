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
import pyarrow.compute as pc

from personae.collect import stored
from personae.collect.flush import parquet_files, read_events_file, write_events_file
from personae.collect.paths import CollectPaths
from personae.collect.wal import (
    list_segments,
    parse_segment_name,
    read_segment,
    rewrite_segment,
)
from personae.protect.encryption import Keyring
from personae.protect.hashing import phone_tail

#: a collected message (its stored row) to remove
Doomed = Callable[[dict[str, Any]], bool]


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
    paths: CollectPaths, doomed: Doomed, dry_run: bool, keys: Keyring | None = None
) -> tuple[dict[str, int], list[str]]:
    """Messages removed per WAL segment (sealed again with ``keys`` when the project is
    encrypted), and warnings for running collectors."""
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
                kept, count = [], 0
                for record in read_segment(segment, keys).records:
                    rows = stored.decode_rows(record)  # a record holds one request's rows
                    left = [row for row in rows if not doomed(row)]
                    count += len(rows) - len(left)
                    if len(left) == len(rows):
                        kept.append(record)
                    elif left:
                        kept.append(stored.encode_rows(left))
                if not count:
                    continue
                removed[str(segment)] = count
                if not dry_run:
                    rewrite_segment(segment, kept, keys)
    return removed, warnings


#: rows of a collected Parquet table that may be a person's (a superset, vectorised)
Narrow = Callable[[pa.Table], pa.Array | pa.ChunkedArray]


def message_filter(message_ids: set[str], identifiers: set[tuple[str, str]]) -> Narrow:
    """A vectorised first pass over a collected Parquet table: the rows whose message id
    is one of ``message_ids``, or whose ``user_id``/``anonymous_id``/``previous_id``
    contains one of the person's ids of that kind, or whose payload contains one of
    its e-mails (lower case) or the last digits of one of its phones. Every message the
    exact test (:data:`Doomed`) removes is among them: its values are the normalised
    ones, and normalising only trims, lower-cases and formats."""
    by_kind: dict[str, list[str]] = {}
    for kind, value in identifiers:
        by_kind.setdefault(kind, []).append(value)
    tails = [t for v in by_kind.get("phone", []) if (t := phone_tail(v)) is not None]

    def narrow(table: pa.Table) -> pa.Array | pa.ChunkedArray:
        ids = pa.array(sorted(message_ids), pa.string())
        mask = pc.is_in(table["message_id"], value_set=ids)
        for column, kind in (
            ("user_id", "user_id"),
            ("anonymous_id", "anonymous_id"),
            ("previous_id", "anonymous_id"),
        ):
            for value in by_kind.get(kind, []):
                mask = pc.or_kleene(mask, pc.match_substring(table[column], value))
        payload = table["payload"]
        if by_kind.get("email"):
            lower = pc.utf8_lower(payload)
            for value in by_kind["email"]:
                mask = pc.or_kleene(mask, pc.match_substring(lower, value))
        if tails:
            digits = pc.replace_substring_regex(payload, "[^0-9]", "")
            for tail in tails:
                mask = pc.or_kleene(mask, pc.match_substring(digits, tail))
        return pc.fill_null(mask, False)

    return narrow


def erase_from_parquet(
    paths: CollectPaths,
    doomed: Doomed,
    dry_run: bool,
    narrow: Narrow | None = None,
    keys: Keyring | None = None,
) -> dict[str, int]:
    """Messages removed per collected Parquet file. ``narrow`` (:func:`message_filter`)
    picks the rows worth the exact, per-row test; a file with none is not decoded."""
    removed: dict[str, int] = {}
    if not paths.events.exists():
        return removed
    for path in parquet_files(paths.events):
        table = read_events_file(path, keys)
        maybe = narrow(table) if narrow else pa.array([True] * table.num_rows)
        if not pc.any(maybe).as_py():
            continue
        candidates = pc.indices_nonzero(maybe)
        rows = table.take(candidates).to_pylist()
        gone = [int(i) for i, row in zip(candidates.to_pylist(), rows, strict=True) if doomed(row)]
        if not gone:
            continue
        removed[str(path)] = len(gone)
        if not dry_run:
            keep = pc.invert(
                pc.is_in(pa.array(range(table.num_rows), pa.int64()), pa.array(gone, pa.int64()))
            )
            write_events_file(path, table.filter(keep).cast(stored.SCHEMA), keys)
    return removed
